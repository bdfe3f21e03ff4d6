package dev.popdns.wire;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.net.InetAddress;
import org.xbill.DNS.Message;
import org.xbill.DNS.Section;

/** Writes responses to the wire: cache hits, truncated answers, header-only errors, cookies and slips. */
final class ResponseEncoder {
    private ResponseEncoder() {}

    /**
     * A cached answer for this query: same bytes, with the query's id, RD and CD bits and the
     * question name's letter case (answer owners compressed to the question follow it), and the
     * client subnet's address and {@code scope}: the answer's ECS option is the last option of
     * the OPT record, which is the message's last record, so it ends the message.
     */
    static ByteBuf fromCache(ByteBufAllocator alloc, byte[] cached, Query query, int scope) {
        ByteBuf out = alloc.ioBuffer(cached.length).writeBytes(cached);
        int flags = (cached[2] & 0xff) << 8 | (cached[3] & 0xff);
        int copied = Query.FLAG_RD | Query.FLAG_CD;
        flags = (flags & ~copied) | (query.flags() & copied);
        out.setShort(0, query.id());
        out.setShort(2, flags);
        out.setBytes(query.nameOffset(), query.packet(), query.nameOffset(), query.nameLength());
        Query.ClientSubnet subnet = query.edns() == null ? null : query.edns().subnet();
        if (subnet != null) {
            byte[] address = subnet.address();
            int end = cached.length;
            out.setBytes(end - address.length, address);
            out.setByte(end - address.length - 1, scope);
        }
        return out;
    }

    /**
     * The answer cut to {@code limit} bytes: whole RRsets only, TC set when the answer or
     * authority section lost one, or when in-domain glue of a referral did not fit (RFC 9471 §3).
     */
    static ByteBuf truncated(ByteBufAllocator alloc, Message message, int limit, int requiredAdditional, boolean edns) {
        byte[] wire = message.toWire(limit);
        int additional = QueryDecoder.u16(wire, 10) - (edns ? 1 : 0);
        if (additional < requiredAdditional) {
            wire[2] |= (byte) (Query.FLAG_TC >> 8);
        }
        return alloc.ioBuffer(wire.length).writeBytes(wire);
    }

    /** A response with only a header, the question when it could be read, and the OPT when known. */
    static ByteBuf error(ByteBufAllocator alloc, QueryDecoder.Error error, byte[] packet, Answerer answerer) {
        byte[] opt = error.edns() == null
                ? null
                : answerer.opt(error.edns(), error.rcode() >> 4, -1).toWire(Section.ADDITIONAL);
        ByteBuf out =
                alloc.ioBuffer(QueryDecoder.HEADER_LENGTH + error.questionLength() + (opt == null ? 0 : opt.length));
        int copied = 0x7800 | Query.FLAG_RD | Query.FLAG_CD; // opcode, RD, CD
        out.writeShort(error.id());
        out.writeShort(Query.FLAG_QR | (error.flags() & copied) | (error.rcode() & 0xf));
        out.writeShort(error.questionLength() > 0 ? 1 : 0);
        out.writeShort(0);
        out.writeShort(0);
        out.writeShort(opt == null ? 0 : 1);
        if (error.questionLength() > 0) {
            out.writeBytes(packet, QueryDecoder.HEADER_LENGTH, error.questionLength());
        }
        if (opt != null) {
            out.writeBytes(opt);
        }
        return out;
    }

    /**
     * Appends our COOKIE option (RFC 7873 §5.2) to the OPT record of {@code out}, which is the
     * last record of every answer to a query with EDNS; the OPT's RDLENGTH grows to match. The
     * caller left {@link Cookies#OPTION_LENGTH} bytes of room under the size limit.
     */
    static void appendCookie(
            ByteBuf out, Cookies cookies, Query.Edns edns, byte[] packet, int status, InetAddress client) {
        int rdLength = optRdLength(out);
        if (rdLength < 0) {
            return;
        }
        out.setShort(rdLength, out.getUnsignedShort(rdLength) + Cookies.OPTION_LENGTH);
        cookies.write(out, packet, edns.cookieOffset(), status, client);
    }

    /**
     * Turns {@code out} into a slipped answer for rate limiting: its header and question only,
     * TC set so that the client retries over TCP; a client that sent a cookie also gets an OPT
     * with a fresh server cookie, with which its next queries are not limited.
     */
    static void slip(ByteBuf out, Cookies cookies, Query.Edns edns, byte[] packet, int status, InetAddress client) {
        int end = out.writerIndex();
        int pos = QueryDecoder.HEADER_LENGTH;
        if (out.getUnsignedShort(4) == 1) {
            pos = skipName(out, pos, end);
            pos = pos < 0 ? QueryDecoder.HEADER_LENGTH : pos + 4;
        }
        if (pos > end) {
            pos = QueryDecoder.HEADER_LENGTH;
        }
        out.setShort(4, pos > QueryDecoder.HEADER_LENGTH ? 1 : 0);
        out.setShort(6, 0);
        out.setShort(8, 0);
        out.setShort(10, 0);
        out.setByte(2, out.getByte(2) | (Query.FLAG_TC >> 8));
        out.writerIndex(pos);
        if (status != Cookies.NONE) {
            out.setShort(10, 1);
            out.writeByte(0); // root owner
            out.writeShort(org.xbill.DNS.Type.OPT);
            out.writeShort(Answerer.UDP_PAYLOAD);
            out.writeByte(0); // extended rcode
            out.writeByte(0); // version
            out.writeShort(edns.dnssecOk() ? org.xbill.DNS.ExtendedFlags.DO : 0);
            out.writeShort(Cookies.OPTION_LENGTH);
            cookies.write(out, packet, edns.cookieOffset(), status, client);
        }
    }

    /** Offset of the RDLENGTH of the message's last record when that record is an OPT, else -1. */
    private static int optRdLength(ByteBuf b) {
        int end = b.writerIndex();
        int pos = QueryDecoder.HEADER_LENGTH;
        for (int i = b.getUnsignedShort(4); i > 0 && pos >= 0; i--) {
            pos = skipName(b, pos, end);
            pos = pos < 0 ? -1 : pos + 4;
        }
        int records = b.getUnsignedShort(6) + b.getUnsignedShort(8) + b.getUnsignedShort(10);
        int last = -1;
        for (int i = 0; i < records && pos >= 0 && pos < end; i++) {
            int fixed = skipName(b, pos, end);
            if (fixed < 0 || fixed + 10 > end) {
                return -1;
            }
            last = fixed;
            pos = fixed + 10 + b.getUnsignedShort(fixed + 8);
        }
        if (last < 0 || pos != end || b.getUnsignedShort(last) != org.xbill.DNS.Type.OPT) {
            return -1;
        }
        return last + 8;
    }

    /** Offset just past the name at {@code pos}, or -1 when it runs past {@code end}. */
    static int skipName(ByteBuf b, int pos, int end) {
        while (pos < end) {
            int length = b.getUnsignedByte(pos);
            if (length == 0) {
                return pos + 1;
            }
            if ((length & 0xc0) == 0xc0) {
                return pos + 2 <= end ? pos + 2 : -1;
            }
            pos += length + 1;
        }
        return -1;
    }
}
