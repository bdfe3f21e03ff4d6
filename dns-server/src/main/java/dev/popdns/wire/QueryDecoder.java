package dev.popdns.wire;

import org.xbill.DNS.Rcode;
import org.xbill.DNS.Type;

/**
 * Reads a query packet into a {@link Query}, or says why it cannot be answered.
 *
 * <p>Hand-written rather than dnsjava's {@code Message} parser: this runs for every packet, and on
 * a cache hit nothing else touches the bytes, so a full parse into record objects would be most of
 * the work. It reads the header, the one question and the OPT record, nothing more. It never
 * throws: every malformed input becomes {@link Outcome#drop()} or an error outcome.
 */
public final class QueryDecoder {
    static final int HEADER_LENGTH = 12;
    private static final int MAX_NAME = 255;
    private static final int OPT_NSID = 3;
    private static final int OPT_CLIENT_SUBNET = 8;

    private QueryDecoder() {}

    /** What decoding decided: answer this query, answer an error, or stay silent. */
    public sealed interface Outcome {
        static Outcome drop() {
            return Drop.INSTANCE;
        }
    }

    /** A well-formed query to answer. */
    public record Decoded(Query query) implements Outcome {}

    /**
     * Answer with {@code rcode} and no records. {@code questionLength} &gt; 0 means the question
     * section (that many bytes after the header) is echoed; {@code edns} echoes the OPT when known.
     */
    public record Error(int id, int flags, int rcode, int questionLength, Query.Edns edns) implements Outcome {}

    /**
     * A query with no question and a COOKIE option, which asks only for a server cookie
     * (RFC 7873 §5.4).
     */
    public record CookieQuery(int id, int flags, Query.Edns edns) implements Outcome {}

    /** Not worth an answer: too short for a header, or a response (QR=1). */
    public enum Drop implements Outcome {
        INSTANCE
    }

    /** Decodes {@code length} bytes of {@code packet}; the array must not be changed afterwards. */
    public static Outcome decode(byte[] packet, int length) {
        if (length < HEADER_LENGTH) {
            return Outcome.drop();
        }
        int id = u16(packet, 0);
        int flags = u16(packet, 2);
        if ((flags & Query.FLAG_QR) != 0) {
            return Outcome.drop(); // RFC 1035 §4.1.1: a response is never answered (no reflection loops)
        }
        int qdcount = u16(packet, 4);
        int ancount = u16(packet, 6);
        int nscount = u16(packet, 8);
        int arcount = u16(packet, 10);
        int opcode = (flags >> 11) & 0xf;
        boolean cookieQuery = qdcount == 0 && opcode == 0 && ancount == 0 && nscount == 0 && arcount > 0;
        if (qdcount != 1 && !cookieQuery) {
            return new Error(id, flags, opcode == 0 ? Rcode.FORMERR : Rcode.NOTIMP, 0, null);
        }
        int nameLength = 0;
        int qtype = 0;
        int qclass = 0;
        int questionLength = 0;
        int pos = HEADER_LENGTH;
        if (!cookieQuery) {
            nameLength = nameLength(packet, HEADER_LENGTH, length);
            if (nameLength < 0 || HEADER_LENGTH + nameLength + 4 > length) {
                return new Error(id, flags, Rcode.FORMERR, 0, null);
            }
            pos = HEADER_LENGTH + nameLength;
            qtype = u16(packet, pos);
            qclass = u16(packet, pos + 2);
            questionLength = nameLength + 4;
            pos += 4;
        }
        if (ancount != 0 || nscount != 0) {
            // a QUERY carries no answer or authority records; other opcodes we do not implement
            return new Error(id, flags, opcode == 0 ? Rcode.FORMERR : Rcode.NOTIMP, questionLength, null);
        }
        Query.Edns edns = null;
        for (int i = 0; i < arcount; i++) {
            int ownerLength = nameLength(packet, pos, length);
            if (ownerLength < 0 || pos + ownerLength + 10 > length) {
                return new Error(id, flags, Rcode.FORMERR, questionLength, null);
            }
            int rrType = u16(packet, pos + ownerLength);
            int rdLength = u16(packet, pos + ownerLength + 8);
            int rdata = pos + ownerLength + 10;
            if (rdata + rdLength > length) {
                return new Error(id, flags, Rcode.FORMERR, questionLength, null);
            }
            if (rrType == Type.OPT) {
                if (edns != null || ownerLength != 1) {
                    // RFC 6891 §6.1.1: one OPT, owned by the root
                    return new Error(id, flags, Rcode.FORMERR, questionLength, null);
                }
                edns = edns(packet, pos + ownerLength, rdata, rdata + rdLength);
                if (edns == null) {
                    return new Error(id, flags, Rcode.FORMERR, questionLength, null);
                }
            }
            pos = rdata + rdLength;
        }
        if (cookieQuery) {
            if (edns == null || edns.cookieLength() == 0) {
                return new Error(id, flags, Rcode.FORMERR, 0, edns);
            }
            if (edns.version() > 0) {
                return new Error(id, flags, Rcode.BADVERS, 0, edns);
            }
            return new CookieQuery(id, flags, edns);
        }
        if (opcode != 0) {
            return new Error(id, flags, Rcode.NOTIMP, questionLength, edns);
        }
        if (edns != null && edns.version() > 0) {
            return new Error(id, flags, Rcode.BADVERS, questionLength, edns); // RFC 6891 §6.1.3
        }
        if (qtype == Type.OPT) {
            return new Error(id, flags, Rcode.FORMERR, questionLength, edns);
        }
        return new Decoded(new Query(id, flags, packet, nameLength, qtype, qclass, edns));
    }

