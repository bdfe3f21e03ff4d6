package dev.popdns.wire;

import dev.popdns.geoip.NetworkTable;
import dev.popdns.routing.ClientRankings;
import dev.popdns.routing.Decision;
import dev.popdns.routing.Eligibility;
import dev.popdns.routing.GeoName;
import dev.popdns.routing.Ranking;
import dev.popdns.routing.Router;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.concurrent.FastThreadLocal;
import java.net.InetAddress;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Type;

/**
 * The query pipeline for one packet, shared by UDP and TCP: decode, check its DNS cookie, locate
 * the client and route (geo names only), look in the response cache, on a miss answer from the
 * zones and encode, add our COOKIE option, and for UDP apply response rate limiting; returns the
 * bytes to send or null to stay silent.
 *
 * <p>Threads: called on the UDP threads and Netty's event loops (TCP), concurrently; its only
 * mutable state is per thread (the packet copy and the cache probe key, reused). A hit costs the
 * decoded query's few objects, one client-table lookup for geo names, and one copy into a pooled
 * buffer. Nothing here blocks; the only log lines are those of {@link InternalErrors}, at most one
 * a minute, and the rate limiter's listener's (at most one per 10 s in the server).
 */
public final class QueryHandler {
    /** The largest answer over UDP without EDNS (RFC 1035 §4.2.1). */
    static final int UDP_PLAIN = 512;
    /** A TCP message is limited only by its 16-bit length prefix. */
    public static final int TCP_LIMIT = 65535;

    private final Snapshot.Holder snapshots;
    private final Answerer answerer;
    private final ClientLocator locator;
    private final QueryMetrics metrics;
    private final AnswerListener answers;
    private final Cookies cookies;
    private final RateLimiter limiter;

    /** Told of every geo-routed answer (for {@code popdns_answers_total{name,pop}}); must not block. */
    @FunctionalInterface
    public interface AnswerListener {
        /** @param pop the index of the PoP whose records answer, or {@link Decision#NO_DATA} */
        void routed(GeoName name, int pop);
    }

    /** A handler with cookies under a random secret and no rate limiting (tests, benchmarks, tools). */
    public QueryHandler(
            Snapshot.Holder snapshots,
            Answerer answerer,
            ClientLocator locator,
            QueryMetrics metrics,
            AnswerListener answers) {
        this(snapshots, answerer, locator, metrics, answers, Cookies.random(), null);
    }

    /**
     * @param cookies the server cookies we issue and accept
     * @param limiter response rate limiting of UDP answers, or null when off
     */
    public QueryHandler(
            Snapshot.Holder snapshots,
            Answerer answerer,
            ClientLocator locator,
            QueryMetrics metrics,
            AnswerListener answers,
            Cookies cookies,
            RateLimiter limiter) {
        this.snapshots = snapshots;
        this.answerer = answerer;
        this.locator = locator;
        this.metrics = metrics;
        this.answers = answers;
        this.cookies = cookies;
        this.limiter = limiter;
    }

    /**
     * Answers the packet in {@code in}.
     *
     * @param tcp  whether the packet came over TCP (no truncation) or UDP
     * @param peer the address the packet came from (the resolver)
     * @return the response, owned by the caller, or null when the packet gets no answer
     */
    public ByteBuf handle(ByteBuf in, ByteBufAllocator alloc, boolean tcp, InetAddress peer) {
        try {
            return handleQuery(in, alloc, tcp, peer);
        } catch (RuntimeException e) {
            // a stage without its own net (cookie checks, counting): no answer, but counted and logged
            metrics.internalError(InternalErrors.Stage.ANSWER, e);
            return null;
        }
    }

