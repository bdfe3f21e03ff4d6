package dev.popdns.geoip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LocationTest {

    @Test
    void coordinatesAreKnownOrNaNTogether() {
        assertTrue(new Location(52.37, 4.90, "NL", "EU", 16).hasCoordinates());
        assertFalse(new Location(Double.NaN, Double.NaN, "NL", "EU", 16).hasCoordinates());
        assertRejected(
                "coordinates: 52.37, NaN (expected: both known or both NaN)",
                () -> new Location(52.37, Double.NaN, "NL", "EU", 16));
    }

    @Test
    void rejectsValuesOutOfRange() {
        assertRejected("latitude: 90.5 (expected: -90..90 or NaN)", () -> new Location(90.5, 0, "NL", "EU", 16));
        assertRejected("longitude: -180.5 (expected: -180..180 or NaN)", () -> new Location(0, -180.5, "NL", "EU", 16));
        assertRejected("networkPrefixLength: 129 (expected: 0..128)", () -> new Location(0, 0, "NL", "EU", 129));
    }

    private static void assertRejected(String message, Runnable construction) {
        assertEquals(
                message,
                assertThrows(IllegalArgumentException.class, construction::run).getMessage());
    }
}
