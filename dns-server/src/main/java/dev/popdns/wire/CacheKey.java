package dev.popdns.wire;

import java.util.Arrays;

/**
 * What a cached answer depends on: the question name lower-cased on A-Z only (RFC 4343), type,
 * class and the EDNS facts that change the bytes (OPT present, DO, NSID asked). Equal keys get
 * byte-identical answers except for the id, RD/CD and the question's letter case, which
 * {@link ResponseCache} patches on a hit.
 */
final class CacheKey {
    private static final int EDNS = 1;
    private static final int DO = 2;
    private static final int NSID = 4;

    private final byte[] bytes;
    private final int hash;

    private CacheKey(byte[] bytes) {
        this.bytes = bytes;
        this.hash = Arrays.hashCode(bytes);
    }

    static CacheKey of(Query query) {
        byte[] packet = query.packet();
        int nameLength = query.nameLength();
        byte[] key = new byte[nameLength + 5];
        int offset = query.nameOffset();
        for (int i = 0; i < nameLength; i++) {
            byte b = packet[offset + i];
            // label length octets are <= 63 and never in 'A'..'Z', so they pass through unchanged
            key[i] = b >= 'A' && b <= 'Z' ? (byte) (b + ('a' - 'A')) : b;
        }
        System.arraycopy(packet, offset + nameLength, key, nameLength, 4); // qtype, qclass
        Query.Edns edns = query.edns();
        int bits = 0;
        if (edns != null) {
            bits = EDNS | (edns.dnssecOk() ? DO : 0) | (edns.nsidRequested() ? NSID : 0);
        }
        key[nameLength + 4] = (byte) bits;
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
