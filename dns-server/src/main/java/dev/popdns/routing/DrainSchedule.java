package dev.popdns.routing;

import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Drains planned for a moment: from {@code at} until {@code until} a PoP gets no clients (as a
 * drain override would), and from {@code at - TTL} on, answers routed to it carry TTL = whole
 * seconds left until {@code at} (at least 1), so that when the drain starts no resolver still
 * holds an answer pointing there: maintenance without a client on the PoP.
 *
 * <p>Kept by PoP id, so a reload keeps the plan; a PoP the new config drops is simply never
 * routed to. Set and cancelled by the admin API ({@code POST|DELETE /api/v1/pops/ID/drain}); a
 * restart forgets it, like the overrides.
 *
 * <p>Threads: writers (the HTTP thread) are synchronized and publish a new immutable map through
 * one volatile field; the query path ({@link #over}) reads that field once per routed query and,
 * when the map is empty (nearly always), does nothing else: no lock, no allocation.
 */
public final class DrainSchedule {
    /** One planned drain; {@code until} is {@link Instant#MAX} for "until undrained". */
    public record Drain(String pop, Instant at, Instant until, String reason) {
        /** Whether the PoP is drained at {@code nowMillis}. */
        boolean active(long nowMillis) {
            return nowMillis >= at.toEpochMilli() && (until.equals(Instant.MAX) || nowMillis < until.toEpochMilli());
        }
    }

    private final Clock clock;
    private volatile Map<String, Drain> drains = Map.of();

    public DrainSchedule(Clock clock) {
        this.clock = clock;
    }

    /** Plans {@code drain}, replacing any plan for the same PoP; returns the one replaced, or null. */
    public synchronized Drain schedule(Drain drain) {
        Map<String, Drain> next = new LinkedHashMap<>(current());
        Drain old = next.put(drain.pop(), drain);
        drains = Map.copyOf(next);
        return old;
    }

    /** Cancels the plan for {@code pop}; returns it, or null when there was none. */
    public synchronized Drain cancel(String pop) {
        Map<String, Drain> next = new LinkedHashMap<>(current());
        Drain old = next.remove(pop);
        drains = Map.copyOf(next);
        return old;
    }

    /** The plans not yet over, by PoP id. */
    public Map<String, Drain> current() {
        Map<String, Drain> now = drains;
        long millis = clock.millis();
        Map<String, Drain> live = new LinkedHashMap<>();
        for (Drain d : now.values()) {
            if (d.until().equals(Instant.MAX) || millis < d.until().toEpochMilli()) {
                live.put(d.pop(), d);
            }
        }
        return live;
    }

    /**
     * The whole seconds left until {@code at} when an answer of {@code ttl} seconds given now would
     * outlive it, at least 1; {@link Eligibility#OWN_TTL} otherwise (also once the drain runs).
     */
    static long shortened(long ttl, long nowMillis, Drain drain) {
        long left = drain.at().toEpochMilli() - nowMillis;
        if (left < 0 || left >= ttl * 1000) {
            return Eligibility.OWN_TTL;
        }
        // rounded down: a resolver's copy expires at `at` at the latest (1 s: just after)
        return Math.max(1, left / 1000);
    }

    /** {@code base}, with the PoPs of running drains not eligible and the TTL shortened before them. */
    public Eligibility over(Eligibility base) {
        return new Eligibility() {
            @Override
            public boolean eligible(Pop pop, GeoName name) {
                Map<String, Drain> now = drains;
                if (!now.isEmpty()) {
                    Drain d = now.get(pop.id());
                    if (d != null && d.active(clock.millis())) {
                        return false;
                    }
                }
                return base.eligible(pop, name);
            }

            @Override
            public long ttl(Pop pop, GeoName name) {
                Map<String, Drain> now = drains;
                if (now.isEmpty()) {
                    return base.ttl(pop, name);
                }
                Drain d = now.get(pop.id());
                return d == null ? base.ttl(pop, name) : shortened(name.ttl(), clock.millis(), d);
            }
        };
    }
}
