package dev.popdns.wire;

import dev.popdns.config.RateLimitConfig;
import io.netty.buffer.ByteBuf;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.security.SecureRandom;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.LongSupplier;
import org.xbill.DNS.Rcode;

/**
 * Response rate limiting, the design BIND, Knot and NSD share: UDP answers are counted per client
 * network (a /24 or /56 by default) and response class (the name and type of a positive answer;
 * the zone or delegation of an NXDOMAIN, NODATA or referral; one class for all errors). A class
 * may send {@code responses-per-second}, with a burst of one second's worth; beyond that every
 * {@code slip}-th answer goes out truncated (TC=1, so a real resolver retries over TCP, where
 * spoofing is impossible) and the rest are dropped.
 *
 * <p>Design (after Knot's mod-rrl, without its locks): a fixed table of 2^18 slots, each one
 * {@code long} in an {@link AtomicLongArray}, addressed by a seeded 64-bit hash of network and
 * class. A slot holds 19 bits of that hash (to tell flows apart), a "limited" bit, and the
 * flow's theoretical arrival time in microseconds (the generic cell rate algorithm: one timestamp
 * instead of a token count and a timestamp). An answer is allowed while that time is at most one
 * second ahead of now, and then moves it on by 1/rate; updates are one compare-and-set, so
 * nothing locks and nothing is allocated (an IPv6 client costs a copy of its address). Two flows
 * that land on one slot share its budget, which can only limit more, never less.
 *
 * <p>Threads: shared by every UDP thread. The clock is injected for tests.
 */
public final class RateLimiter {
    /** What to do with an answer. */
    public static final int ALLOW = 0;

    public static final int SLIP = 1;
    public static final int DROP = 2;

    private static final int SLOTS = 1 << 18;
    private static final int TIME_BITS = 44;
    private static final long TIME_MASK = (1L << TIME_BITS) - 1;
    private static final long LIMITED = 1L << 63;
    private static final long FINGERPRINT_MASK = ~LIMITED & ~TIME_MASK;

    /** Response classes (part of the hashed key). */
    static final int POSITIVE = 1;

    static final int EMPTY = 2;
    static final int NXDOMAIN = 3;
    static final int ERROR = 4;

    /** Told when a network starts being limited in a class; called on a UDP thread, rarely. */
    @FunctionalInterface
    public interface Listener {
        void limited(InetAddress client, int responseClass, int prefix);
    }

    private final AtomicLongArray slots = new AtomicLongArray(SLOTS);
    private final long seed;
    private final long intervalMicros;
    private final long toleranceMicros;
    private final int slip;
    private final int v4Mask;
    private final long v6MaskHigh;
    private final long v6MaskLow;
    private final int ipv4Prefix;
    private final int ipv6Prefix;
    private final RateLimitConfig.Network[] exempt;
    private final LongSupplier nanos;
    private final long origin;
    private final Listener listener;

    /**
     * @param nanos    a monotonic clock in nanoseconds ({@link System#nanoTime} outside tests)
     * @param listener told when a network starts being limited
     */
    public RateLimiter(RateLimitConfig settings, LongSupplier nanos, Listener listener) {
        if (!settings.enabled()) {
            throw new IllegalArgumentException("responses-per-second: 0 (rate limiting is off)");
        }
        this.seed = new SecureRandom().nextLong();
        this.intervalMicros = Math.max(1, 1_000_000L / settings.responsesPerSecond());
        // one second's worth of answers may go out at once (GCRA tolerance = (burst - 1) * interval)
        this.toleranceMicros = 1_000_000L - intervalMicros;
        this.slip = settings.slip();
        this.ipv4Prefix = settings.ipv4Prefix();
        this.ipv6Prefix = settings.ipv6Prefix();
        this.v4Mask = ipv4Prefix == 0 ? 0 : -1 << (32 - ipv4Prefix);
        // masks of the address bytes read little-endian
        this.v6MaskHigh = Long.reverseBytes(mask64(ipv6Prefix));
        this.v6MaskLow = Long.reverseBytes(mask64(ipv6Prefix - 64));
        this.exempt = settings.exempt().toArray(new RateLimitConfig.Network[0]);
        this.nanos = nanos;
        this.origin = nanos.getAsLong();
        this.listener = listener;
    }

