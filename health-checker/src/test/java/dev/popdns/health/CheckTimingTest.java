package dev.popdns.health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CheckTimingTest {
    @Test
    void defaultsArePinned() {
        assertEquals(new CheckTiming(Duration.ofSeconds(2), Duration.ofSeconds(1), 2, 3), CheckTiming.DEFAULT);
    }

    @ParameterizedTest(name = "{0} {1} {2} {3}")
    @CsvSource(
            delimiter = '|',
            value = {
                "0s    | 1s    | 2   | 3   | interval: 0s (expected: 100ms..1h)",
                "99ms  | 10ms  | 2   | 3   | interval: 99ms (expected: 100ms..1h)",
                "2h    | 1s    | 2   | 3   | interval: 2h (expected: 100ms..1h)",
                "2s    | 9ms   | 2   | 3   | timeout: 9ms (expected: 10ms..2s)",
                "2s    | 3s    | 2   | 3   | timeout: 3s (expected: 10ms..2s)",
                "5m    | 61s   | 2   | 3   | timeout: 61s (expected: 10ms..1m)",
                "2s    | 1s    | 0   | 3   | rise: 0 (expected: 1..100)",
                "2s    | 1s    | 2   | 101 | fall: 101 (expected: 1..100)",
            })
    void invalidValuesAreNamedWithTheirRange(String interval, String timeout, int rise, int fall, String message) {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> new CheckTiming(Durations.parse(interval), Durations.parse(timeout), rise, fall));
        assertEquals(message, e.getMessage());
    }

    @Test
    void boundsAreInclusive() {
        new CheckTiming(Duration.ofMillis(100), Duration.ofMillis(10), 1, 1);
        new CheckTiming(Duration.ofHours(1), Duration.ofSeconds(60), 100, 100);
        new CheckTiming(Duration.ofSeconds(1), Duration.ofSeconds(1), 2, 3);
    }

    @Test
    void missingDurationsAreNamed() {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> new CheckTiming(Duration.ofSeconds(2), null, 2, 3));
        assertEquals("timeout: missing (expected: 10ms..2s)", e.getMessage());
    }
}
