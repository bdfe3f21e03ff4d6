package dev.popdns.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The HTTP side against the packaged server: a request must arrive whole within 10 s, connections
 * are limited, a foreign {@code Host:} gets 421, admin calls come only from {@code admin-from}
 * (loopback by default), the token file is read again when it changes, and no parameter is ever
 * resolved as a name.
 *
 * <p>On admin-from: the test machine offers only loopback, so "a peer outside admin-from" is
 * 127.0.0.2 with {@code admin-from: [127.0.0.1]}: the same check a non-loopback peer meets with
 * the default (127.0.0.0/8 and ::1), exercised on a real connection from a real peer address.
 */
class HttpHardeningTest {
    private static final String TOKEN_A = "first-token-0123456789";
    private static final String TOKEN_B = "second-token-9876543210";

    @Test
    void aSlowRequestIsCutAtTheDeadlineAndConnectionsAreLimited(@TempDir Path dir) throws Exception {
        try (ServerProcess server = ServerProcess.start(Path.of("resources/zones"))) {
            try (Socket slow = new Socket()) {
                slow.connect(new InetSocketAddress("127.0.0.1", server.httpPort), 3000);
                slow.setSoTimeout(20_000);
                OutputStream out = slow.getOutputStream();
                long start = System.nanoTime();
                out.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                boolean cut = false;
                // one header line every 2 s: each one keeps a read timeout alive, the deadline does not
                for (int i = 0; i < 10 && !cut; i++) {
                    Thread.sleep(2000);
                    try {
                        out.write(("X-Slow-" + i + ": 1\r\n").getBytes(StandardCharsets.US_ASCII));
                        out.flush();
                    } catch (IOException e) {
                        cut = true;
                    }
                    cut |= closed(slow);
                }
                long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                assertTrue(cut, "a request still arriving after " + millis + " ms was not cut off");
                assertTrue(millis >= 9_000 && millis < 15_000, "cut after " + millis + " ms (deadline 10 s)");
            }

            List<Socket> held = new ArrayList<>();
            try {
                for (int i = 0; i < 256; i++) {
                    Socket s = new Socket();
                    s.connect(new InetSocketAddress("127.0.0.1", server.httpPort), 3000);
                    held.add(s);
                }
                try (Socket over = new Socket()) {
                    over.connect(new InetSocketAddress("127.0.0.1", server.httpPort), 3000);
                    over.setSoTimeout(5000);
                    assertEquals(-1, over.getInputStream().read(), "the 257th connection is closed at once");
                }
            } finally {
                for (Socket s : held) {
                    s.close();
                }
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            int status = 0;
            while (status != 200 && System.nanoTime() < deadline) {
                try {
                    status = get(server, "/healthz", null).statusCode();
                } catch (IOException e) {
                    Thread.sleep(100); // the server is still closing the 256
                }
            }
            assertEquals(200, status, "a connection is accepted again once others closed");
        }
    }

    @Test
    void onlyOurHostNamesAreServed(@TempDir Path dir) throws Exception {
        Path config = dir.resolve("popdns.yaml");
        Files.writeString(config, "identity: ns1.example.test\nhttp-hosts: [status.example.test]\n");
        try (ServerProcess server = ServerProcess.start(Path.of("resources/zones"), "--config", config.toString())) {
            String port = ":" + server.httpPort;
            for (String host : List.of(
                    "127.0.0.1" + port,
                    "127.0.0.1",
                    "localhost" + port,
                    "LOCALHOST",
                    "ns1.example.test" + port,
                    "status.example.test" + port,
                    "status.example.test.")) {
                assertEquals(200, raw(server, "/metrics", host), "Host: " + host);
            }
            for (String host : List.of(
                    "attacker.example" + port,
                    "127.0.0.1.nip.io" + port,
                    "[::1]" + port,
                    "127.0.0.2" + port,
                    "status.example.test.attacker.example")) {
                assertEquals(421, raw(server, "/api/v1/status", host), "Host: " + host);
            }
            assertEquals(400, raw(server, "/healthz", null), "HTTP/1.1 without Host");
        }
    }

    @Test
    void adminCallsOnlyFromAdminFromAndTheTokenFileIsReadAgain(@TempDir Path dir) throws Exception {
        Path token = dir.resolve("admin-token");
        Files.writeString(token, TOKEN_A + "\n");
        Path config = dir.resolve("popdns.yaml");
        Files.writeString(config, "admin-token-file: admin-token\nadmin-from: [\"127.0.0.1\", \"::1\"]\n");
        try (ServerProcess server = ServerProcess.start(Path.of("resources/zones"), "--config", config.toString())) {
            assertEquals(403, reload(server, "127.0.0.2", TOKEN_A).statusCode(), "a peer outside admin-from");
            assertTrue(server.logText().contains("not in admin-from"), server.logText());
            assertEquals(202, reload(server, "127.0.0.1", TOKEN_A).statusCode());

            // rotation: the file is rewritten, the server reads it again on the next admin call
            Files.writeString(token, TOKEN_B + "\n");
            Files.setLastModifiedTime(
                    token, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 2000));
            assertEquals(401, reload(server, "127.0.0.1", TOKEN_A).statusCode(), "the old token after rotation");
            assertEquals(202, reload(server, "127.0.0.1", TOKEN_B).statusCode(), "the new token, no restart");
            assertTrue(server.awaitLog(l -> l.contains("admin token read again"), Duration.ofSeconds(5)));

            // a file that goes bad refuses every token rather than keeping the old one
            Files.writeString(token, "short\n");
            assertEquals(503, reload(server, "127.0.0.1", TOKEN_B).statusCode());
            assertTrue(
                    !server.logText().contains(TOKEN_A) && !server.logText().contains(TOKEN_B), "no token in the log");
        }

        // the default admin-from is loopback: 127.0.0.2 is loopback and may call
        Files.writeString(token, TOKEN_A + "\n");
        Files.writeString(config, "admin-token-file: admin-token\n");
        try (ServerProcess server = ServerProcess.start(Path.of("resources/zones"), "--config", config.toString())) {
            assertEquals(202, reload(server, "127.0.0.2", TOKEN_A).statusCode());
        }
    }

