package dev.popdns.wire;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;

/**
 * The query pipeline for one packet, shared by UDP and TCP: decode, look in the response cache,
 * on a miss answer from the zones and encode; returns the bytes to send or null to stay silent.
 *
 * <p>Threads: called on Netty event loops, concurrently; holds no mutable state of its own. A hit
 * costs one key array and one copy into a pooled buffer. Nothing here blocks or logs.
 */
public final class QueryHandler {
    /** The largest answer over UDP without EDNS (RFC 1035 §4.2.1). */
    static final int UDP_PLAIN = 512;
    /** A TCP message is limited only by its 16-bit length prefix. */
    public static final int TCP_LIMIT = 65535;

    private final Snapshot.Holder snapshots;
    private final Answerer answerer;

    public QueryHandler(Snapshot.Holder snapshots, Answerer answerer) {
        this.snapshots = snapshots;
        this.answerer = answerer;
    }

    /**
     * Answers the packet in {@code in}.
     *
     * @param tcp whether the packet came over TCP (no truncation) or UDP
     * @return the response, owned by the caller, or null when the packet gets no answer
     */
    public ByteBuf handle(ByteBuf in, ByteBufAllocator alloc, boolean tcp) {
        int length = in.readableBytes();
        byte[] packet = new byte[length];
        in.getBytes(in.readerIndex(), packet);
        return switch (QueryDecoder.decode(packet, length)) {
            case QueryDecoder.Drop drop -> null;
            case QueryDecoder.Error error -> ResponseEncoder.error(alloc, error, packet, answerer);
            case QueryDecoder.Decoded decoded -> answerSafely(decoded.query(), packet, alloc, tcp);
        };
    }

    /** A bug on the answer path costs this query a SERVFAIL, never the socket or the server. */
    private ByteBuf answerSafely(Query query, byte[] packet, ByteBufAllocator alloc, boolean tcp) {
        try {
            return answer(query, alloc, tcp);
        } catch (RuntimeException e) {
            QueryDecoder.Error failure = new QueryDecoder.Error(query.id(), query.flags(), Rcode.SERVFAIL,
                    query.questionEnd() - QueryDecoder.HEADER_LENGTH, query.edns());
            return ResponseEncoder.error(alloc, failure, packet, answerer);
        }
    }

    private ByteBuf answer(Query query, ByteBufAllocator alloc, boolean tcp) {
        int limit = tcp ? TCP_LIMIT : udpLimit(query);
        Snapshot snapshot = snapshots.current();
        CacheKey key = CacheKey.of(query);
        byte[] cached = snapshot.cache().get(key);
        if (cached != null && cached.length <= limit) {
            return ResponseEncoder.fromCache(alloc, cached, query);
        }
        Answerer.Built built = answerer.answer(query, snapshot.zones());
        Message message = built.message();
        if (cached == null) {
            byte[] full = message.toWire(TCP_LIMIT);
            if (message.getRcode() != Rcode.SERVFAIL) {
                snapshot.cache().put(key, full);
            }
            if (full.length <= limit) {
                return alloc.ioBuffer(full.length).writeBytes(full);
            }
        }
        return ResponseEncoder.truncated(alloc, message, limit, built.requiredAdditional(), query.edns() != null);
    }

    /** RFC 6891 §6.2.5: the client's size, at least 512, at most ours. */
    private static int udpLimit(Query query) {
        Query.Edns edns = query.edns();
        return edns == null ? UDP_PLAIN : Math.min(edns.udpSize(), Answerer.UDP_PAYLOAD);
    }
}
