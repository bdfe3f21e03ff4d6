package dev.popdns.wire;

/**
 * A decoded query: the header fields the answer depends on, the question as the client wrote it
 * (offsets into the packet, letter case kept) and its EDNS options.
 *
 * <p>Created by {@link QueryDecoder} on the query thread for one query and dropped after it; the
 * question name is not copied until a cache key or a miss needs it.
 */
public final class Query {
    /** Bits of {@link #flags()}. */
    public static final int FLAG_QR = 0x8000;

    public static final int FLAG_AA = 0x0400;
    public static final int FLAG_TC = 0x0200;
    public static final int FLAG_RD = 0x0100;
    public static final int FLAG_CD = 0x0010;

    private final int id;
    private final int flags;
    private final byte[] packet;
    private final int nameOffset;
    private final int nameLength;
    private final int qtype;
    private final int qclass;
    private final Edns edns;

    Query(int id, int flags, byte[] packet, int nameLength, int qtype, int qclass, Edns edns) {
        this.id = id;
        this.flags = flags;
        this.packet = packet;
        this.nameOffset = QueryDecoder.HEADER_LENGTH;
        this.nameLength = nameLength;
        this.qtype = qtype;
        this.qclass = qclass;
        this.edns = edns;
    }

    public int id() {
        return id;
    }

    /** The 16 flag bits of the header (QR, opcode, AA, TC, RD, RA, Z, AD, CD, RCODE). */
    public int flags() {
        return flags;
    }

    public int opcode() {
        return (flags >> 11) & 0xf;
    }

    public int qtype() {
        return qtype;
    }

    public int qclass() {
        return qclass;
    }

    /** The EDNS OPT of the query, or null when it had none. */
    public Edns edns() {
        return edns;
    }

    /** The packet the query came in; the question name starts at {@link #nameOffset()}. */
    byte[] packet() {
        return packet;
    }

    int nameOffset() {
        return nameOffset;
    }

    /** Length of the question name in wire form (no compression in a question we accept). */
    int nameLength() {
        return nameLength;
    }

    /** Offset just past the question section. */
    int questionEnd() {
        return nameOffset + nameLength + 4;
    }

    /**
     * The EDNS(0) part of a query (RFC 6891).
     *
     * @param version       EDNS version the client speaks
     * @param udpSize       the client's UDP payload size, raised to 512 when it says less
     * @param dnssecOk      the DO bit (RFC 3225), echoed in the answer
     * @param nsidRequested the client sent an empty NSID option (RFC 5001)
     * @param subnet        the client subnet option (RFC 7871), or null
     * @param cookieOffset  where the COOKIE option's data starts in the packet (RFC 7873), when
     *                      {@code cookieLength} is not 0
     * @param cookieLength  length of the COOKIE option's data (8, or 16..40), 0 when absent
     */
    public record Edns(
            int version,
            int udpSize,
            boolean dnssecOk,
            boolean nsidRequested,
            ClientSubnet subnet,
            int cookieOffset,
            int cookieLength) {}

    /**
     * An EDNS Client Subnet option as sent (RFC 7871 §6), validated by the decoder.
     *
     * @param family       1 (IPv4) or 2 (IPv6)
     * @param sourcePrefix 0..32 or 0..128
     * @param address      ceil(sourcePrefix / 8) octets, bits past the prefix zero
     */
    public record ClientSubnet(int family, int sourcePrefix, byte[] address) {
        /** The address padded to a full IPv4 or IPv6 address (for a GeoIP lookup). */
        public byte[] fullAddress() {
            byte[] full = new byte[family == 1 ? 4 : 16];
            System.arraycopy(address, 0, full, 0, address.length);
            return full;
        }
    }
}
