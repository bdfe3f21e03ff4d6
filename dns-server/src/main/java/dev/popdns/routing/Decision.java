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

    /** Every decision of PoP indices -1..254 (pops.yaml declares at most 254 PoPs), by pop + 1 and reason. */
    private static final Decision[][] ALL = all();

    /** The decision for {@code pop} and {@code reason}: one shared instance each, so the query path allocates none. */
    public static Decision of(int pop, Reason reason) {
        return pop + 1 < ALL.length ? ALL[pop + 1][reason.ordinal()] : new Decision(pop, reason);
    }

    private static Decision[][] all() {
        Reason[] reasons = Reason.values();
        Decision[][] all = new Decision[256][reasons.length];
        for (int pop = NO_DATA; pop < all.length - 1; pop++) {
            for (Reason reason : reasons) {
                all[pop + 1][reason.ordinal()] = new Decision(pop, reason);
            }
        }
        return all;
    }

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
