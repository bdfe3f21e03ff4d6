package dev.popdns.health;

import java.time.Instant;
import java.util.Optional;

/** What changed between two {@link HealthView}s; handed to {@link HealthListener}s. */
public sealed interface HealthEvent {
    /**
     * A probe reported; every result produces one, so it is what metrics count
     * ({@code popdns_probe_results_total}, {@code popdns_probe_duration_seconds}).
     */
    record ProbeCompleted(String pop, String check, ProbeResult result) implements HealthEvent {}

    /**
     * A pair changed state: its first result, {@code rise}/{@code fall} reached, or a state
     * restored when the prober was found cut off. Logged once by the monitor.
     *
     * @param reason what caused it, such as {@code 3 consecutive failures (fall 3), last: HTTP 503 (expected: 200)}
     */
    record StateChanged(String pop, String check, HealthState from, HealthState to, Instant at, String reason)
            implements HealthEvent {}

    /** A runtime override was set, cleared or expired. Logged once by the monitor. */
    record OverrideChanged(String pop, Optional<AdminOverride> from, Optional<AdminOverride> to, String reason)
            implements HealthEvent {}

    /** The cut-off alarm was raised ({@code cutOff} true) or cleared. Logged once by the monitor. */
    record CutOffChanged(boolean cutOff, Instant at, String reason) implements HealthEvent {}
}
