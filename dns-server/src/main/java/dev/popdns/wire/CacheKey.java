package dev.popdns.wire;

import java.util.Arrays;

/**
 * What a cached answer depends on: the question name lower-cased on A-Z only (RFC 4343), type,
 * class, the EDNS facts that change the bytes (OPT present, DO, NSID asked, the client subnet's
 * family and source prefix) and the routing decision. Equal keys get byte-identical answers except
 * for the id, RD/CD, the question's letter case and the client subnet's address and scope, which
 * {@link ResponseEncoder#fromCache} patches on a hit.
 *
 * <p>Built in two steps so that the router can match the lower-cased name before the key is
 * complete, with one array per query: {@link #lowerName} then {@link #finish}.
 */
final class CacheKey {
    private static final int EDNS = 1;
    private static final int DO = 2;
    private static final int NSID = 4;
    /** Bytes after the name: qtype, qclass, EDNS bits, subnet family, subnet source prefix, decision. */
    private static final int TAIL = 8;

    private final byte[] bytes;
    private final int hash;

    private CacheKey(byte[] bytes) {
        this.bytes = bytes;
        this.hash = Arrays.hashCode(bytes);
    }

    /** The question name in wire form, lower case, at the start of an array with room for the rest of the key. */
    static byte[] lowerName(Query query) {
        byte[] packet = query.packet();
        int nameLength = query.nameLength();
        byte[] key = new byte[nameLength + TAIL];
        int offset = query.nameOffset();
        for (int i = 0; i < nameLength; i++) {
            byte b = packet[offset + i];
            // label length octets are <= 63 and never in 'A'..'Z', so they pass through unchanged
            key[i] = b >= 'A' && b <= 'Z' ? (byte) (b + ('a' - 'A')) : b;
        }
        return key;
    }

    /**
     * Completes the key begun by {@link #lowerName}.
     *
     * @param decision 0 when the name is not routed, else a value that differs per routing outcome,
     *     at most 255 (pops.yaml declares at most {@code PopsConfig.MAX_POPS} = 254 PoPs)
     */
    static CacheKey finish(byte[] key, Query query, int decision) {
        int nameLength = query.nameLength();
        System.arraycopy(query.packet(), query.nameOffset() + nameLength, key, nameLength, 4); // qtype, qclass
        Query.Edns edns = query.edns();
        if (edns != null) {
            key[nameLength + 4] = (byte) (EDNS | (edns.dnssecOk() ? DO : 0) | (edns.nsidRequested() ? NSID : 0));
            Query.ClientSubnet subnet = edns.subnet();
            if (subnet != null) {
                key[nameLength + 5] = (byte) subnet.family();
                key[nameLength + 6] = (byte) subnet.sourcePrefix();
            }
        }
        key[nameLength + 7] = (byte) decision;
        return new CacheKey(key);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CacheKey k && hash == k.hash && Arrays.equals(bytes, k.bytes);
    }

    @Override
    public int hashCode() {
        return hash;
    }
}
