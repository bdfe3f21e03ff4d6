package dev.popdns.routing;

/**
 * What the router chose for one query.
 *
 * @param pop    index of the PoP whose records answer, or {@link #NO_DATA}
 * @param reason why, for explain and the status page
 */
public record Decision(int pop, Reason reason) {
    /** No eligible PoP has records of the type: the answer is NODATA. */
    public static final int NO_DATA = -1;

    public enum Reason {
        /** The nearest eligible PoP (after overrides) with records of the type. */
        NEAREST,
        /** The client's country or continent is pinned to this PoP. */
        OVERRIDE,
        /** Unknown client location: HQ first. */
        UNKNOWN_LOCATION,
        /** No PoP is eligible: HQ anyway (fail open). */
        FAIL_OPEN,
        /** Eligible PoPs exist, none with records of the type. */
        NO_RECORDS
    }
}