    /**
     * Counts {@code response}, an answer for {@code client} over UDP, and says what to do with
     * it: {@link #ALLOW}, {@link #SLIP} or {@link #DROP}.
     *
     * @param query      the query packet, whose question (from offset 12) the answer repeats
     * @param nameLength length of the question name in {@code query}, 0 when it was not decoded
     */
    public int account(ByteBuf response, InetAddress client, byte[] query, int nameLength) {
        long network;
        if (client instanceof Inet4Address) {
            // Inet4Address.hashCode() is the address itself, read without copying it
            int address = client.hashCode();
            if (exempt(address)) {
                return ALLOW;
            }
            network = address & v4Mask;
        } else {
            byte[] address = client.getAddress();
            if (exempt(address)) {
                return ALLOW;
            }
            network = mix(
                    SipHash.littleEndian(address, 0, 8) & v6MaskHigh, SipHash.littleEndian(address, 8, 8) & v6MaskLow);
        }
        long key = mix(mix(seed, network), classify(response, query, nameLength));
        return decide(key, response, client);
    }

    private int decide(long key, ByteBuf response, InetAddress client) {
        long now = (nanos.getAsLong() - origin) / 1000;
        int index = (int) (key & (SLOTS - 1));
        long fingerprint = key & FINGERPRINT_MASK;
        while (true) {
            long old = slots.get(index);
            long ahead = 0;
            if ((old & FINGERPRINT_MASK) == fingerprint) {
                // how far the flow's theoretical arrival time is ahead of now, modulo 2^44 µs
                ahead = ((old - now) << (64 - TIME_BITS)) >> (64 - TIME_BITS);
                if (ahead < 0 || ahead > toleranceMicros + intervalMicros) {
                    ahead = 0; // in the past (a full budget), or left from 6 years of wrap-around
                }
            }
            if (ahead > toleranceMicros) {
                if (old < 0) {
                    return slipOrDrop();
                }
                if (slots.compareAndSet(index, old, old | LIMITED)) {
                    listener.limited(
                            client, responseClass(response), client instanceof Inet4Address ? ipv4Prefix : ipv6Prefix);
                    return slipOrDrop();
                }
                continue;
            }
            // a flow stays "limited" (for the log) until its budget is full again
            long limited = ahead == 0 ? 0 : old & LIMITED;
            long next = limited | fingerprint | ((now + ahead + intervalMicros) & TIME_MASK);
            if (slots.compareAndSet(index, old, next)) {
                return ALLOW;
            }
        }
    }

    private int slipOrDrop() {
        return slip == 0 || ThreadLocalRandom.current().nextInt(slip) != 0 ? DROP : SLIP;
    }

    private boolean exempt(int address) {
        for (RateLimitConfig.Network n : exempt) {
            if (n.address() instanceof Inet4Address) {
                int mask = n.prefix() == 0 ? 0 : -1 << (32 - n.prefix());
                if ((n.address().hashCode() & mask) == (address & mask)) {
                    return true;
                }
            }
        }
        return false;
    }

    private boolean exempt(byte[] address) {
        for (RateLimitConfig.Network n : exempt) {
            if (!(n.address() instanceof Inet4Address) && within(n.address().getAddress(), n.prefix(), address)) {
                return true;
            }
        }
        return false;
    }

    private static boolean within(byte[] network, int prefix, byte[] address) {
        int whole = prefix / 8;
        for (int i = 0; i < whole; i++) {
            if (network[i] != address[i]) {
                return false;
            }
        }
        int rest = prefix % 8;
        if (rest == 0) {
            return true;
        }
        int mask = 0xff << (8 - rest);
        return (network[whole] & mask) == (address[whole] & mask);
    }

    /** A mask of the first {@code bits} (clamped to 0..64) bits of a 64-bit big-endian word. */
    private static long mask64(int bits) {
        if (bits <= 0) {
            return 0;
        }
        return bits >= 64 ? -1L : -1L << (64 - bits);
    }

