package dev.popdns.geoip;

/**
 * The per-network cache of GeoIP answers: an eight-way set-associative table of immutable entries.
 * A masked address hashes to a group of eight adjacent slots (32 bytes of references); a new
 * answer goes to the first slot of its group and pushes the others one slot down, dropping the
 * oldest, so networks that share a group do not evict each other on every query. (Four ways let
 * groups that drew five or more of a cyclic set of networks miss on every pass: 7 % of the
 * dnsperf benchmark's lookups.)
 *
 * <p>Hand-written instead of Caffeine (which the rest of popdns uses) because this sits on the
 * query path of every geo-routed answer and measurement showed the library's cost: with JMH on the
 * pinned GeoLite2-City ({@code GeoLocatorBenchmark}, BENCHMARKS.md "GeoIP lookups", machine idle),
 * a cached lookup took 161 ns and 82 bytes with Caffeine (up to three probe keys allocated and
 * hashed, the frequency sketch updated) and 55 ns with this table, a new network 2,081 ns with
 * Caffeine (put and eviction on top of the database read) and 1,607 ns with this table. It needs
 * no key objects, no sketch and no maintenance.
 *
 * <p>Threads: lock-free. Readers and writers race on plain array slots; an entry's fields are
 * final, so a reader sees either a whole old entry, a whole new one, or null (JLS 17.5). A lost
 * write only costs a later lookup.
 *
 * <p>Size: the configured number of networks rounded up to a power of two (at least 8).
 */
final class NetworkCache {
    private static final int WAYS = 8;

    private final Entry[] slots;
    private final int mask;

    /** One cached answer: the network key and its location, or null for "no location". */
    private record Entry(long high, long low, int prefixLength, Location location) {
        boolean matches(long h, long l, int p) {
            return high == h && low == l && prefixLength == p;
        }
    }

    /** A miss, distinct from a cached "no location". */
    static final Object MISS = new Object();

    NetworkCache(int capacity) {
        int size = Math.max(WAYS, Integer.highestOneBit(Math.max(1, capacity) - 1) << 1);
        size = Math.min(size, 1 << 30);
        this.slots = new Entry[size];
        this.mask = size - 1;
    }

    /**
     * Returns the cached location of the network of {@code prefixLength} bits around the address
     * {@code high:low} (already masked by the caller), a {@code null} location when the database
     * had none, or {@link #MISS}.
     */
    Object get(long high, long low, int prefixLength) {
        int group = index(high, low, prefixLength);
        for (int i = group; i < group + WAYS; i++) {
            Entry e = slots[i];
            if (e != null && e.matches(high, low, prefixLength)) {
                return e.location;
            }
        }
        return MISS;
    }

    /** Caches {@code location} (may be null) for the network {@code high:low/prefixLength}, already masked. */
    void put(long high, long low, int prefixLength, Location location) {
        int group = index(high, low, prefixLength);
        Entry entry = new Entry(high, low, prefixLength, location);
        for (int i = group; i < group + WAYS; i++) {
            Entry e = slots[i];
            if (e != null && e.matches(high, low, prefixLength)) {
                slots[i] = entry;
                return;
            }
        }
        for (int i = group + WAYS - 1; i > group; i--) {
            slots[i] = slots[i - 1];
        }
        slots[group] = entry;
    }

    /** The upper half of a 128-bit address masked to {@code prefixLength} bits (0..128). */
    static long maskHigh(long high, int prefixLength) {
        return prefixLength >= 64 ? high : high & mask(prefixLength);
    }

    /** The lower half of a 128-bit address masked to {@code prefixLength} bits (0..128). */
    static long maskLow(long low, int prefixLength) {
        return prefixLength <= 64 ? 0 : low & mask(prefixLength - 64);
    }

    private static long mask(int bits) {
        return bits == 0 ? 0 : -1L << (64 - bits);
    }

    /** Filled slots, counted now: O(size), for stats and metrics only. */
    long size() {
        long n = 0;
        for (Entry e : slots) {
            if (e != null) {
                n++;
            }
        }
        return n;
    }

    /** Number of slots. */
    int slots() {
        return slots.length;
    }

    private int index(long high, long low, int prefixLength) {
        // a 64-bit mix (the finaliser of MurmurHash3) of both halves and the prefix length
        long h = high * 0x9E3779B97F4A7C15L ^ low ^ ((long) prefixLength << 56);
        h ^= h >>> 33;
        h *= 0xFF51AFD7ED558CCDL;
        h ^= h >>> 33;
        h *= 0xC4CEB9FE1A85EC53L;
        h ^= h >>> 33;
        return (int) h & mask & -WAYS;
    }
}