    /** The OPT record whose fixed part starts at {@code fixed} (its TYPE); null when its options are malformed. */
    private static Query.Edns edns(byte[] packet, int fixed, int rdata, int end) {
        int udpSize = Math.max(512, u16(packet, fixed + 2));
        int version = packet[fixed + 5] & 0xff;
        boolean dnssecOk = (packet[fixed + 6] & 0x80) != 0;
        boolean nsid = false;
        Query.ClientSubnet subnet = null;
        int cookieOffset = 0;
        int cookieLength = 0;
        int opt = rdata;
        while (opt < end) {
            if (opt + 4 > end) {
                return null;
            }
            int code = u16(packet, opt);
            int optLength = u16(packet, opt + 2);
            if (opt + 4 + optLength > end) {
                return null;
            }
            if (code == OPT_NSID) {
                nsid = true;
            } else if (code == OPT_CLIENT_SUBNET) {
                if (subnet != null) {
                    return null;
                }
                subnet = clientSubnet(packet, opt + 4, optLength);
                if (subnet == null) {
                    return null;
                }
            } else if (code == Cookies.OPTION_CODE && cookieLength == 0) {
                // RFC 7873 §5.2.2: a malformed COOKIE is FORMERR; only the first one counts
                if (!Cookies.wellFormed(optLength)) {
                    return null;
                }
                cookieOffset = opt + 4;
                cookieLength = optLength;
            }
            opt += 4 + optLength; // RFC 6891 §6.1.2: unknown options are ignored
        }
        return new Query.Edns(version, udpSize, dnssecOk, nsid, subnet, cookieOffset, cookieLength);
    }

    /** RFC 7871 §7.1.2: a malformed option (bad family, prefix, scope, length or trailing bits) is FORMERR. */
    private static Query.ClientSubnet clientSubnet(byte[] packet, int at, int length) {
        if (length < 4) {
            return null;
        }
        int family = u16(packet, at);
        int source = packet[at + 2] & 0xff;
        int scope = packet[at + 3] & 0xff;
        int max = family == 1 ? 32 : family == 2 ? 128 : -1;
        int octets = (source + 7) / 8;
        if (max < 0 || source > max || scope != 0 || length - 4 != octets) {
            return null;
        }
        byte[] address = new byte[octets];
        System.arraycopy(packet, at + 4, address, 0, octets);
        if (source % 8 != 0 && (address[octets - 1] & (0xff >> (source % 8))) != 0) {
            return null;
        }
        return new Query.ClientSubnet(family, source, address);
    }

    /**
     * Length in bytes of the uncompressed name at {@code offset}, or -1 when it is malformed
     * (runs past the packet, a label over 63, longer than 255, or compressed, which a question
     * and the root-owned OPT never need).
     */
    static int nameLength(byte[] packet, int offset, int limit) {
        int pos = offset;
        while (pos < limit) {
            int labelLength = packet[pos] & 0xff;
            if (labelLength == 0) {
                int total = pos + 1 - offset;
                return total <= MAX_NAME ? total : -1;
            }
            if (labelLength > 63) {
                return -1;
            }
            pos += labelLength + 1;
            if (pos - offset > MAX_NAME) {
                return -1;
            }
        }
        return -1;
    }

    static int u16(byte[] b, int offset) {
        return ((b[offset] & 0xff) << 8) | (b[offset + 1] & 0xff);
    }
}
