package dev.popdns.geoip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class GeoLocatorConfigTest {

    private static final Path DATABASE = Path.of("/var/lib/GeoIP/GeoLite2-City.mmdb");

    @Test
    void pinsEveryDefault() {
        GeoLocatorConfig config = GeoLocatorConfig.withDefaults(DATABASE);

        assertEquals(DATABASE, config.database());
        assertEquals(Duration.ofSeconds(60), config.reloadInterval());
    }

    @Test
    void acceptsTheBoundsOfEveryRange() {
        new GeoLocatorConfig(DATABASE, Duration.ofSeconds(1));
        new GeoLocatorConfig(DATABASE, Duration.ofHours(24));
    }

    @Test
    void rejectsValuesOutOfRangeNamingKeyValueAndExpectation() {
        assertRejected(
                "database: null (expected: the path of a MaxMind City or Country .mmdb file)",
                null,
                Duration.ofSeconds(60));
        assertRejected("reload-interval: PT0.999S (expected: PT1S..PT24H)", DATABASE, Duration.ofMillis(999));
        assertRejected(
                "reload-interval: PT24H0.001S (expected: PT1S..PT24H)",
                DATABASE,
                Duration.ofHours(24).plusMillis(1));
        assertRejected("reload-interval: null (expected: PT1S..PT24H)", DATABASE, null);
    }

    private static void assertRejected(String message, Path database, Duration reloadInterval) {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> new GeoLocatorConfig(database, reloadInterval));
        assertEquals(message, e.getMessage());
    }
}
