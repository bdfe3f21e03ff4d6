package dev.popdns.geoip;

/**
 * Where a GeoIP database places an address, and how far that answer reaches.
 *
 * <p>Immutable. Coordinates come from a City database only: they are {@code NaN} for a Country
 * database or when the record has none ({@link #hasCoordinates()} tells). Country and continent
 * codes may each be {@code null} when the record lacks them, never both together with the
 * coordinates (such a record is reported as no location).
 *
 * @param latitude degrees north, -90..90, or {@code NaN} when unknown
 * @param longitude degrees east, -180..180, or {@code NaN} when unknown
 * @param countryCode ISO 3166-1 alpha-2 code such as {@code "NL"}, or {@code null}
 * @param continentCode MaxMind continent code ({@code AF AN AS EU NA OC SA}), or {@code null}
 * @param networkPrefixLength prefix length of the database network that holds the address, in
 *     the address's own family: 0..32 for IPv4 (IPv4-mapped IPv6 included), 0..128 for IPv6;
 *     every address of that network has this same location
 */
public record Location(
        double latitude, double longitude, String countryCode, String continentCode, int networkPrefixLength) {

    /** Validates the components; see the record description for the ranges. */
    public Location {
        if (Double.isNaN(latitude) != Double.isNaN(longitude)) {
            throw new IllegalArgumentException(
                    "coordinates: " + latitude + ", " + longitude + " (expected: both known or both NaN)");
        }
        if (latitude < -90 || latitude > 90) {
            throw new IllegalArgumentException("latitude: " + latitude + " (expected: -90..90 or NaN)");
        }
        if (longitude < -180 || longitude > 180) {
            throw new IllegalArgumentException("longitude: " + longitude + " (expected: -180..180 or NaN)");
        }
        if (networkPrefixLength < 0 || networkPrefixLength > 128) {
            throw new IllegalArgumentException("networkPrefixLength: " + networkPrefixLength + " (expected: 0..128)");
        }
    }

    /** Returns whether {@link #latitude()} and {@link #longitude()} are known (a City database). */
    public boolean hasCoordinates() {
        return !Double.isNaN(latitude);
    }
}
