package dev.popdns.routing;

/**
 * PoP indexes best first for one geo name and one client location, before health: a country or
 * continent override's PoP first, then by distance scaled by bias (ties by id), or with no
 * coordinates HQ and then by id. Immutable; {@code order} may be shared: read only.
 *
 * @param order   PoP indexes, best first: every PoP, or the first few when {@code cut}
 * @param pinned  whether {@code order[0]} is there by an override
 * @param unknown whether the client's location gave nothing to rank by (HQ first)
 * @param cut     whether {@code order} holds only the first PoPs of the whole ranking
 */
public record Ranking(int[] order, boolean pinned, boolean unknown, boolean cut) {
    /** A whole ranking. */
    public Ranking(int[] order, boolean pinned, boolean unknown) {
        this(order, pinned, unknown, false);
    }

    /** This ranking's first {@code depth} PoPs, or itself when it has no more. */
    Ranking first(int depth) {
        return order.length <= depth ? this : new Ranking(java.util.Arrays.copyOf(order, depth), pinned, unknown, true);
    }
}
