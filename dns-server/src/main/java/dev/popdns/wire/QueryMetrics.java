package dev.popdns.wire;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Type;

/**
 * The query path's meters, all registered up front with bounded tags, so that counting is an
 * array index and an adder increment: {@code popdns_queries_total{transport,qtype,rcode}},
 * {@code popdns_query_duration_seconds} (one query in 16), {@code popdns_response_cache_requests_total{result}},
 * {@code popdns_rrl_responses_total{action}}, {@code popdns_internal_errors_total{stage}} (see
 * {@link InternalErrors}).
 * Query types outside a fixed list count as {@code qtype="other"}; no name or address is a tag.
 */
public final class QueryMetrics {
    private static final int[] TYPES = {
        Type.A,
        Type.AAAA,
        Type.CNAME,
        Type.MX,
        Type.NS,
        Type.SOA,
        Type.TXT,
        Type.CAA,
        Type.SRV,
        Type.PTR,
        Type.DS,
        Type.DNSKEY,
        Type.HTTPS,
        Type.SVCB,
        Type.ANY,
        Type.AXFR,
        Type.IXFR
    };
    private static final int OTHER = TYPES.length;
    private static final int RCODES = 16;
    private static final int SAMPLE = 16;

    /** [transport][qtype index][rcode]. */
    private final Counter[][][] queries = new Counter[2][TYPES.length + 1][RCODES];

    private final Timer duration;
    private final Counter hits;
    private final Counter misses;
    /** Indexed by {@link RateLimiter#ALLOW}, {@link RateLimiter#SLIP}, {@link RateLimiter#DROP}. */
    private final Counter[] rateLimited = new Counter[3];

    private final InternalErrors errors;

    public QueryMetrics(MeterRegistry registry) {
        errors = new InternalErrors(registry, System::nanoTime);
        String[] transports = {"udp", "tcp"};
        for (int t = 0; t < 2; t++) {
            for (int q = 0; q <= TYPES.length; q++) {
                for (int r = 0; r < RCODES; r++) {
                    queries[t][q][r] = Counter.builder("popdns_queries")
                            .description("DNS queries answered")
                            .tag("transport", transports[t])
                            .tag("qtype", q == OTHER ? "other" : Type.string(TYPES[q]))
                            .tag("rcode", Rcode.string(r))
                            .register(registry);
                }
            }
        }
        duration = Timer.builder("popdns_query_duration")
                .description("Time from a received packet to its encoded answer, sampled: one query in 16")
                .publishPercentileHistogram()
                .minimumExpectedValue(java.time.Duration.ofNanos(1000))
                .maximumExpectedValue(java.time.Duration.ofMillis(100))
                .register(registry);
        hits = Counter.builder("popdns_response_cache_requests")
                .tag("result", "hit")
                .register(registry);
        misses = Counter.builder("popdns_response_cache_requests")
                .tag("result", "miss")
                .register(registry);
        String[] actions = {"allowed", "slipped", "dropped"};
        for (int i = 0; i < actions.length; i++) {
            rateLimited[i] = Counter.builder("popdns_rrl_responses")
                    .description("UDP answers judged by response rate limiting, by what became of them")
                    .tag("action", actions[i])
                    .register(registry);
        }
    }

    /** A metrics sink that registers nothing (tests, tools). */
    public static QueryMetrics none() {
        return new QueryMetrics(new io.micrometer.core.instrument.simple.SimpleMeterRegistry());
    }

    /**
     * When a query starts: {@link System#nanoTime()} for one query in 16, picked at random with no
     * shared state, else {@link #UNTIMED}. The histogram costs a search and several atomics per
     * record (measured at a third of the per-query Java time under load), and the clock read a
     * further 0.5 % of the server's samples at full speed. Quantiles are unbiased; the count is a
     * sixteenth of the queries.
     */
    static long start() {
        return ThreadLocalRandom.current().nextInt(SAMPLE) == 0 ? System.nanoTime() : UNTIMED;
    }

    /** {@link #start()} for a query that is not timed. */
    static final long UNTIMED = Long.MIN_VALUE;

    void answered(boolean tcp, int qtype, int rcode, long startNanos) {
        queries[tcp ? 1 : 0][typeIndex(qtype)][rcode & 0xf].increment();
        if (startNanos != UNTIMED) {
            duration.record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
        }
    }

    void rateLimit(int action) {
        rateLimited[action].increment();
    }

    void internalError(InternalErrors.Stage stage, Throwable error) {
        errors.record(stage, error);
    }

    /** The query path's exception counts. */
    public InternalErrors internalErrors() {
        return errors;
    }

    void cache(boolean hit) {
        (hit ? hits : misses).increment();
    }

    private static int typeIndex(int qtype) {
        for (int i = 0; i < TYPES.length; i++) {
            if (TYPES[i] == qtype) {
                return i;
            }
        }
        return OTHER;
    }
}
