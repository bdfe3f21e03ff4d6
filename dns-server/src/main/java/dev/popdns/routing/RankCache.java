package dev.popdns.routing;

/**
 * PoP rankings by client coordinates, for one {@link RoutingTable}: a four-way set-associative
 * table of immutable entries (a new ranking takes the first slot of its group and pushes the others
 * one slot down, dropping the oldest). GeoIP places many networks at the same coordinates (a city's centre), so
 * some ten thousand entries serve most clients.
 *
 * <p>Hand-written for the query path, like geoip's NetworkCache: ranking afresh costs one haversine
 * (an {@code asin}, two {@code sin}, two {@code cos}) per PoP per geo query, 6 % of popdns's CPU
 * under the ECS benchmark's profile (BENCHMARKS.md); a hit here costs one hash and two compares,
 * and no allocation.
 *
 * <p>Threads: lock-free; readers and writers race on plain slots of immutable entries (final
 * fields, JLS 17.5). The rankings handed out are shared: callers must not modify them.
 */
final class RankCache {
    private static final int SLOTS = 1 << 15;
    private static final int WAYS = 4;

    private record Entry(double latitude, double longitude, int[] order) {
        boolean at(double lat, double lon) {
            return latitude == lat && longitude == lon;
        }
    }

    private final Entry[] slots = new Entry[SLOTS];

    /** The cached ranking for exactly these coordinates, or null. */
    int[] get(double latitude, double longitude) {
        int group = index(latitude, longitude);
        for (int i = group; i < group + WAYS; i++) {
            Entry e = slots[i];
            if (e != null && e.at(latitude, longitude)) {
                return e.order;
            }
        }
        return null;
    }

    /** Caches a ranking; callers put only after a miss, so the key is normally absent. */
    void put(double latitude, double longitude, int[] order) {
        int group = index(latitude, longitude);
        for (int i = group + WAYS - 1; i > group; i--) {
            slots[i] = slots[i - 1];
        }
        slots[group] = new Entry(latitude, longitude, order);
    }

    private static int index(double latitude, double longitude) {
        long h = Double.doubleToRawLongBits(latitude) * 0x9E3779B97F4A7C15L ^ Double.doubleToRawLongBits(longitude);
        h ^= h >>> 33;
        h *= 0xFF51AFD7ED558CCDL;
        h ^= h >>> 33;
        return (int) h & (SLOTS - 1) & -WAYS;
    }
}
