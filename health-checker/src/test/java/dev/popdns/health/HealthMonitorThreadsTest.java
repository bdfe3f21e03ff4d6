package dev.popdns.health;

import static dev.popdns.health.RawHttpServer.ascii;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * The production monitor (timer thread, virtual threads, real probes) on real time: targets that
 * accept and never answer do not slow down the others, the first round is bounded, close stops
 * everything.
 */
class HealthMonitorThreadsTest {
    private static final CheckTiming FAST = new CheckTiming(Duration.ofMillis(300), Duration.ofMillis(100), 2, 3);

    @Test
    void hangingTargetsDelayNobody() throws IOException, InterruptedException {
        try (HangingServer hanging = new HangingServer();
                RawHttpServer fine =
                        new RawHttpServer(out -> out.write(ascii("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK")))) {
            List<CheckConfig> checks = List.of(
                    new CheckConfig("hang", HttpSpec.of("http://{address}:" + hanging.port() + "/"), FAST),
                    new CheckConfig(
                            "fine",
                            HttpSpec.of("http://{address}:" + fine.port() + "/").withBody("OK"),
                            FAST));
            HealthConfig config = new HealthConfig(
                    List.of(PopTarget.of("a", "127.0.0.1", checks), PopTarget.of("b", "127.0.0.1", checks)));
            Map<String, List<ProbeResult>> results = new ConcurrentHashMap<>();
            HealthMonitor monitor =
                    HealthMonitor.builder(config).random(new Random(3)).build();
            monitor.addListener((view, events) -> {
                for (HealthEvent event : events) {
                    if (event instanceof HealthEvent.ProbeCompleted completed) {
                        results.computeIfAbsent(
                                        completed.pop() + "/" + completed.check(), k -> new CopyOnWriteArrayList<>())
                                .add(completed.result());
                    }
                }
            });
            try (monitor) {
                long begin = System.nanoTime();
                HealthView first = monitor.start();
                Duration firstRound = Duration.ofNanos(System.nanoTime() - begin);
                assertTrue(
                        firstRound.compareTo(Duration.ofSeconds(2)) < 0,
                        "first round took " + firstRound + " (expected: about 100ms, bounded by 500ms)");
                assertEquals(
                        HealthState.DOWN,
                        first.pop("a").orElseThrow().check("hang").orElseThrow().state());
                assertEquals(
                        HealthState.UP,
                        first.pop("a").orElseThrow().check("fine").orElseThrow().state());
                assertEquals(
                        "timed out after 100ms (during response headers)",
                        first.pop("b")
                                .orElseThrow()
                                .check("hang")
                                .orElseThrow()
                                .lastError()
                                .orElseThrow());

                // at 300ms each pair reports 7 or 8 times in 2.1s on an idle machine; wait (bounded) for 5
                long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
                while (!(everyPairHas(results, 5) && hanging.accepted() >= 12) && System.nanoTime() < deadline) {
                    Thread.sleep(50);
                }
            }
            Map<String, Integer> counts = new ConcurrentHashMap<>();
            for (String pair : List.of("a/hang", "b/hang", "a/fine", "b/fine")) {
                List<ProbeResult> seen = results.get(pair);
                counts.put(pair, seen.size());
                assertTrue(
                        seen.size() >= 5,
                        pair + ": " + seen.size() + " results within 20s at 300ms (expected: 5 or more)");
                for (ProbeResult result : seen) {
                    assertEquals(pair.endsWith("fine"), result instanceof ProbeResult.Up, pair + ": " + result);
                }
            }
            // an absence is seen only over time: two probe intervals with no result after close
            Thread.sleep(FAST.interval().multipliedBy(2).toMillis());
            for (String pair : counts.keySet()) {
                assertEquals(counts.get(pair), results.get(pair).size(), "nothing after close: " + pair);
            }
            assertTrue(hanging.accepted() >= 12, "the hanging server saw the probes: " + hanging.accepted());
        }
    }

    private static boolean everyPairHas(Map<String, List<ProbeResult>> results, int count) {
        for (String pair : List.of("a/hang", "b/hang", "a/fine", "b/fine")) {
            List<ProbeResult> seen = results.get(pair);
            if (seen == null || seen.size() < count) {
                return false;
            }
        }
        return true;
    }
}
