package dev.popdns.health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code http} and {@code tcp} checks against a real Puma running a tiny Rack app whose
 * {@code /health} answers {@code OK}, healthy and then killed as a crash would.
 */
class PumaProbeTest {
    private static final CheckTiming TIMING = new CheckTiming(Duration.ofSeconds(2), Duration.ofSeconds(1), 2, 3);

    @Test
    void healthyThenKilled() throws IOException {
        try (TempDir dir = new TempDir("popdns-puma-")) {
            int port = Ports.free();
            Probe health = bind(HttpSpec.of("http://{address}:" + port + "/health")
                    .withHost("hachyderm.test")
                    .withBody("OK"));
            Probe missing = bind(HttpSpec.of("http://{address}:" + port + "/nope"));
            Probe tcp = bind(new TcpSpec("{address}:" + port));
            try (PumaServer process = PumaServer.start(dir.path(), "127.0.0.1", port)) {
                process.awaitListening(Duration.ofSeconds(20));

                assertInstanceOf(ProbeResult.Up.class, health.probe());
                assertInstanceOf(ProbeResult.Up.class, tcp.probe());
                assertEquals(
                        "HTTP 404 (expected: 200)",
                        assertInstanceOf(ProbeResult.Down.class, missing.probe())
                                .reason());

                process.kill();
                assertTrue(!process.alive());
                assertEquals(
                        "connect: Connection refused",
                        assertInstanceOf(ProbeResult.Down.class, health.probe()).reason());
                assertEquals(
                        "connect: Connection refused",
                        assertInstanceOf(ProbeResult.Down.class, tcp.probe()).reason());
            }
        }
    }

    private static Probe bind(ProbeSpec spec) {
        CheckConfig check = new CheckConfig("puma", spec, TIMING);
        return Probe.create(PopTarget.of("eu-west", "127.0.0.1", List.of(check)), check, Clock.systemUTC(), Map.of());
    }
}
