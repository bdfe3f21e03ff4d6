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

    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle INTS = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);

    // IPv4 blocks, sorted by start as unsigned ints; v4Index[b] is the last block starting at or
    // before b << 16, so the block of an address in bucket b lies in v4Index[b]..v4Index[b + 1].
    private final int[] v4Start;
    private final byte[] v4Prefix;
    private final int[] v4Class;
    private final int[] v4Index;
    // IPv6 blocks, sorted by (high, low) unsigned, indexed the same way by the top 16 bits.
    private final long[] v6High;
    private final long[] v6Low;
    private final byte[] v6Prefix;
    private final int[] v6Class;
    private final int[] v6Index;
    private final long buildNanos;

    NetworkTable(Blocks v4, Blocks v6, long buildNanos) {
        this.v4Start = new int[v4.size];
        for (int i = 0; i < v4.size; i++) {
            v4Start[i] = (int) v4.low[i];
        }
        v4.trim();
        v6.trim();
        this.v4Prefix = v4.prefix;
        this.v4Class = v4.classes;
        this.v4Index = new int[65_537];
        this.v6High = v6.high;
        this.v6Low = v6.low;
        this.v6Prefix = v6.prefix;
        this.v6Class = v6.classes;
        this.v6Index = new int[65_537];
        for (int b = 0, i = 0, j = 0; b < 65_536; b++) {
            int bucket = b << 16;
            while (i + 1 < v4Start.length && Integer.compareUnsigned(v4Start[i + 1], bucket) <= 0) {
                i++;
            }
            v4Index[b] = i;
            long top = (long) b << 48;
            while (j + 1 < v6High.length
                    && (Long.compareUnsigned(v6High[j + 1], top) < 0 || v6High[j + 1] == top && v6Low[j + 1] == 0)) {
                j++;
            }
            v6Index[b] = j;
        }
        v4Index[65_536] = Math.max(0, v4Start.length - 1);
        v6Index[65_536] = Math.max(0, v6High.length - 1);
        this.buildNanos = buildNanos;
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
        int i = search(high, low);
        int prefix = v6Prefix[i] & 0xFF;
        if (v6Class[i] != ALIAS) {
            return v6Class[i] << 8 | prefix;
        }
        // the 32 bits after the alias prefix are the IPv4 address, as in the database's tree
        long top = prefix == 0 ? high : prefix < 64 ? high << prefix | low >>> (64 - prefix) : low << (prefix - 64);
        int found = findV4((int) (top >>> 32));
        return (found & ~0xFF) | (prefix + (found & 0xFF));
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
        int lo = v4Index[bucket];
        int hi = v4Index[bucket + 1];
        while (lo < hi) { // last block starting at or before the address
            int mid = (lo + hi + 1) >>> 1;
            if (Integer.compareUnsigned(v4Start[mid], address) <= 0) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return v4Class[lo] << 8 | (v4Prefix[lo] & 0xFF);
    }

    private int search(long high, long low) {
        int bucket = (int) (high >>> 48);
        int lo = v6Index[bucket];
        int hi = v6Index[bucket + 1];
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            int c = Long.compareUnsigned(v6High[mid], high);
            if (c < 0 || c == 0 && Long.compareUnsigned(v6Low[mid], low) <= 0) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }

    /** Merged IPv4 blocks plus IPv6 blocks (aliases of the IPv4 space included). */
    public int networks() {
        return v4Start.length + v6High.length;
    }

    /** How long the build took (tree walk, decoding each distinct record once, classification). */
    public long buildNanos() {
        return buildNanos;
    }

    /** Heap held by the arrays, in bytes (for the budget in BENCHMARKS.md). */
    public long bytes() {
        return 9L * v4Start.length + 21L * v6High.length + 8L * 65_537 * 2;
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
