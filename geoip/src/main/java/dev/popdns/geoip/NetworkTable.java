package dev.popdns.geoip;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Every address of a GeoIP database mapped to a small class id chosen by the caller, with adjacent
 * networks of one class merged into the widest CIDR block that holds only that class. Built once
 * per database and classifier by {@link GeoLocator#buildTable}; immutable afterwards.
 *
 * <p>{@link #find} is the query path's one GeoIP step: an index by the top 16 bits, then a binary
 * search over a few sorted block starts; no MaxMind decode, no cache, no allocation, no lock.
 * Written by hand for that path (BENCHMARKS.md "Geo table"), since a merged table from network to
 * a class is nothing the MaxMind library offers.
 *
 * <p>The layout is chosen for cache lines, since with a different client network per query nearly
 * every lookup misses the CPU caches: 58 ns instead of 70 per IPv4 lookup over 131,072 real
 * networks, 8 instead of 13 over random IPv4 addresses (BENCHMARKS.md "Geo table layout"). The
 * search reads only keys, as densely packed as they go: an IPv4 block's start within its /16 (2
 * bytes, 32 to a line), an IPv6 block's high half; the answer ({@code class << 8 | prefix}) is one
 * read of its own after the search, and a /16 that lies in one block is answered by the index
 * alone. Interleaving each answer with its start (one long per IPv4 block, three per IPv6 block)
 * was measured slower: it spreads the search's keys over two or three times the lines.
 *
 * <p>Its answers equal the database's own lookups: an IPv4-mapped IPv6 address ({@code
 * ::ffff:a.b.c.d}) is found as the IPv4 address with an IPv4 prefix; any other IPv6 address walks
 * the IPv6 tree, where MaxMind aliases of the IPv4 space ({@code ::/96}, {@code 2002::/16}, ...)
 * continue in the IPv4 table as the database's own tree does.
 */
public final class NetworkTable {
    /** A class id at least this large is not a class; the classifier must return below it. */
    public static final int MAX_CLASSES = 0x7F_FFFF;

    /** Internal class of an IPv6 block that continues in the IPv4 table (a MaxMind alias). */
    static final int ALIAS = MAX_CLASSES;

