package dev.popdns.wire;

/**
 * SipHash-2-4 (Aumasson and Bernstein, 2012): the keyed 64-bit hash RFC 9018 §4.4 names for DNS
 * server cookies.
 *
 * <p>Own code rather than a library: Maven Central has no small, maintained SipHash artifact, and
 * Guava's (a 3 MB dependency) allocates a result object per call. This runs once or twice per
 * query that carries a cookie, over a 20- or 32-byte input; it allocates nothing. Tested against
 * RFC 9018 Appendix A and the reference vectors of the SipHash paper.
 */
final class SipHash {
    private SipHash() {}

    /**
     * SipHash-2-4 of {@code length} bytes of {@code data} from {@code offset}, under the 128-bit
     * key {@code k0 | k1} (each read little-endian from the 16 key bytes, as the reference does).
     */
    static long hash(long k0, long k1, byte[] data, int offset, int length) {
        long v0 = 0x736f6d6570736575L ^ k0;
        long v1 = 0x646f72616e646f6dL ^ k1;
        long v2 = 0x6c7967656e657261L ^ k0;
        long v3 = 0x7465646279746573L ^ k1;
        int end = offset + (length & ~7);
        for (int i = offset; i < end; i += 8) {
            long m = littleEndian(data, i, 8);
            v3 ^= m;
            for (int round = 0; round < 2; round++) {
                v0 += v1;
                v1 = Long.rotateLeft(v1, 13) ^ v0;
                v0 = Long.rotateLeft(v0, 32);
                v2 += v3;
                v3 = Long.rotateLeft(v3, 16) ^ v2;
                v0 += v3;
                v3 = Long.rotateLeft(v3, 21) ^ v0;
                v2 += v1;
                v1 = Long.rotateLeft(v1, 17) ^ v2;
                v2 = Long.rotateLeft(v2, 32);
            }
            v0 ^= m;
        }
        long last = ((long) length << 56) | littleEndian(data, end, length & 7);
        v3 ^= last;
        for (int round = 0; round < 2; round++) {
            v0 += v1;
            v1 = Long.rotateLeft(v1, 13) ^ v0;
            v0 = Long.rotateLeft(v0, 32);
            v2 += v3;
            v3 = Long.rotateLeft(v3, 16) ^ v2;
            v0 += v3;
            v3 = Long.rotateLeft(v3, 21) ^ v0;
            v2 += v1;
            v1 = Long.rotateLeft(v1, 17) ^ v2;
            v2 = Long.rotateLeft(v2, 32);
        }
        v0 ^= last;
        v2 ^= 0xff;
        for (int round = 0; round < 4; round++) {
            v0 += v1;
            v1 = Long.rotateLeft(v1, 13) ^ v0;
            v0 = Long.rotateLeft(v0, 32);
            v2 += v3;
            v3 = Long.rotateLeft(v3, 16) ^ v2;
            v0 += v3;
            v3 = Long.rotateLeft(v3, 21) ^ v0;
            v2 += v1;
            v1 = Long.rotateLeft(v1, 17) ^ v2;
            v2 = Long.rotateLeft(v2, 32);
        }
        return v0 ^ v1 ^ v2 ^ v3;
    }

    /** {@code count} (0..8) bytes from {@code offset} as a little-endian number. */
    static long littleEndian(byte[] data, int offset, int count) {
        long value = 0;
        for (int i = count - 1; i >= 0; i--) {
            value = (value << 8) | (data[offset + i] & 0xffL);
        }
        return value;
    }
}
