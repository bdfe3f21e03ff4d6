package dev.popdns.health;

import java.time.Duration;

/**
 * When a check runs and how its results are judged; every check has one.
 *
 * <p>Each (PoP, check) pair is probed every {@code interval}; a probe that has not answered
 * within {@code timeout} (connect, TLS and the whole response) has failed. The state goes DOWN
 * after {@code fall} consecutive failures and UP after {@code rise} consecutive successes.
 *
 * @param interval time between two probes of one pair, 100ms..1h (default 2s)
 * @param timeout bound on one probe, 10ms..60s and at most {@code interval} (default 1s)
 * @param rise consecutive successes that turn DOWN into UP, 1..100 (default 2)
 * @param fall consecutive failures that turn UP into DOWN, 1..100 (default 3)
 */
public record CheckTiming(Duration interval, Duration timeout, int rise, int fall) {
    public static final Duration MIN_INTERVAL = Duration.ofMillis(100);
    public static final Duration MAX_INTERVAL = Duration.ofHours(1);
    public static final Duration MIN_TIMEOUT = Duration.ofMillis(10);
    public static final Duration MAX_TIMEOUT = Duration.ofSeconds(60);
    public static final int MAX_RISE_FALL = 100;

    /** interval 2s, timeout 1s, rise 2, fall 3 (docs/DESIGN.md "Health semantics"). */
    public static final CheckTiming DEFAULT = new CheckTiming(Duration.ofSeconds(2), Duration.ofSeconds(1), 2, 3);

    /**
     * Validates every field.
     *
     * @throws IllegalArgumentException such as {@code "interval: 0s (expected: 100ms..1h)"}
     */
    public CheckTiming {
        Validation.requireRange("interval", interval, MIN_INTERVAL, MAX_INTERVAL);
        Duration longestTimeout = MAX_TIMEOUT.compareTo(interval) < 0 ? MAX_TIMEOUT : interval;
        Validation.requireRange("timeout", timeout, MIN_TIMEOUT, longestTimeout);
        Validation.requireRange("rise", rise, 1, MAX_RISE_FALL);
        Validation.requireRange("fall", fall, 1, MAX_RISE_FALL);
    }

    /** A copy with another interval; validates like the constructor. */
    public CheckTiming withInterval(Duration newInterval) {
        return new CheckTiming(newInterval, timeout, rise, fall);
    }

    /** A copy with another timeout; validates like the constructor. */
    public CheckTiming withTimeout(Duration newTimeout) {
        return new CheckTiming(interval, newTimeout, rise, fall);
    }

    /** A copy with another rise; validates like the constructor. */
    public CheckTiming withRise(int newRise) {
        return new CheckTiming(interval, timeout, newRise, fall);
    }

    /** A copy with another fall; validates like the constructor. */
    public CheckTiming withFall(int newFall) {
        return new CheckTiming(interval, timeout, rise, newFall);
    }
}
