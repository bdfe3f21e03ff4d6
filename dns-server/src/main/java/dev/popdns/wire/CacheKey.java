package dev.popdns.wire;

import java.util.Arrays;

/**
 * What a cached answer depends on: the question name lower-cased on A-Z only (RFC 4343), type,
 * class, the EDNS facts that change the bytes (OPT present, DO, NSID asked, the client subnet's
 * family and source prefix) and the routing decision. Equal keys get byte-identical answers except
 * for the id, RD/CD, the question's letter case and the client subnet's address and scope, which
 * {@link ResponseEncoder#fromCache} patches on a hit.
 *
 * <p>A query fills a {@link #probe} of its thread in two steps, so that the router can match the
 * lower-cased name before the key is complete ({@link #lowerName}, then {@link #finish}); the
 * cache is asked with the probe and stores a {@link #copy}. A hit allocates no key: measured at a
 * fifth of the query path's allocation (BENCHMARKS.md "Geo table").
 */
final class CacheKey {
    private static final int EDNS = 1;
    private static final int DO = 2;
    private static final int NSID = 4;
    /** Bytes after the name: qtype, qclass, EDNS bits, subnet family, subnet source prefix, decision. */
    private static final int TAIL = 8;
    /** The longest name in wire form (RFC 1035 §2.3.4). */
    private static final int MAX_NAME = 255;

    private final byte[] bytes;
    private int length;
    private int hash;

    private CacheKey(byte[] bytes, int length, int hash) {
        this.bytes = bytes;
        this.length = length;
        this.hash = hash;
    }

    /** An empty key to fill and refill on one thread; never stored. */
    static CacheKey probe() {
        return new CacheKey(new byte[MAX_NAME + TAIL], 0, 0);
    }

    /**
     * Writes the question name in wire form, lower case, at the start of this probe and returns
     * the probe's array (the name is its first {@code query.nameLength()} bytes).
     */
    byte[] lowerName(Query query) {
        byte[] packet = query.packet();
        int nameLength = query.nameLength();
        int offset = query.nameOffset();
        for (int i = 0; i < nameLength; i++) {
            byte b = packet[offset + i];
            // label length octets are <= 63 and never in 'A'..'Z', so they pass through unchanged
            bytes[i] = b >= 'A' && b <= 'Z' ? (byte) (b + ('a' - 'A')) : b;
        }
        return bytes;
    }

    /**
     * Completes the key begun by {@link #lowerName} and returns this probe.
     *
     * @param decision 0 when the name is not routed, else a value that differs per routing outcome,
     *     at most 255 (pops.yaml declares at most {@code PopsConfig.MAX_POPS} = 254 PoPs)
     */
    CacheKey finish(Query query, int decision) {
        int nameLength = query.nameLength();
        System.arraycopy(query.packet(), query.nameOffset() + nameLength, bytes, nameLength, 4); // qtype, qclass
        Arrays.fill(bytes, nameLength + 4, nameLength + TAIL, (byte) 0);
        Query.Edns edns = query.edns();
        if (edns != null) {
            bytes[nameLength + 4] = (byte) (EDNS | (edns.dnssecOk() ? DO : 0) | (edns.nsidRequested() ? NSID : 0));
            Query.ClientSubnet subnet = edns.subnet();
            if (subnet != null) {
                bytes[nameLength + 5] = (byte) subnet.family();
                bytes[nameLength + 6] = (byte) subnet.sourcePrefix();
            }
        }
        bytes[nameLength + 7] = (byte) decision;
        length = nameLength + TAIL;
        hash = hash(bytes, length);
        return this;
    }

    /** This key as an immutable one of its own, to store. */
    CacheKey copy() {
        return new CacheKey(Arrays.copyOf(bytes, length), length, hash);
    }

    private static int hash(byte[] bytes, int length) {
        int h = 1;
        for (int i = 0; i < length; i++) {
            h = 31 * h + bytes[i];
        }
        return h;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CacheKey k && hash == k.hash && Arrays.equals(bytes, 0, length, k.bytes, 0, k.length);
    }

    @Override
    public int hashCode() {
        return hash;
    }
}
