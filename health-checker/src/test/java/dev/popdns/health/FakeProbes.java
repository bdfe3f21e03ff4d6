package dev.popdns.health;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Hand-written probes for the monitor's tests: every pair answers UP in 5ms unless a test made
 * it, or every pair at once (a network cut), fail with a reason.
 */
final class FakeProbes implements HealthMonitor.ProbeFactory {
    static final Duration LATENCY = Duration.ofMillis(5);

    private final Clock clock;
    private final Map<String, String> failures = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
    private volatile String everywhere;

    FakeProbes(Clock clock) {
        this.clock = clock;
    }

    /** Makes {@code pop}/{@code check} fail with {@code reason} until {@link #heal}. */
    void fail(String pop, String check, String reason) {
        failures.put(pop + "/" + check, reason);
    }

    void heal(String pop, String check) {
        failures.remove(pop + "/" + check);
    }

    /** Makes every pair fail with {@code reason} (null: back to each pair's own outcome). */
    void failEverywhere(String reason) {
        everywhere = reason;
    }

    int calls(String pop, String check) {
        AtomicInteger count = calls.get(pop + "/" + check);
        return count == null ? 0 : count.get();
    }

    @Override
    public Supplier<ProbeResult> create(PopTarget pop, CheckConfig check) {
        String key = pop.id() + "/" + check.name();
        AtomicInteger count = calls.computeIfAbsent(key, k -> new AtomicInteger());
        return () -> {
            count.incrementAndGet();
            String reason = everywhere != null ? everywhere : failures.get(key);
            return reason == null
                    ? new ProbeResult.Up(clock.instant(), LATENCY, Optional.empty())
                    : new ProbeResult.Down(clock.instant(), LATENCY, reason, Optional.empty());
        };
    }
}
