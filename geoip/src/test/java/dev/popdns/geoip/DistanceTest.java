package dev.popdns.geoip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DistanceTest {

    @ParameterizedTest(name = "{0}: {5} km")
    @CsvSource({
        // route,                latitude1, longitude1, latitude2, longitude2, kilometres
        "Amsterdam-Singapore,    52.3676,     4.9041,    1.3521,   103.8198,  10500",
        "London-New York,        51.5074,    -0.1278,   40.7128,   -74.0060,   5570",
        "Falkenstein-Amsterdam,  50.47,      12.37,     52.37,       4.90,      560",
        "Sydney-Santiago,       -33.8688,   151.2093,  -33.4489,   -70.6693,  11340",
        "across the antimeridian, 0.0,      179.5,       0.0,     -179.5,     111.2",
    })
    void matchesKnownDistancesWithinOnePercent(
            String route, double latitude1, double longitude1, double latitude2, double longitude2, double kilometres) {
        double distance = Distance.kilometres(latitude1, longitude1, latitude2, longitude2);

        assertEquals(kilometres, distance, kilometres * 0.01, route);
        assertEquals(distance, Distance.kilometres(latitude2, longitude2, latitude1, longitude1), route);
    }

    @Test
    void samePointIsZeroAndAntipodesAreHalfACircumference() {
        assertEquals(0.0, Distance.kilometres(52.37, 4.90, 52.37, 4.90));
        assertEquals(Math.PI * Distance.EARTH_RADIUS_KM, Distance.kilometres(0, 0, 0, 180), 1e-6);
        assertEquals(Math.PI * Distance.EARTH_RADIUS_KM, Distance.kilometres(90, 0, -90, 0), 1e-6);
    }

    @Test
    void unknownCoordinatesGiveNaN() {
        assertTrue(Double.isNaN(Distance.kilometres(Double.NaN, Double.NaN, 52.37, 4.90)));
    }
}
