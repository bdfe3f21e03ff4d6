package dev.popdns.routing;

/**
 * Whether a PoP may serve a geo name now. Today: admin state (config drain); the health view
 * fills the same interface with the checks each name needs. Called on the query path: must not
 * block or allocate.
 */
@FunctionalInterface
public interface Eligibility {
    boolean eligible(Pop pop, GeoName name);

    /** Admin state alone: every PoP that is not drained. */
    static Eligibility adminOnly() {
        return (pop, name) -> !pop.drained();
    }
}