    /**
     * The hash of what an encoded answer is counted by: its response class and the question name
     * and type of a positive answer, or the owner of the first authority record (the zone of an
     * NXDOMAIN or NODATA, the delegation of a referral), or nothing more for an error.
     */
    static long classify(ByteBuf response, byte[] query, int nameLength) {
        int cls = responseClass(response);
        if (cls == ERROR) {
            return ERROR;
        }
        if (cls == POSITIVE && nameLength > 0) {
            // the question as the query's array has it: each read of a pooled buffer checks bounds
            // and the reference count, which made name hashing the limiter's largest cost (JMH,
            // BENCHMARKS.md: account() is about 90 ns for an IPv4 client)
            int qtype = QueryDecoder.u16(query, QueryDecoder.HEADER_LENGTH + nameLength);
            return mix(mix(POSITIVE, qtype), hashName(query, QueryDecoder.HEADER_LENGTH, nameLength));
        }
        int end = response.writerIndex();
        int pos = QueryDecoder.HEADER_LENGTH;
        int qtype = 0;
        if (response.getUnsignedShort(4) == 1) {
            pos = ResponseEncoder.skipName(response, pos, end);
            if (pos < 0 || pos + 4 > end) {
                return ERROR;
            }
            qtype = response.getUnsignedShort(pos);
            pos += 4;
        }
        if (cls == POSITIVE) {
            return mix(mix(POSITIVE, qtype), hashName(response, QueryDecoder.HEADER_LENGTH, end));
        }
        int answers = response.getUnsignedShort(6);
        for (int i = 0; i < answers && pos >= 0; i++) {
            pos = skipRecord(response, pos, end);
        }
        if (response.getUnsignedShort(8) == 0 || pos < 0 || pos >= end) {
            return cls;
        }
        return mix(cls, hashName(response, pos, end));
    }

    /** {@link #POSITIVE}, {@link #EMPTY}, {@link #NXDOMAIN} or {@link #ERROR}, from the header. */
    static int responseClass(ByteBuf response) {
        if (response.writerIndex() < QueryDecoder.HEADER_LENGTH) {
            return ERROR;
        }
        int rcode = response.getByte(3) & 0xf;
        if (rcode == Rcode.NXDOMAIN) {
            return NXDOMAIN;
        }
        if (rcode != Rcode.NOERROR) {
            return ERROR;
        }
        boolean answered = response.getUnsignedShort(6) > 0 && response.getUnsignedShort(4) == 1;
        return answered ? POSITIVE : EMPTY;
    }

    private static int skipRecord(ByteBuf b, int pos, int end) {
        pos = ResponseEncoder.skipName(b, pos, end);
        if (pos < 0 || pos + 10 > end) {
            return -1;
        }
        return pos + 10 + b.getUnsignedShort(pos + 8);
    }

    /** A hash of the uncompressed name of {@code length} bytes at {@code pos}, lower-cased (RFC 4343). */
    private static long hashName(byte[] b, int pos, int length) {
        long h = 0xcbf29ce484222325L;
        for (int i = pos; i < pos + length; i++) {
            int c = b[i] & 0xff;
            h = (h ^ (c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c)) * 0x100000001b3L;
        }
        return h;
    }

    /** A hash of the name at {@code pos}, lower-cased (RFC 4343), following compression pointers. */
    private static long hashName(ByteBuf b, int pos, int end) {
        long h = 0xcbf29ce484222325L;
        for (int hops = 0; hops < 32 && pos < end; ) {
            int length = b.getUnsignedByte(pos);
            if ((length & 0xc0) == 0xc0) {
                if (pos + 1 >= end) {
                    return h;
                }
                pos = ((length & 0x3f) << 8) | b.getUnsignedByte(pos + 1);
                hops++;
                continue;
            }
            h = (h ^ length) * 0x100000001b3L;
            if (length == 0 || pos + 1 + length > end) {
                return h;
            }
            for (int i = pos + 1; i <= pos + length; i++) {
                int c = b.getUnsignedByte(i);
                h = (h ^ (c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c)) * 0x100000001b3L;
            }
            pos += length + 1;
        }
        return h;
    }

    /** Combines two 64-bit values (a multiply-xorshift step, after MurmurHash3's finalizer). */
    static long mix(long h, long value) {
        h = (h ^ value) * 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        return h ^ (h >>> 33);
    }

    /** The name of a response class, for the log. */
    public static String className(int responseClass) {
        return switch (responseClass) {
            case POSITIVE -> "positive answers";
            case EMPTY -> "NODATA and referrals";
            case NXDOMAIN -> "NXDOMAIN";
            default -> "errors";
        };
    }
}
