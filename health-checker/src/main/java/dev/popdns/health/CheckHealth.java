package dev.popdns.health;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * The health of one check at one PoP, as of one {@link HealthView}. Immutable.
 *
 * @param check the check's name
 * @param state UP or DOWN; UNKNOWN only before the first result
 * @param since when the pair entered {@code state} (the start of the monitor while UNKNOWN)
 * @param successes consecutive successes up to now, counted toward {@code rise}
 * @param failures consecutive failures up to now, counted toward {@code fall}; at most one of
 *     the two counts is non-zero, and both are reset while the prober is cut off
 * @param lastResult the latest probe result, if any
 * @param lastFailure the latest failure, kept after the pair recovers, if any
 */
public record CheckHealth(
        String check,
        HealthState state,
        Instant since,
        int successes,
        int failures,
        Optional<ProbeResult> lastResult,
        Optional<ProbeResult.Down> lastFailure) {

    public CheckHealth {
        Validation.requirePresent("check", check);
        Validation.requirePresent("state", state);
        Validation.requirePresent("since", since);
        Validation.requirePresent("lastResult", lastResult);
        Validation.requirePresent("lastFailure", lastFailure);
    }

    /** A pair that has no result yet, UNKNOWN since {@code created}. */
    static CheckHealth unknown(String check, Instant created) {
        return new CheckHealth(check, HealthState.UNKNOWN, created, 0, 0, Optional.empty(), Optional.empty());
    }

    /** Whether the state is UP. */
    public boolean up() {
        return state == HealthState.UP;
    }

    /** The latency of the latest probe. */
    public Optional<Duration> latency() {
        return lastResult.map(ProbeResult::latency);
    }

    /** The replica lag the latest probe measured ({@code postgres-replica} checks only). */
    public Optional<Duration> lag() {
        return lastResult.flatMap(ProbeResult::lag);
    }

    /** The reason of the latest failure, kept after the pair recovers. */
    public Optional<String> lastError() {
        return lastFailure.map(ProbeResult.Down::reason);
    }
}
