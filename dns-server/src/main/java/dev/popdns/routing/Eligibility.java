package dev.popdns.routing;

/**
 * Whether a PoP may serve a geo name now. Today: admin state (config drain); the health view
 * fills the same interface with the checks each name needs. Called on the query path: must not
 * block or allocate.
 */
@FunctionalInterface
public interface Eligibility {
    boolean eligible(Pop pop, GeoName name);

    /**
     * The TTL of an answer routed to {@code pop} for {@code name}, when something shortens it now
     * (a scheduled drain: {@link DrainSchedule}); {@link #OWN_TTL} for the name's own TTL. An answer
     * with a shortened TTL changes every second, so the query path does not cache it.
     */
    default long ttl(Pop pop, GeoName name) {
        return OWN_TTL;
    }

    /** {@link #ttl}: the name's own TTL, answer cacheable. */
    long OWN_TTL = -1;

    /** Admin state alone: every PoP that is not drained. */
    static Eligibility adminOnly() {
        return (pop, name) -> !pop.drained();
    }
}
