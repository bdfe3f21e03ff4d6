package dev.popdns.health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
        Programs.require("ruby", "ruby");
        Path puma = Programs.require("puma", "puma");
        try (TempDir dir = new TempDir("popdns-puma-")) {
            Files.writeString(dir.resolve("config.ru"), """
                    run lambda { |env|
                      if env['PATH_INFO'] == '/health'
                        [200, { 'content-type' => 'text/plain' }, ['OK']]
                      else
                        [404, { 'content-type' => 'text/plain' }, ['not found']]
                      end
                    }
                    """);
            int port = Ports.free();
            Probe health = bind(HttpSpec.of("http://{address}:" + port + "/health")
                    .withHost("hachyderm.test")
                    .withBody("OK"));
            Probe missing = bind(HttpSpec.of("http://{address}:" + port + "/nope"));
            Probe tcp = bind(new TcpSpec("{address}:" + port));
            try (ExternalProcess process = ExternalProcess.start(
                    "puma",
                    dir.path(),
                    dir.resolve("puma.log"),
                    List.of(
                            puma.toString(),
                            "--bind",
                            "tcp://127.0.0.1:" + port,
                            "--threads",
                            "1:2",
                            "--environment",
                            "none",
                            "config.ru"))) {
                process.awaitPort("127.0.0.1", port, Duration.ofSeconds(20));

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
