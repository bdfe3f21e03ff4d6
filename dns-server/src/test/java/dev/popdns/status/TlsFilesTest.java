package dev.popdns.status;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.handler.ssl.JdkSslContext;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code http-tls} keys in the forms certificate tools write, each made by openssl: PKCS#8 (EC and
 * RSA), PKCS#1 RSA ({@code genrsa -traditional}) and SEC1 EC ({@code ecparam -genkey}, with and
 * without its EC PARAMETERS block). Each is loaded and serves a real TLS handshake on loopback to a
 * client that trusts only its certificate. An encrypted key is refused in words.
 */
class TlsFilesTest {
    @ParameterizedTest
    @ValueSource(strings = {"pkcs8-ec", "pkcs8-rsa", "pkcs1-rsa", "sec1-ec", "sec1-ec-with-parameters"})
    void everyKeyFormServesAHandshake(String form, @TempDir Path dir) throws Exception {
        Path key = dir.resolve("key.pem");
        switch (form) {
            case "pkcs8-ec" ->
                openssl(dir, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "key.pem");
            case "pkcs8-rsa" ->
                openssl(dir, "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "key.pem");
            case "pkcs1-rsa" -> openssl(dir, "genrsa", "-traditional", "-out", "key.pem", "2048");
            case "sec1-ec" -> openssl(dir, "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "key.pem");
            case "sec1-ec-with-parameters" ->
                openssl(dir, "ecparam", "-name", "secp384r1", "-genkey", "-out", "key.pem");
            default -> throw new IllegalArgumentException(form);
        }
        String header = Files.readString(key);
        String expected = form.startsWith("pkcs8")
                ? "-----BEGIN PRIVATE KEY-----"
                : form.startsWith("pkcs1") ? "-----BEGIN RSA PRIVATE KEY-----" : "-----BEGIN EC PRIVATE KEY-----";
        assertTrue(header.contains(expected), "openssl wrote another form:\n" + header);
        selfSigned(dir, "-addext", "subjectAltName=IP:127.0.0.1");

        TlsFiles files = new TlsFiles(dir.resolve("cert.pem"), key, Clock.systemUTC());
        SSLContext server =
                assertInstanceOf(JdkSslContext.class, files.current()).context();
        assertEquals(serial(dir.resolve("cert.pem")), handshake(server, trusting(dir.resolve("cert.pem"))));
    }

    @ParameterizedTest
    @ValueSource(strings = {"pkcs8", "pkcs1"})
    void anEncryptedKeyIsRefusedInWords(String form, @TempDir Path dir) throws Exception {
        if (form.equals("pkcs8")) {
            openssl(
                    dir,
                    "genpkey",
                    "-algorithm",
                    "EC",
                    "-pkeyopt",
                    "ec_paramgen_curve:P-256",
                    "-aes256",
                    "-pass",
                    "pass:secret",
                    "-out",
                    "key.pem");
        } else {
            openssl(dir, "genrsa", "-traditional", "-aes256", "-passout", "pass:secret", "-out", "key.pem", "2048");
        }
        selfSigned(dir, "-passin", "pass:secret");
        IOException e = assertThrows(
                IOException.class,
                () -> new TlsFiles(dir.resolve("cert.pem"), dir.resolve("key.pem"), Clock.systemUTC()));
        assertTrue(
                e.getMessage()
                        .startsWith("http-tls: cannot use the key " + dir.resolve("key.pem")
                                + ": the private key is encrypted"),
                e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"certificate in the key file", "garbage"})
    void aFileWithoutAKeyIsRefusedInWords(String what, @TempDir Path dir) throws Exception {
        openssl(dir, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "key.pem");
        selfSigned(dir);
        Files.writeString(
                dir.resolve("key.pem"),
                what.equals("garbage") ? "not a key\n" : Files.readString(dir.resolve("cert.pem")));
        IOException e = assertThrows(
                IOException.class,
                () -> new TlsFiles(dir.resolve("cert.pem"), dir.resolve("key.pem"), Clock.systemUTC()));
        assertTrue(e.getMessage().contains("no PEM private key in it"), e.getMessage());
    }

    /** A self-signed certificate, cert.pem, for key.pem in {@code dir}; {@code extra} openssl req options. */
    private static void selfSigned(Path dir, String... extra) throws Exception {
        List<String> args = new ArrayList<>(List.of(
                "req",
                "-new",
                "-x509",
                "-key",
                "key.pem",
                "-out",
                "cert.pem",
                "-days",
                "2",
                "-subj",
                "/CN=popdns tls test"));
        args.addAll(List.of(extra));
        openssl(dir, args.toArray(new String[0]));
    }

    private static void openssl(Path dir, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("openssl"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd)
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .start();
        String log = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "openssl did not finish: " + cmd);
        assertEquals(0, p.exitValue(), cmd + ": " + log);
    }

    /** Accepts one TLS connection with {@code server}; returns the serial the client was served. */
    private static java.math.BigInteger handshake(SSLContext server, SSLContext client) throws Exception {
        try (SSLServerSocket listener = (SSLServerSocket)
                server.getServerSocketFactory().createServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            listener.setSoTimeout(10_000);
            CompletableFuture<Void> accepted = CompletableFuture.runAsync(() -> {
                try (SSLSocket s = (SSLSocket) listener.accept()) {
                    s.setSoTimeout(10_000);
                    s.startHandshake();
                    s.getOutputStream().write(1);
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            java.math.BigInteger served;
            try (SSLSocket socket = (SSLSocket)
                    client.getSocketFactory().createSocket(InetAddress.getLoopbackAddress(), listener.getLocalPort())) {
                socket.setSoTimeout(10_000);
                socket.startHandshake();
                assertEquals(1, socket.getInputStream().read());
                served = ((X509Certificate) socket.getSession().getPeerCertificates()[0]).getSerialNumber();
            }
            accepted.get(10, TimeUnit.SECONDS); // after the client's close: TLS 1.3 closes both ways
            return served;
        }
    }

    private static SSLContext trusting(Path pem) throws Exception {
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        store.load(null, null);
        store.setCertificateEntry("server", certificate(pem));
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(store);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, factory.getTrustManagers(), null);
        return context;
    }

    private static java.math.BigInteger serial(Path pem) throws Exception {
        return certificate(pem).getSerialNumber();
    }

    private static X509Certificate certificate(Path pem) throws Exception {
        try (InputStream in = Files.newInputStream(pem)) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }
}