    private ByteBuf handleQuery(ByteBuf in, ByteBufAllocator alloc, boolean tcp, InetAddress peer) {
        long start = QueryMetrics.start();
        int length = in.readableBytes();
        Scratch scratch = SCRATCH.get();
        // the copy lives only while this call runs (nothing keeps the Query): one array per thread
        byte[] packet = length <= scratch.packet.length ? scratch.packet : new byte[length];
        in.getBytes(in.readerIndex(), packet, 0, length);
        QueryDecoder.Outcome outcome;
        try {
            outcome = QueryDecoder.decode(packet, length);
        } catch (RuntimeException e) {
            metrics.internalError(InternalErrors.Stage.DECODE, e);
            return null; // nothing read can be trusted, not even the id: stay silent
        }
        Query.Edns edns = switch (outcome) {
            case QueryDecoder.Drop drop -> null;
            case QueryDecoder.Error error -> error.edns();
            case QueryDecoder.CookieQuery cookieQuery -> cookieQuery.edns();
            case QueryDecoder.Decoded decoded -> decoded.query().edns();
        };
        int cookie = edns == null || edns.cookieLength() == 0
                ? Cookies.NONE
                : cookies.check(packet, edns.cookieOffset(), edns.cookieLength(), peer);
        int reserve = cookie == Cookies.NONE ? 0 : Cookies.OPTION_LENGTH;
        ByteBuf out;
        int qtype;
        int nameLength = 0;
        switch (outcome) {
            case QueryDecoder.Drop drop -> {
                return null;
            }
            case QueryDecoder.Error error -> {
                out = encodeError(alloc, error, packet);
                qtype = -1;
            }
            case QueryDecoder.CookieQuery query -> {
                // RFC 7873 §5.4: BADCOOKIE when the server cookie sent was not a valid one of ours
                int rcode = cookie == Cookies.INVALID ? Rcode.BADCOOKIE : Rcode.NOERROR;
                out = encodeError(alloc, new QueryDecoder.Error(query.id(), query.flags(), rcode, 0, edns), packet);
                qtype = -1;
            }
            case QueryDecoder.Decoded decoded -> {
                out = answerSafely(decoded.query(), packet, alloc, tcp, peer, reserve, scratch.probe);
                qtype = decoded.query().qtype();
                nameLength = decoded.query().nameLength();
            }
        }
        if (out == null) {
            return null;
        }
        try {
            // inside the try: whatever fails from here on, the built answer is released
            metrics.answered(tcp, qtype, out.getByte(3), start);
            return finish(out, tcp, peer, packet, nameLength, edns, cookie);
        } catch (RuntimeException e) {
            metrics.internalError(InternalErrors.Stage.ANSWER, e);
            out.release();
            return null;
        }
    }

    /**
     * Adds our COOKIE option, then applies response rate limiting: UDP only (a TCP client cannot
     * spoof its address), and never to a client that proved its address with a server cookie of
     * ours (RFC 7873 §5.3). Returns {@code out}, slipped, or null when it is dropped (released).
     */
    private ByteBuf finish(
            ByteBuf out, boolean tcp, InetAddress peer, byte[] packet, int nameLength, Query.Edns edns, int cookie) {
        if (cookie != Cookies.NONE) {
            ResponseEncoder.appendCookie(out, cookies, edns, packet, cookie, peer);
        }
        if (limiter == null || tcp || cookie == Cookies.VALID || cookie == Cookies.VALID_WORN) {
            return out;
        }
        switch (limiter.account(out, peer, packet, nameLength)) {
            case RateLimiter.ALLOW -> metrics.rateLimit(RateLimiter.ALLOW);
            case RateLimiter.SLIP -> {
                metrics.rateLimit(RateLimiter.SLIP);
                ResponseEncoder.slip(out, cookies, edns, packet, cookie, peer);
            }
            default -> {
                metrics.rateLimit(RateLimiter.DROP);
                out.release();
                return null;
            }
        }
        return out;
    }

    /**
     * A bug on the answer path costs this query a SERVFAIL, never the socket or the server; it is
     * counted and logged (rate-limited) by {@link InternalErrors}.
     */
    private ByteBuf answerSafely(
            Query query,
            byte[] packet,
            ByteBufAllocator alloc,
            boolean tcp,
            InetAddress peer,
            int reserve,
            CacheKey probe) {
        try {
            return answer(query, alloc, tcp, peer, reserve, probe);
        } catch (RuntimeException e) {
            metrics.internalError(InternalErrors.Stage.ANSWER, e);
            QueryDecoder.Error failure = new QueryDecoder.Error(
                    query.id(),
                    query.flags(),
                    Rcode.SERVFAIL,
                    query.questionEnd() - QueryDecoder.HEADER_LENGTH,
                    query.edns());
            return encodeError(alloc, failure, packet);
        }
    }

    /** A header-only response; null (no answer) when even that fails. */
    private ByteBuf encodeError(ByteBufAllocator alloc, QueryDecoder.Error error, byte[] packet) {
        try {
            return ResponseEncoder.error(alloc, error, packet, answerer);
        } catch (RuntimeException e) {
            metrics.internalError(InternalErrors.Stage.ENCODE, e);
            return null;
        }
    }

