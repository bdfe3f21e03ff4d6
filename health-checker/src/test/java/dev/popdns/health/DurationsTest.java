package dev.popdns.health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DurationsTest {
    @ParameterizedTest(name = "{0} = {1} ms -> {2}")
    @CsvSource({
        "0s,      0,         0s",
        "0ms,     0,         0s",
        "100ms,   100,       100ms",
        "1500ms,  1500,      1500ms",
        "2000ms,  2000,      2s",
        "30s,     30000,     30s",
        "90s,     90000,     90s",
        "120s,    120000,    2m",
        "1m,      60000,     1m",
        "1h,      3600000,   1h",
        "24h,     86400000,  24h",
    })
    void parseAndFormat(String text, long millis, String canonical) {
        assertEquals(Duration.ofMillis(millis), Durations.parse(text));
        assertEquals(canonical, Durations.format(Duration.ofMillis(millis)));
        assertEquals(Duration.ofMillis(millis), Durations.parse(Durations.format(Duration.ofMillis(millis))));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "s", "2", "2 s", "-1s", "1.5s", "2d", "2S", "1000000000000000s"})
    void rejectsOtherForms(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Durations.parse(text));
        assertEquals(
                "duration: '" + text + "' (expected: a whole number and ms, s, m or h, like 2s or 100ms)",
                e.getMessage());
    }

    @ParameterizedTest
    @CsvSource({"-1500, -1500ms", "-2000, -2s"})
    void formatsNegativeDurations(long millis, String text) {
        assertEquals(text, Durations.format(Duration.ofMillis(millis)));
    }
}
