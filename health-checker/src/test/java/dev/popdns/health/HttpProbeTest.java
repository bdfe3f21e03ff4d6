package dev.popdns.health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code http} checks against a real nginx on loopback: plain HTTP (IPv4 and IPv6) and HTTPS with
 * a certificate for {@code hachyderm.test} signed by a CA the test makes. nginx serves
 * {@code hachyderm.test} by {@code server_name}; any other Host gets 421 from the default server.
 */
class HttpProbeTest {
    /** The timeout of aSlowUpstreamTimesOut, the one test that waits for a probe to time out. */
    private static final Duration TIMEOUT = Duration.ofMillis(500);
    /** The timeout of every other probe: a bound for a hung test, never reached on a loaded machine. */
    private static final Duration GENEROUS = Duration.ofSeconds(10);

    private static final String HOST = "hachyderm.test";

    private static TempDir dir;
    private static HangingServer upstream;
    private static NginxServer nginx;
    private static Certificates certificates;
    private static int http;
    private static int https;

    @BeforeAll
    static void startNginx() throws IOException {
        dir = new TempDir("popdns-nginx-");
        upstream = new HangingServer();
        certificates = Certificates.generate(dir.path(), HOST);
        http = Ports.free();
        https = Ports.free();
        nginx = NginxServer.start(
                dir.path(),
                """
                server {
                    listen 127.0.0.1:%1$d;
                    listen [::1]:%1$d;
                    server_name %3$s;
                    location = / { return 200 "ok\\n"; }
                    location = /status503 { return 503; }
                    location = /moved { return 301 https://%3$s/; }
                    location = /slow { proxy_pass http://127.0.0.1:%4$d; proxy_read_timeout 60s; }
                }
                server {
                    listen 127.0.0.1:%1$d default_server;
                    listen [::1]:%1$d default_server;
                    server_name _;
                    return 421;
                }
                server {
                    listen 127.0.0.1:%2$d ssl;
                    server_name %3$s;
                    ssl_certificate %5$s;
                    ssl_certificate_key %6$s;
                    location = / { return 200 "ok\\n"; }
                }
                """.formatted(http, https, HOST, upstream.port(), certificates.certificate(), certificates.key()),
                http);
    }

    @AfterAll
    static void stopNginx() throws IOException {
        if (nginx != null) {
            nginx.close();
        }
        if (upstream != null) {
            upstream.close();
        }
        if (dir != null) {
            dir.close();
        }
    }

    @Test
    void healthyOverHttp() {
        ProbeResult.Up up = assertInstanceOf(
                ProbeResult.Up.class,
                probe(
                        "127.0.0.1",
                        HttpSpec.of("http://{address}:" + http + "/")
                                .withHost(HOST)
                                .withBody("ok")));
        assertTrue(up.latency().compareTo(GENEROUS) < 0, "latency " + up.latency());
    }

    @Test
    void healthyOverIpv6WithTheAddressInBrackets() {
        HttpSpec spec = HttpSpec.of("http://{address}:" + http + "/").withHost(HOST);
        assertEquals("http://[::1]:" + http + "/", ((HttpProbe) bind("::1", spec)).url());
        assertInstanceOf(ProbeResult.Up.class, probe("::1", spec));
    }

    @Test
    void headIsEnoughWhenNoBodyIsExpected() {
        assertInstanceOf(
                ProbeResult.Up.class,
                probe(
                        "127.0.0.1",
                        HttpSpec.of("http://{address}:" + http + "/")
                                .withHost(HOST)
                                .withMethod(HttpSpec.Method.HEAD)));
    }

    @Test
    void wrongStatus() {
        assertDown(
                "HTTP 503 (expected: 200)",
                probe(
                        "127.0.0.1",
                        HttpSpec.of("http://{address}:" + http + "/status503").withHost(HOST)));
        assertInstanceOf(
                ProbeResult.Up.class,
                probe(
                        "127.0.0.1",
                        HttpSpec.of("http://{address}:" + http + "/status503")
                                .withHost(HOST)
                                .withExpect(List.of(200, 503))));
    }

    @Test
    void wrongHostReachesTheDefaultServer() {
        assertDown(
                "HTTP 421 (expected: 200)",
                probe("127.0.0.1", HttpSpec.of("http://{address}:" + http + "/").withHost("other.test")));
        assertDown("HTTP 421 (expected: 200)", probe("127.0.0.1", HttpSpec.of("http://{address}:" + http + "/")));
    }

    @Test
    void redirectsAreNotFollowed() {
        assertDown(
                "HTTP 301 to https://hachyderm.test/ (expected: 200, redirects are not followed)",
                probe(
                        "127.0.0.1",
                        HttpSpec.of("http://{address}:" + http + "/moved").withHost(HOST)));
    }

