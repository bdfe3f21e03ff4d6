package dev.popdns.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Every error counted by stage; one log line a minute at most, on fake time. */
class InternalErrorsTest {
    private long now = 5_000;

    @Test
    void countsEveryErrorAndLogsTheFirstOfEachMinute() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        InternalErrors errors = new InternalErrors(registry, () -> now);
        RuntimeException bug = new IllegalStateException("bug");

        assertTrue(errors.record(InternalErrors.Stage.ANSWER, bug), "the first error is logged");
        now += TimeUnit.SECONDS.toNanos(59);
        assertFalse(errors.record(InternalErrors.Stage.ANSWER, bug), "within the minute: counted only");
        assertFalse(errors.record(InternalErrors.Stage.ENCODE, bug), "the gate is shared by all stages");
        now += TimeUnit.SECONDS.toNanos(1);
        assertTrue(errors.record(InternalErrors.Stage.DECODE, bug), "a minute after the last logged one");
        assertFalse(errors.record(InternalErrors.Stage.ANSWER, bug));

        assertEquals(3, errors.count(InternalErrors.Stage.ANSWER));
        assertEquals(1, errors.count(InternalErrors.Stage.ENCODE));
        assertEquals(1, errors.count(InternalErrors.Stage.DECODE));
        assertEquals(
                3.0,
                registry.get("popdns_internal_errors")
                        .tag("stage", "answer")
                        .counter()
                        .count());
    }

    @Test
    void everyStageIsRegisteredAtZeroBeforeAnyError() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        new InternalErrors(registry, () -> now);
        for (String stage : new String[] {"decode", "answer", "encode"}) {
            assertEquals(
                    0.0,
                    registry.get("popdns_internal_errors")
                            .tag("stage", stage)
                            .counter()
                            .count(),
                    stage);
        }
    }
}
