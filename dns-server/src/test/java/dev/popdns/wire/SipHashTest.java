package dev.popdns.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class SipHashTest {
    /** The key of the SipHash paper's test vectors: bytes 00..0f. */
    private static final long K0 = 0x0706050403020100L;

    private static final long K1 = 0x0f0e0d0c0b0a0908L;

    @Test
    void theEmptyMessageOfTheReferenceVectors() {
        assertEquals(0x726fdb47dd0e0e31L, SipHash.hash(K0, K1, new byte[0], 0, 0));
    }

    @Test
    void theFifteenByteMessageOfThePaper() {
        byte[] message = new byte[15];
        for (int i = 0; i < message.length; i++) {
            message[i] = (byte) i;
        }
        // SipHash paper, Appendix A: message 00..0e under key 00..0f
        assertEquals(0xa129ca6149be45e5L, SipHash.hash(K0, K1, message, 0, message.length));
    }

    @Test
    void readsOnlyTheGivenRange() {
        byte[] framed = new byte[17];
        for (int i = 0; i < 15; i++) {
            framed[i + 1] = (byte) i;
        }
        framed[0] = 0x55;
        framed[16] = 0x55;
        assertEquals(0xa129ca6149be45e5L, SipHash.hash(K0, K1, framed, 1, 15));
    }
}
