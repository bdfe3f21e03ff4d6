package dev.popdns.health;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * The raw outcome of one probe: {@link Up} or {@link Down} with a reason. Probes only report;
 * the {@link HealthMonitor} owns rise/fall and the state.
 *
 * <p>Texts in a result never contain a secret: probes replace any password they used by
 * {@code *****} before building the result.
 */
public sealed interface ProbeResult {
    /** When the probe started. */
    Instant at();

    /** How long the probe took, up to the answer or the failure. */
    Duration latency();

    /** The replica lag the probe measured, for {@code postgres-replica} checks that got that far. */
    Optional<Duration> lag();

    /** The target answered as expected. */
    record Up(Instant at, Duration latency, Optional<Duration> lag) implements ProbeResult {
        public Up {
            Validation.requirePresent("at", at);
            Validation.requirePresent("latency", latency);
            Validation.requirePresent("lag", lag);
        }
    }

    /**
     * The target failed, did not answer in time, or answered something else.
     *
     * @param reason one line that names what was seen and what was expected, such as
     *     {@code HTTP 503 (expected: 200)} or {@code connect: Connection refused}
     */
    record Down(Instant at, Duration latency, String reason, Optional<Duration> lag) implements ProbeResult {
        public Down {
            Validation.requirePresent("at", at);
            Validation.requirePresent("latency", latency);
            Validation.requireText("reason", reason);
            Validation.requirePresent("lag", lag);
        }
    }
}