    /**
     * The JVM is told to resolve names from a hosts file that does know {@code cafe.beef}: a server
     * that looked the client parameter up would get an address and answer 200. It must answer 400.
     */
    @Test
    void explainNeverResolvesTheClientParameter(@TempDir Path dir) throws Exception {
        Path hosts = dir.resolve("hosts");
        Files.writeString(hosts, "192.0.2.99 cafe.beef\n");
        try (ServerProcess server =
                ServerProcess.start(List.of("-Djdk.net.hosts.file=" + hosts), Map.of(), Path.of("resources/zones"))) {
            assertEquals(
                    200,
                    get(server, "/api/v1/explain?name=example.test&client=192.0.2.99", null)
                            .statusCode());
            HttpResponse<String> byName = get(server, "/api/v1/explain?name=example.test&client=cafe.beef", null);
            assertEquals(400, byName.statusCode(), byName.body());
            assertTrue(byName.body().contains("literal"), byName.body());
            assertEquals(
                    400,
                    get(server, "/api/v1/explain?name=example.test&client=localhost", null)
                            .statusCode());
        }
    }

    private static HttpResponse<String> reload(ServerProcess server, String from, String token)
            throws IOException, InterruptedException {
        HttpClient client = HttpClient.newBuilder()
                .localAddress(InetAddress.getByName(from))
                .connectTimeout(Duration.ofSeconds(5))
                .build();
        return client.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.httpPort + "/api/v1/reload"))
                        .header("Authorization", "Bearer " + token)
                        .POST(HttpRequest.BodyPublishers.noBody())
                        .timeout(Duration.ofSeconds(10))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> get(ServerProcess server, String path, String unused)
            throws IOException, InterruptedException {
        HttpClient client =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        return client.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.httpPort + path))
                        .timeout(Duration.ofSeconds(10))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** A request written by hand with exactly this {@code Host:} (none when null); returns the status. */
    private static int raw(ServerProcess server, String path, String host) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", server.httpPort), 3000);
            s.setSoTimeout(10_000);
            String request = "GET " + path + " HTTP/1.1\r\n" + (host == null ? "" : "Host: " + host + "\r\n")
                    + "Connection: close\r\n\r\n";
            s.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            String status = new String(s.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
            assertTrue(status.startsWith("HTTP/1.1 "), status);
            return Integer.parseInt(status.substring(9, 12));
        }
    }

    /** Whether the server closed the connection, without waiting long. */
    private static boolean closed(Socket s) throws IOException {
        int timeout = s.getSoTimeout();
        s.setSoTimeout(1);
        try {
            InputStream in = s.getInputStream();
            return in.read() < 0;
        } catch (java.net.SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true;
        } finally {
            s.setSoTimeout(timeout);
        }
    }
}
