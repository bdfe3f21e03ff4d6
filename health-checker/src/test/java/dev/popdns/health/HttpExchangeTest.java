package dev.popdns.health;

import static dev.popdns.health.RawHttpServer.ascii;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The HTTP/1.1 reading of {@link HttpProbe} against hand-written responses. */
class HttpExchangeTest {
    private static final Duration TIMEOUT = Duration.ofMillis(400);

    @Test
    void sendsOneRequestWithTheServiceNameAsHost() throws IOException {
        try (RawHttpServer server =
                new RawHttpServer(out -> out.write(ascii("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK")))) {
            assertInstanceOf(
                    ProbeResult.Up.class,
                    probe(HttpSpec.of("http://{address}:" + server.port() + "/health?full=1")
                            .withHost("hachyderm.io")
                            .withBody("OK")));
            assertEquals(
                    List.of("GET /health?full=1 HTTP/1.1\r\nHost: hachyderm.io\r\nUser-Agent: popdns-health\r\n"
                            + "Accept: */*\r\nConnection: close\r\n\r\n"),
                    server.requests());
        }
    }

    @Test
    void withoutHostTheUrlAuthorityIsSent() throws IOException {
        try (RawHttpServer server = new RawHttpServer(out -> out.write(ascii("HTTP/1.1 204 No Content\r\n\r\n")))) {
            assertInstanceOf(
                    ProbeResult.Up.class,
                    probe(HttpSpec.of("http://{address}:" + server.port()).withExpect(List.of(204))));
            assertTrue(
                    server.requests().get(0).startsWith("GET / HTTP/1.1\r\nHost: 127.0.0.1:" + server.port() + "\r\n"),
                    server.requests().get(0));
        }
    }

    @Test
    void readsChunkedBodies() throws IOException {
        try (RawHttpServer server =
                new RawHttpServer(out -> out.write(ascii("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + "3;ext=1\r\nfoo\r\n4\r\nbarO\r\n1\r\nK\r\n0\r\n\r\n")))) {
            assertInstanceOf(
                    ProbeResult.Up.class,
                    probe(HttpSpec.of("http://{address}:" + server.port() + "/").withBody("barOK")));
        }
    }

    @Test
    void readsUntilCloseWithoutLength() throws IOException {
        try (RawHttpServer server = new RawHttpServer(out -> out.write(ascii("HTTP/1.0 200 OK\r\n\r\nall is OK")))) {
            assertInstanceOf(
                    ProbeResult.Up.class,
                    probe(HttpSpec.of("http://{address}:" + server.port() + "/").withBody("is OK")));
        }
    }

    @Test
    void readsNoMoreThanTheCap() throws IOException {
        String body = "x".repeat(2000) + "OK" + "y".repeat(100_000);
        try (RawHttpServer server = new RawHttpServer(
                out -> out.write(ascii("HTTP/1.1 200 OK\r\nContent-Length: " + body.length() + "\r\n\r\n" + body)))) {
            HttpSpec spec =
                    HttpSpec.of("http://{address}:" + server.port() + "/").withBody("OK");
            assertInstanceOf(ProbeResult.Up.class, probe(spec));
            ProbeResult.Down down = assertInstanceOf(ProbeResult.Down.class, probe(spec.withMaxBodyBytes(1024)));
            assertEquals(
                    "body: no 'OK' in 1024 bytes read (expected: the body contains it within the first 1024 bytes)",
                    down.reason());
        }
    }

    @Test
    void theTimeoutCoversATricklingResponse() throws IOException {
        // A byte every 50ms never lets one read time out: only the overall deadline ends it.
        try (RawHttpServer server = new RawHttpServer(out -> {
            out.write(ascii("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"));
            for (int i = 0; i < 100; i++) {
                out.write('x');
                out.flush();
                Thread.sleep(50);
            }
        })) {
            ProbeResult.Down down = assertInstanceOf(
                    ProbeResult.Down.class, probe(HttpSpec.of("http://{address}:" + server.port() + "/")));
            assertEquals("timed out after 400ms (during response body)", down.reason());
            assertTrue(down.latency().compareTo(TIMEOUT.plusSeconds(1)) < 0, "latency " + down.latency());
        }
    }

    @Test
    void malformedResponsesAreDownWithWhatWasSeen() throws IOException {
        try (RawHttpServer server = new RawHttpServer(out -> out.write(ascii("SSH-2.0-OpenSSH_9.2\r\n")))) {
            assertEquals(
                    "response headers: malformed status line 'SSH-2.0-OpenSSH_9.2' (expected: HTTP/1.x NNN reason)",
                    assertInstanceOf(
                                    ProbeResult.Down.class,
                                    probe(HttpSpec.of("http://{address}:" + server.port() + "/")))
                            .reason());
        }
        try (RawHttpServer server =
                new RawHttpServer(out -> out.write(ascii("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort")))) {
            assertEquals(
                    "response body: connection closed after 5 of 10 body bytes",
                    assertInstanceOf(
                                    ProbeResult.Down.class,
                                    probe(HttpSpec.of("http://{address}:" + server.port() + "/")))
                            .reason());
        }
    }

    private static ProbeResult probe(HttpSpec spec) {
        CheckConfig check = new CheckConfig("http", spec, new CheckTiming(Duration.ofSeconds(1), TIMEOUT, 2, 3));
        return Probe.create(PopTarget.of("hq", "127.0.0.1", List.of(check)), check, Clock.systemUTC(), Map.of())
                .probe();
    }
}