    /** Low half of an index entry whose bucket holds more than one block: search the keys. */
    private static final long SEARCH = 0xFFFF_FFFFL;

    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle INTS = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);

    // IPv4 blocks sorted by start: the start's low 16 bits (its /16 is known from the index) and
    // the answer, class << 8 | prefix.
    private final char[] v4Start;
    private final int[] v4Found;
    // IPv6 blocks sorted by (high, low) unsigned, and their answers.
    private final long[] v6High;
    private final long[] v6Low;
    private final int[] v6Found;
    // By the top 16 bits b: in the high half the first block starting at or after the bucket's
    // first address, so the blocks starting inside bucket b are those from its entry to the next
    // one's, and the block before them holds the bucket's first address; in the low half the answer
    // for the whole bucket when one block covers it, else SEARCH.
    private final long[] v4Index;
    private final long[] v6Index;
    private final long buildNanos;

    NetworkTable(Blocks v4, Blocks v6, long buildNanos) {
        this.v4Start = new char[v4.size];
        this.v4Found = new int[v4.size];
        for (int i = 0; i < v4.size; i++) {
            v4Start[i] = (char) v4.low[i];
            v4Found[i] = found(v4, i);
        }
        v6.trim();
        this.v6High = v6.high;
        this.v6Low = v6.low;
        this.v6Found = new int[v6.size];
        for (int i = 0; i < v6.size; i++) {
            v6Found[i] = found(v6, i);
        }
        this.v4Index = new long[65_537];
        this.v6Index = new long[65_537];
        for (int b = 0, i = 0, j = 0; b < 65_536; b++) {
            long bucket = (long) b << 16;
            while (i < v4.size && v4.low[i] < bucket) {
                i++;
            }
            v4Index[b] = index(v4, i, i < v4.size && v4.low[i] == bucket ? i : i - 1);
            long top = (long) b << 48;
            while (j < v6.size && Long.compareUnsigned(v6.high[j], top) < 0) {
                j++;
            }
            v6Index[b] = index(v6, j, j < v6.size && v6.high[j] == top && v6.low[j] == 0 ? j : j - 1);
        }
        v4Index[65_536] = (long) v4.size << 32 | SEARCH;
        v6Index[65_536] = (long) v6.size << 32 | SEARCH;
        this.buildNanos = buildNanos;
    }

    private static int found(Blocks blocks, int i) {
        return blocks.classes[i] << 8 | (blocks.prefix[i] & 0xFF);
    }

    /**
     * The index entry of a bucket whose blocks start at {@code next} and whose first address lies in
     * block {@code at}: a /16 or shorter block holds all of it (unless an alias, read further).
     */
    private static long index(Blocks blocks, int next, int at) {
        boolean whole = (blocks.prefix[at] & 0xFF) <= 16 && blocks.classes[at] != ALIAS;
        return (long) next << 32 | (whole ? found(blocks, at) : SEARCH);
    }

    /**
     * Returns the class of {@code address} and the prefix length of its merged block, packed as
     * {@code class << 8 | prefix}: read them with {@link #classOf} and {@link #prefixOf}. The prefix
     * is in the address's own family (0..32 for IPv4 and IPv4-mapped addresses, 0..128 for IPv6),
     * and every address of that block has the same class.
     *
     * @param address 4 or 16 bytes, as a DNS packet carries them; not modified
     * @throws IllegalArgumentException for any other length
     */
    public int find(byte[] address) {
        if (address.length == 4) {
            return findV4((int) INTS.get(address, 0));
        }
        if (address.length != 16) {
            throw new IllegalArgumentException("address: " + address.length + " bytes (expected: 4 or 16)");
        }
        return findV6((long) LONGS.get(address, 0), (long) LONGS.get(address, 8));
    }

    /** {@link #find} of the IPv6 address {@code high:low} (big-endian halves), with no array. */
    public int findV6(long high, long low) {
        if (high == 0 && (low >>> 32) == 0xFFFFL) {
            return findV4((int) low);
        }
        int bucket = (int) (high >>> 48);
        long first = v6Index[bucket];
        if ((first & SEARCH) != SEARCH) {
            return (int) first;
        }
        int lo = (int) (first >>> 32) - 1; // the block holding the bucket's first address, unless one starts on it
        int hi = (int) (v6Index[bucket + 1] >>> 32) - 1;
        while (lo < hi) { // last block starting at or before the address
            int mid = (lo + hi + 1) >>> 1;
            long start = v6High[mid];
            if (start != high ? Long.compareUnsigned(start, high) < 0 : Long.compareUnsigned(v6Low[mid], low) <= 0) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        int found = v6Found[lo];
        if (classOf(found) != ALIAS) {
            return found;
        }
        // the 32 bits after the alias prefix are the IPv4 address, as in the database's tree
        int prefix = prefixOf(found);
        long top = prefix == 0 ? high : prefix < 64 ? high << prefix | low >>> (64 - prefix) : low << (prefix - 64);
        int v4Found = findV4((int) (top >>> 32));
        return (v4Found & ~0xFF) | (prefix + (v4Found & 0xFF));
    }

    /** The class id in a {@link #find} result. */
    public static int classOf(int found) {
        return found >>> 8;
    }

    /** The prefix length of the merged block in a {@link #find} result. */
    public static int prefixOf(int found) {
        return found & 0xFF;
    }

    /** {@link #find} of the IPv4 address {@code address} (big-endian, as an int), with no array. */
    public int findV4(int address) {
        int bucket = address >>> 16;
        long first = v4Index[bucket];
        if ((first & SEARCH) != SEARCH) {
            return (int) first;
        }
        int lo = (int) (first >>> 32) - 1;
        int hi = (int) (v4Index[bucket + 1] >>> 32) - 1;
        char key = (char) address;
        while (lo < hi) { // last block starting at or before the address
            int mid = (lo + hi + 1) >>> 1;
            if (v4Start[mid] <= key) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return v4Found[lo];
    }

    /** Merged IPv4 blocks plus IPv6 blocks (aliases of the IPv4 space included). */
    public int networks() {
        return v4Found.length + v6Found.length;
    }

    /** How long the build took (tree walk, decoding each distinct record once, classification). */
    public long buildNanos() {
        return buildNanos;
    }

    /** Heap held by the arrays, in bytes (for the budget in BENCHMARKS.md). */
    public long bytes() {
        return 6L * v4Found.length + 20L * v6Found.length + 8L * (v4Index.length + v6Index.length);
    }

    /** Blocks in address order, as the tree walk emits them; growable, for the build only. */
    static final class Blocks {
        long[] high = new long[1024];
        long[] low = new long[1024];
        byte[] prefix = new byte[1024];
        int[] classes = new int[1024];
        int size;

        void add(long h, long l, int p, int c) {
            if (size == high.length) {
                int n = size * 2;
                high = Arrays.copyOf(high, n);
                low = Arrays.copyOf(low, n);
                prefix = Arrays.copyOf(prefix, n);
                classes = Arrays.copyOf(classes, n);
            }
            high[size] = h;
            low[size] = l;
            prefix[size] = (byte) p;
            classes[size] = c;
            size++;
        }

        void removeLast() {
            size--;
        }

        /** Cuts the arrays to the blocks held: the doubling left up to half of them empty. */
        void trim() {
            high = Arrays.copyOf(high, size);
            low = Arrays.copyOf(low, size);
            prefix = Arrays.copyOf(prefix, size);
            classes = Arrays.copyOf(classes, size);
        }
    }
}
