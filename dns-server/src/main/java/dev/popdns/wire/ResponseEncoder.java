package dev.popdns.wire;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import org.xbill.DNS.Message;
import org.xbill.DNS.Section;

/** Writes responses to the wire: cache hits, truncated answers and header-only errors. */
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
}
