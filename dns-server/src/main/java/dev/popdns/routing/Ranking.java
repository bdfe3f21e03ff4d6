package dev.popdns.routing;

/**
 * PoP indexes best first for one geo name and one client location, before health: a country or
 * continent override's PoP first, then by distance scaled by bias (ties by id), or with no
 * coordinates HQ and then by id. Immutable; {@code order} may be shared: read only.
 *
 * @param order   every PoP index, best first
 * @param pinned  whether {@code order[0]} is there by an override
 * @param unknown whether the client's location gave nothing to rank by (HQ first)
 */
public record Ranking(int[] order, boolean pinned, boolean unknown) {}