    @Test
    void bodyWithoutTheExpectedText() {
        assertDown(
                "body: no 'OK' in 3 bytes read (expected: the body contains it within the first 65536 bytes)",
                probe(
                        "127.0.0.1",
                        HttpSpec.of("http://{address}:" + http + "/")
                                .withHost(HOST)
                                .withBody("OK")));
    }

    @Test
    void aSlowUpstreamTimesOut() {
        int before = upstream.accepted();
        ProbeResult.Down down = assertDown(
                "timed out after 500ms (during response headers)",
                bind(
                                "127.0.0.1",
                                HttpSpec.of("http://{address}:" + http + "/slow")
                                        .withHost(HOST),
                                TIMEOUT)
                        .probe());
        assertTrue(
                down.latency().compareTo(TIMEOUT) >= 0 && down.latency().compareTo(TIMEOUT.plusSeconds(1)) < 0,
                "latency " + down.latency() + " (expected: the timeout, 500ms, and little more)");
        assertTrue(upstream.accepted() > before, "nginx reached the hanging upstream");
    }

    @Test
    void httpsVerifiedAgainstTheCaFile() {
        assertInstanceOf(
                ProbeResult.Up.class,
                probe(
                        "127.0.0.1",
                        HttpSpec.of("https://{address}:" + https + "/")
                                .withHost(HOST)
                                .withCaFile(certificates.caFile())
                                .withBody("ok")));
    }

    @Test
    void httpsWithTheSystemTrustStoreRejectsTheTestCa() {
        ProbeResult.Down down = assertInstanceOf(
                ProbeResult.Down.class,
                probe(
                        "127.0.0.1",
                        HttpSpec.of("https://{address}:" + https + "/").withHost(HOST)));
        assertTrue(down.reason().startsWith("TLS: PKIX path building failed"), down.reason());
    }

    @Test
    void httpsChecksTheCertificateNameAgainstTheHost() {
        assertDown(
                "TLS: No subject alternative DNS name matching other.test found.",
                probe(
                        "127.0.0.1",
                        HttpSpec.of("https://{address}:" + https + "/")
                                .withHost("other.test")
                                .withCaFile(certificates.caFile())));
    }

    @Test
    void httpsInsecureSkipsVerification() {
        HttpSpec spec =
                HttpSpec.of("https://{address}:" + https + "/").withHost(HOST).withInsecure(true);
        assertInstanceOf(ProbeResult.Up.class, probe("127.0.0.1", spec));
        assertEquals(
                "HttpProbe[GET https://127.0.0.1:" + https + "/ host hachyderm.test insecure]",
                bind("127.0.0.1", spec).toString());
    }

    @Test
    void anUnreadableCaFileIsAConfigurationError() {
        CheckConfig check =
                CheckConfig.of("nginx", HttpSpec.of("https://{address}/").withCaFile(dir.resolve("missing.pem")));
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(
                IllegalArgumentException.class,
                () -> Probe.create(
                        PopTarget.of("hq", "127.0.0.1", List.of(check)), check, Clock.systemUTC(), Map.of()));
        assertEquals(
                "ca-file: " + dir.resolve("missing.pem") + ": cannot read (NoSuchFileException: "
                        + dir.resolve("missing.pem") + ")",
                e.getMessage());
    }

    @Test
    void aStoppedNginxRefusesConnections() throws IOException {
        try (TempDir own = new TempDir("popdns-nginx-stopped-")) {
            int port = Ports.free();
            HttpSpec spec = HttpSpec.of("http://{address}:" + port + "/").withHost(HOST);
            try (NginxServer stopping = NginxServer.start(own.path(), """
                    server { listen 127.0.0.1:%d; location = / { return 200 "ok\\n"; } }
                    """.formatted(port), port)) {
                assertInstanceOf(ProbeResult.Up.class, probe("127.0.0.1", spec));
            }
            assertDown("connect: Connection refused", probe("127.0.0.1", spec));
        }
    }

    private static ProbeResult.Down assertDown(String reason, ProbeResult result) {
        ProbeResult.Down down = assertInstanceOf(ProbeResult.Down.class, result, () -> "expected DOWN: " + reason);
        assertEquals(reason, down.reason());
        return down;
    }

    private static ProbeResult probe(String address, HttpSpec spec) {
        return bind(address, spec).probe();
    }

    private static Probe bind(String address, HttpSpec spec) {
        return bind(address, spec, GENEROUS);
    }

    private static Probe bind(String address, HttpSpec spec, Duration timeout) {
        CheckConfig check = new CheckConfig("nginx", spec, new CheckTiming(Duration.ofSeconds(10), timeout, 2, 3));
        return Probe.create(PopTarget.of("eu-west", address, List.of(check)), check, Clock.systemUTC(), Map.of());
    }
}
