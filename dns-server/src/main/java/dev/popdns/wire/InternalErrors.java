package dev.popdns.wire;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Exceptions on the query path: each one counts in {@code popdns_internal_errors_total{stage}};
 * the first one in a minute is logged with its stack trace, and the ones after it in that minute
 * only counted (the next logged line says how many). A bug that hits every query therefore costs
 * one log line a minute, not one per query.
 *
 * <p>Threads: called from every query thread (UDP threads, TCP event loops); the counters are Micrometer adders and the log gate is
 * one compare-and-set on an {@link AtomicLong}. Time comes from an injected nanosecond ticker.
 */
public final class InternalErrors {
    private static final Logger LOG = LoggerFactory.getLogger(InternalErrors.class);
    private static final long LOG_INTERVAL = TimeUnit.MINUTES.toNanos(1);

    /** Where on the query path the exception was thrown. */
    public enum Stage {
        /** {@code QueryDecoder}: reading the packet. */
        DECODE,
        /** Routing, the response cache, {@code Answerer} and the encoding of the answer. */
        ANSWER,
        /** Encoding an error response (FORMERR, NOTIMP, or the SERVFAIL for an ANSWER failure). */
        ENCODE;

        String tag() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    private final Counter[] counters = new Counter[Stage.values().length];
    private final LongSupplier nanoTime;
    private final AtomicLong nextLog;
    private final AtomicLong suppressed = new AtomicLong();

    public InternalErrors(MeterRegistry registry, LongSupplier nanoTime) {
        for (Stage stage : Stage.values()) {
            counters[stage.ordinal()] = Counter.builder("popdns_internal_errors")
                    .description("Exceptions on the query path, by stage; each one is a bug")
                    .tag("stage", stage.tag())
                    .register(registry);
        }
        this.nanoTime = nanoTime;
        this.nextLog = new AtomicLong(nanoTime.getAsLong());
    }

    /**
     * Counts {@code error}, and logs it when no error was logged in the last minute.
     *
     * @return whether this error was logged
     */
    public boolean record(Stage stage, Throwable error) {
        counters[stage.ordinal()].increment();
        long now = nanoTime.getAsLong();
        long next = nextLog.get();
        if (now - next >= 0 && nextLog.compareAndSet(next, now + LOG_INTERVAL)) {
            long before = suppressed.getAndSet(0);
            LOG.error(
                    "query path: {} failed ({} more errors since the last one logged; the next are logged at most"
                            + " once a minute, all are counted in popdns_internal_errors_total)",
                    stage.tag(),
                    before,
                    error);
            return true;
        }
        suppressed.incrementAndGet();
        return false;
    }

    /** Errors counted at {@code stage} since start. */
    public long count(Stage stage) {
        return (long) counters[stage.ordinal()].count();
    }
}