    /**
     * The answer in at most the size limit less {@code reserve} bytes (room for our COOKIE option).
     * {@code probe} is this thread's cache key, refilled here.
     */
    private ByteBuf answer(
            Query query, ByteBufAllocator alloc, boolean tcp, InetAddress peer, int reserve, CacheKey probe) {
        int limit = (tcp ? TCP_LIMIT : udpLimit(query)) - reserve;
        Snapshot snapshot = snapshots.current();
        byte[] keyBytes = probe.lowerName(query);
        // a geo name's routing, kept in locals: the Route record is built only for a cache miss
        GeoName geo = null;
        Decision decision = null;
        int networkPrefix = 0;
        long ttl = Eligibility.OWN_TTL;
        int qtype = query.qtype();
        if ((qtype == Type.A || qtype == Type.AAAA)
                && query.qclass() == org.xbill.DNS.DClass.IN
                && snapshot.routing().hasGeoNames()) {
            geo = snapshot.routing().routed(keyBytes, query.nameLength());
            if (geo != null) {
                int found = locator.locate(query, peer, snapshot.rankings());
                Ranking ranking = snapshot.rankings().ranking(found, geo);
                decision = Router.decide(snapshot.routing(), geo, ranking, qtype, snapshot.eligibility());
                networkPrefix = NetworkTable.prefixOf(found);
                if (decision == null) {
                    // every PoP the table kept for this client is out: rank them all (rare)
                    Ranking whole =
                            snapshot.rankings().whole(snapshot.routing(), geo, ClientLocator.address(query, peer));
                    decision = Router.decide(snapshot.routing(), geo, whole, qtype, snapshot.eligibility());
                    networkPrefix = ClientRankings.NO_DATABASE_PREFIX;
                }
                if (decision.pop() != Decision.NO_DATA) {
                    ttl = snapshot.eligibility().ttl(snapshot.routing().pops().get(decision.pop()), geo);
                }
                answers.routed(geo, decision.pop());
            }
        }
        boolean routed = decision != null;
        Query.ClientSubnet subnet = query.edns() == null ? null : query.edns().subnet();
        int scope = subnet == null ? 0 : ClientLocator.scope(subnet, routed, networkPrefix);
        CacheKey key = probe.finish(query, routed ? decision.pop() + 2 : 0);
        // a shortened TTL (a drain ahead) changes every second: such answers bypass the cache
        boolean cacheable = ttl == Eligibility.OWN_TTL;
        byte[] cached = cacheable ? snapshot.cache().get(key) : null;
        metrics.cache(cached != null);
        if (cached != null && cached.length <= limit) {
            return ResponseEncoder.fromCache(alloc, cached, query, scope);
        }
        Route route = routed ? new Route(geo, decision, networkPrefix, ttl) : null;
        Answerer.Built built = answerer.answer(query, snapshot.zones(), route, scope);
        Message message = built.message();
        if (cached == null) {
            byte[] full = message.toWire(TCP_LIMIT);
            if (message.getRcode() != Rcode.SERVFAIL && cacheable) {
                snapshot.cache().put(key.copy(), full);
            }
            if (full.length <= limit) {
                return alloc.ioBuffer(full.length).writeBytes(full);
            }
        }
        return ResponseEncoder.truncated(alloc, message, limit, built.requiredAdditional(), query.edns() != null);
    }

    /**
     * The routing of one query to a geo name.
     *
     * @param networkPrefix the prefix of the client's merged network (the ECS scope before the
     *     source prefix caps it)
     * @param ttl the TTL of the routed records, or {@link Eligibility#OWN_TTL} for the name's own
     */
    public record Route(GeoName name, Decision decision, int networkPrefix, long ttl) {}

    /** What one thread reuses for every query it handles. */
    private static final class Scratch {
        /** The query's bytes: a UDP datagram, or a TCP message (at most 4096 octets, see TcpFrameDecoder). */
        final byte[] packet = new byte[8192];

        final CacheKey probe = CacheKey.probe();
    }

    private static final FastThreadLocal<Scratch> SCRATCH = new FastThreadLocal<>() {
        @Override
        protected Scratch initialValue() {
            return new Scratch();
        }
    };

    /** RFC 6891 §6.2.5: the client's size, at least 512, at most ours. */
    private static int udpLimit(Query query) {
        Query.Edns edns = query.edns();
        return edns == null ? UDP_PLAIN : Math.min(edns.udpSize(), Answerer.UDP_PAYLOAD);
    }
}
