package dev.popdns.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The peer transport over real sockets: two packaged servers on loopback whose HTTP listeners
 * serve TLS ({@code http-tls}, certificates made by openssl) and who pull each other's view from a
 * peers-only listener ({@code peer-listen}) over https, trusting a {@code ca-file}, with the peer
 * token. A replaced certificate is served to new connections without a restart.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class PeerTransportTest {
    private static final String TOKEN = "peer-token-0123456789abcdef";
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void peersPullOverTlsWithTheTokenAndCertificatesReload(@TempDir Path dir) throws Exception {
        Path first = certificate(dir, "first");
        Path second = certificate(dir, "second");
        // the CA file trusts both, so the peers keep pulling across the rotation
        Files.writeString(
                dir.resolve("peers-ca.pem"),
                Files.readString(first.resolve("cert.pem")) + Files.readString(second.resolve("cert.pem")));
        Files.copy(first.resolve("cert.pem"), dir.resolve("cert.pem"));
        Files.copy(first.resolve("key.pem"), dir.resolve("key.pem"));
        Files.writeString(dir.resolve("peer-token"), TOKEN + "\n");
        Path zones = Files.createDirectory(dir.resolve("zones"));
        Files.writeString(zones.resolve("t.test.zone"), """
                $ORIGIN t.test.
                $TTL 300
                @ SOA ns1 hostmaster 1 7200 3600 1209600 300
                  NS ns1
                ns1 A 198.18.0.1
                """);
        int target = ServerProcess.freePort();
        Files.writeString(zones.resolve("pops.yaml"), """
                pops:
                  hq: { hq: true, location: [50.47, 12.37], addresses: [198.19.0.1], probe-address: 127.0.0.1 }
                  pop-a: { location: [52.37, 4.90], addresses: [198.19.0.2], probe-address: 127.0.0.1 }
                checks:
                  web: { tcp: "{address}:%d", interval: 500ms, timeout: 400ms }
                """.formatted(target));
        int[] peerPorts = {ServerProcess.freePort(), ServerProcess.freePort()};
        try (java.net.ServerSocket listener =
                        new java.net.ServerSocket(target, 50, java.net.InetAddress.getLoopbackAddress());
                ServerProcess ns1 = start(dir, zones, "ns1", peerPorts);
                ServerProcess ns2 = start(dir, zones, "ns2", peerPorts)) {
            Thread.ofVirtual().start(() -> {
                while (!listener.isClosed()) {
                    try {
                        listener.accept().close();
                    } catch (IOException closed) {
                        return;
                    }
                }
            });
            SSLContext trust = trusting(dir.resolve("peers-ca.pem"));
            HttpClient client = HttpClient.newBuilder()
                    .sslContext(trust)
                    .connectTimeout(Duration.ofSeconds(5))
                    .build();
            String peerUrl = "https://127.0.0.1:" + peerPorts[1] + "/api/v1/health";
            assertEquals(401, get(client, peerUrl, null).statusCode(), "no token");
            assertEquals(401, get(client, peerUrl, "wrong-token-0123456789").statusCode(), "wrong token");
            HttpResponse<String> view = get(client, peerUrl, TOKEN);
            assertEquals(200, view.statusCode(), view.body());
            assertEquals("ns2", JSON.readTree(view.body()).path("node").asText());
            assertEquals(
                    404,
                    get(client, "https://127.0.0.1:" + peerPorts[1] + "/api/v1/status", TOKEN)
                            .statusCode(),
                    "peer-listen answers only /api/v1/health");
            String status = "https://127.0.0.1:" + ns1.httpPort + "/api/v1/status";
            JsonNode peers = awaitFresh(client, status, "ns2");
            assertFalse(peers.path("deciding_alone").asBoolean(), peers.toString());

            BigInteger before = servedSerial(trust, peerPorts[1]);
            assertEquals(serial(first.resolve("cert.pem")), before);
            // renewed as certbot does: new files moved into place
            Files.copy(second.resolve("key.pem"), dir.resolve("key.new"));
            Files.copy(second.resolve("cert.pem"), dir.resolve("cert.new"));
            Files.move(dir.resolve("key.new"), dir.resolve("key.pem"), StandardCopyOption.REPLACE_EXISTING);
            Files.move(dir.resolve("cert.new"), dir.resolve("cert.pem"), StandardCopyOption.REPLACE_EXISTING);
            BigInteger expected = serial(second.resolve("cert.pem"));
            long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
            BigInteger now = before;
            while (!now.equals(expected) && System.nanoTime() < deadline) {
                Thread.sleep(200);
                now = servedSerial(trust, peerPorts[1]);
            }
            assertEquals(expected, now, "the replaced certificate is served to new connections");
            assertTrue(ns2.awaitLog(l -> l.contains("http-tls: reloaded"), Duration.ofSeconds(5)), ns2.logText());
            awaitFresh(client, status, "ns2");
        }
    }

    private static ServerProcess start(Path dir, Path zones, String self, int[] peerPorts) throws IOException {
        int index = self.equals("ns1") ? 0 : 1;
        Path config = dir.resolve(self + ".yaml");
        Files.writeString(config, """
                identity: %s
                peer-listen: 127.0.0.1:%d
                http-tls: { cert: cert.pem, key: key.pem }
                peers:
                  self: %s
                  token-file: peer-token
                  ca-file: peers-ca.pem
                  nodes:
                    ns1: { url: "https://127.0.0.1:%d" }
                    ns2: { url: "https://127.0.0.1:%d" }
                health-agreement: { stale-after: 3s }
                """.formatted(self, peerPorts[index], self, peerPorts[0], peerPorts[1]));
        return ServerProcess.start(zones, "--config", config.toString());
    }

    private static JsonNode awaitFresh(HttpClient client, String statusUrl, String peer) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        JsonNode peers = null;
        while (System.nanoTime() < deadline) {
            peers = JSON.readTree(get(client, statusUrl, null).body()).path("peers");
            for (JsonNode node : peers.path("nodes")) {
                if (node.path("id").asText().equals(peer)
                        && node.path("standing").asText().equals("fresh")) {
                    return peers;
                }
            }
            Thread.sleep(200);
        }
        fail(peer + " never fresh: " + peers);
        return peers;
    }

    private static HttpResponse<String> get(HttpClient client, String url, String token) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** A self-signed EC certificate for 127.0.0.1 in {@code dir/name/} (cert.pem, PKCS#8 key.pem). */
    private static Path certificate(Path dir, String name) throws Exception {
        Path out = Files.createDirectory(dir.resolve(name));
        Process p = new ProcessBuilder(
                        "openssl",
                        "req",
                        "-x509",
                        "-newkey",
                        "ec",
                        "-pkeyopt",
                        "ec_paramgen_curve:prime256v1",
                        "-nodes",
                        "-keyout",
                        out.resolve("key.pem").toString(),
                        "-out",
                        out.resolve("cert.pem").toString(),
                        "-days",
                        "2",
                        "-subj",
                        "/CN=popdns peer test " + name,
                        "-addext",
                        "subjectAltName=IP:127.0.0.1")
                .redirectErrorStream(true)
                .start();
        String log = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0, "openssl: " + log);
        return out;
    }

    private static SSLContext trusting(Path pem) throws Exception {
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        store.load(null, null);
        int n = 0;
        try (InputStream in = Files.newInputStream(pem)) {
            for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                store.setCertificateEntry("c" + n++, c);
            }
        }
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(store);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, factory.getTrustManagers(), null);
        return context;
    }

    private static BigInteger serial(Path pem) throws Exception {
        try (InputStream in = Files.newInputStream(pem)) {
            return ((X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in))
                    .getSerialNumber();
        }
    }

    /** The serial of the certificate a new TLS connection to the port is served. */
    private static BigInteger servedSerial(SSLContext trust, int port) throws Exception {
        try (SSLSocket socket = (SSLSocket) trust.getSocketFactory().createSocket("127.0.0.1", port)) {
            socket.setSoTimeout(5000);
            socket.startHandshake();
            List<Certificate> chain = List.of(socket.getSession().getPeerCertificates());
            return ((X509Certificate) chain.get(0)).getSerialNumber();
        }
    }
}
