package dev.popdns.wire;

import io.netty.buffer.ByteBuf;
import java.net.InetAddress;
import java.security.SecureRandom;
import java.util.function.LongSupplier;

/**
 * DNS cookies (RFC 7873) with interoperable server cookies (RFC 9018): checks the COOKIE option
 * of a query and writes the one of its answer.
 *
 * <p>A version-1 server cookie is {@code version(1) | reserved(3) | timestamp(4) | hash(8)}, the
 * hash being SipHash-2-4 under the server secret over {@code client cookie | version | reserved |
 * timestamp | client address}. A cookie is valid for an hour after its timestamp and accepted up
 * to five minutes ahead of our clock (another nameserver's clock may run ahead); one older than
 * half an hour is replaced by a fresh one in the answer (RFC 9018 §4.3). Nameservers that share
 * the secret accept each other's cookies.
 *
 * <p>Threads: immutable, shared by every query thread. A check or a fresh cookie costs one SipHash
 * over at most 32 bytes and one small array; the clock is injected for tests.
 */
public final class Cookies {
    /** EDNS option code of COOKIE (RFC 7873 §4). */
    static final int OPTION_CODE = 10;

    static final int CLIENT_LENGTH = 8;
    static final int SERVER_LENGTH = 16;
    /** The COOKIE option of our answers: code, length, client cookie, server cookie. */
    static final int OPTION_LENGTH = 4 + CLIENT_LENGTH + SERVER_LENGTH;
    /** Bytes of the secret (a SipHash key). */
    public static final int SECRET_LENGTH = 16;

    static final int LIFETIME_SECONDS = 3600;
    static final int FUTURE_SECONDS = 300;
    static final int REISSUE_SECONDS = 1800;

    /** The query had no COOKIE option. */
    static final int NONE = 0;
    /** Only a client cookie, or a server cookie that is not ours or has expired: a fresh one goes back. */
    static final int CLIENT_ONLY = 1;
    /** A server cookie of ours, current: echoed back as it came. */
    static final int VALID = 2;
    /** A server cookie of ours, valid but older than half an hour: a fresh one goes back. */
    static final int VALID_WORN = 3;
    /** A server cookie that is not ours, expired or from too far ahead. */
    static final int INVALID = 4;

    private static final int VERSION = 1;

    private final long k0;
    private final long k1;
    private final LongSupplier epochSeconds;

    /**
     * @param secret       16 bytes (a SipHash-2-4 key, read as the reference reads it)
     * @param epochSeconds the clock, in seconds since 1970
     */
    public Cookies(byte[] secret, LongSupplier epochSeconds) {
        if (secret.length != SECRET_LENGTH) {
            throw new IllegalArgumentException(
                    "cookie secret: " + secret.length + " bytes (expected: " + SECRET_LENGTH + ")");
        }
        this.k0 = SipHash.littleEndian(secret, 0, 8);
        this.k1 = SipHash.littleEndian(secret, 8, 8);
        this.epochSeconds = epochSeconds;
    }

    /** Cookies under a random secret: valid only at this server until it restarts. */
    public static Cookies random() {
        byte[] secret = new byte[SECRET_LENGTH];
        new SecureRandom().nextBytes(secret);
        return new Cookies(secret, () -> System.currentTimeMillis() / 1000);
    }

    /** Whether {@code length} bytes of COOKIE option data are well formed (RFC 7873 §5.2.2). */
    static boolean wellFormed(int length) {
        return length == CLIENT_LENGTH || (length >= CLIENT_LENGTH + 8 && length <= CLIENT_LENGTH + 32);
    }

    /**
     * Judges the well-formed COOKIE option data at {@code offset} ({@code length} bytes) of a
     * query from {@code client}: {@link #CLIENT_ONLY}, {@link #VALID}, {@link #VALID_WORN} or
     * {@link #INVALID}.
     */
    int check(byte[] packet, int offset, int length, InetAddress client) {
        if (length == CLIENT_LENGTH) {
            return CLIENT_ONLY;
        }
        int server = offset + CLIENT_LENGTH;
        if (length != CLIENT_LENGTH + SERVER_LENGTH || packet[server] != VERSION) {
            return INVALID; // another server's format, or another version
        }
        long timestamp =
                (QueryDecoder.u16(packet, server + 4) << 16 | QueryDecoder.u16(packet, server + 6)) & 0xffffffffL;
        // RFC 9018 §4.3: serial number arithmetic on the 32-bit timestamp
        int age = (int) (epochSeconds.getAsLong() - timestamp);
        if (age > LIFETIME_SECONDS || age < -FUTURE_SECONDS) {
            return INVALID;
        }
        long expected = hash(packet, offset, packet, server, client);
        if (expected != SipHash.littleEndian(packet, server + 8, 8)) {
            return INVALID;
        }
        return age >= REISSUE_SECONDS ? VALID_WORN : VALID;
    }

    /**
     * Writes our COOKIE option (code, length and data) for a query whose option data starts at
     * {@code offset}: the client cookie, then the query's server cookie when {@code status} is
     * {@link #VALID}, else a fresh one stamped now.
     */
    void write(ByteBuf out, byte[] packet, int offset, int status, InetAddress client) {
        out.writeShort(OPTION_CODE);
        out.writeShort(CLIENT_LENGTH + SERVER_LENGTH);
        out.writeBytes(packet, offset, CLIENT_LENGTH);
        if (status == VALID) {
            out.writeBytes(packet, offset + CLIENT_LENGTH, SERVER_LENGTH);
            return;
        }
        byte[] fresh = fresh(packet, offset, epochSeconds.getAsLong(), client);
        out.writeBytes(fresh);
    }

    /** A fresh server cookie for the client cookie at {@code offset}, stamped {@code now}. */
    byte[] fresh(byte[] packet, int offset, long now, InetAddress client) {
        byte[] server = new byte[SERVER_LENGTH];
        server[0] = VERSION;
        server[4] = (byte) (now >>> 24);
        server[5] = (byte) (now >>> 16);
        server[6] = (byte) (now >>> 8);
        server[7] = (byte) now;
        long h = hash(packet, offset, server, 0, client);
        for (int i = 0; i < 8; i++) {
            server[8 + i] = (byte) (h >>> (8 * i)); // SipHash output is written little-endian
        }
        return server;
    }

    /** SipHash of client cookie | version | reserved | timestamp | client address. */
    private long hash(byte[] clientSource, int clientOffset, byte[] serverSource, int serverOffset, InetAddress a) {
        byte[] address = a.getAddress();
        byte[] input = new byte[CLIENT_LENGTH + 8 + address.length];
        System.arraycopy(clientSource, clientOffset, input, 0, CLIENT_LENGTH);
        System.arraycopy(serverSource, serverOffset, input, CLIENT_LENGTH, 8);
        System.arraycopy(address, 0, input, CLIENT_LENGTH + 8, address.length);
        return SipHash.hash(k0, k1, input, 0, input.length);
    }
}
