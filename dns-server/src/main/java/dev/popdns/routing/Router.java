package dev.popdns.routing;

import dev.popdns.geoip.Distance;
import dev.popdns.geoip.Location;
import java.util.ArrayList;
import java.util.List;

/**
 * Ranks PoPs for a client and picks the answer, with the semantics of docs/DESIGN.md "Routing
 * semantics": distance from the client's coordinates scaled by bias, ties by PoP id; a matching
 * country (else continent) override first; unknown location: HQ first, then by id. The first
 * eligible candidate with records of the type answers; with no eligible PoP, HQ answers anyway.
 *
 * <p>Stateless and thread-safe. The query path ranks nothing itself: it takes a {@link Ranking}
 * from {@link ClientRankings}, computed by {@link #rank} when the table was built.
 */
public final class Router {
    private Router() {}

    /** Decides the PoP for {@code name}, {@code qtype} (A or AAAA) and a client {@code location} (may be null). */
    public static Decision decide(
            RoutingTable table, GeoName name, Location location, int qtype, Eligibility eligibility) {
        return decide(table, name, rank(table, name, location), qtype, eligibility);
    }

    /**
     * Decides the PoP for {@code name} and {@code qtype} (A or AAAA) from a client's ranking;
     * allocates nothing (decisions are shared, {@link Decision#of}). Returns null when the ranking is {@link Ranking#cut} and none of
     * its PoPs can answer: the caller decides again from the whole ranking.
     */
    public static Decision decide(
            RoutingTable table, GeoName name, Ranking ranking, int qtype, Eligibility eligibility) {
        int[] ranked = ranking.order();
        boolean anyEligible = false;
        for (int i = 0; i < ranked.length; i++) {
            Pop pop = table.pop(ranked[i]);
            if (!eligibility.eligible(pop, name)) {
                continue;
            }
            anyEligible = true;
            if (name.records(pop.index(), qtype) != null) {
                return Decision.of(pop.index(), reason(ranking, i));
            }
        }
        if (ranking.cut()) {
            return null;
        }
        if (!anyEligible) {
            // fail open: a possibly broken answer beats none
            int hq = table.hq();
            return Decision.of(name.records(hq, qtype) != null ? hq : Decision.NO_DATA, Decision.Reason.FAIL_OPEN);
        }
        return Decision.of(Decision.NO_DATA, Decision.Reason.NO_RECORDS);
    }

    private static Decision.Reason reason(Ranking ranking, int rank) {
        if (ranking.unknown()) {
            return Decision.Reason.UNKNOWN_LOCATION;
        }
        return rank == 0 && ranking.pinned() ? Decision.Reason.OVERRIDE : Decision.Reason.NEAREST;
    }

    /**
     * Ranks the PoPs for a client {@code location} (may be null): a country or continent override's
     * PoP, then by scaled distance (ties by id), or without coordinates HQ and then by id.
     */
    public static Ranking rank(RoutingTable table, GeoName name, Location location) {
        boolean located = location != null && location.hasCoordinates();
        return rank(
                table, name, location, located ? byDistance(table, location.latitude(), location.longitude()) : null);
    }

    /** As {@link #rank(RoutingTable, GeoName, Location)}, with the order by distance already computed (or null). */
    static Ranking rank(RoutingTable table, GeoName name, Location location, int[] byDistance) {
        int[] base = byDistance != null ? byDistance : table.unlocatedOrder();
        int pinned = location == null ? -1 : override(name, location);
        if (pinned < 0) {
            return new Ranking(base, false, byDistance == null);
        }
        if (base[0] == pinned) {
            return new Ranking(base, true, false);
        }
        int[] order = new int[base.length];
        order[0] = pinned;
        int next = 1;
        for (int index : base) {
            if (index != pinned) {
                order[next++] = index;
            }
        }
        return new Ranking(order, true, false);
    }

    /** All PoPs by distance from the point scaled by each PoP's bias; equal keys keep id order. */
    static int[] byDistance(RoutingTable table, double latitude, double longitude) {
        int n = table.popCount();
        int[] order = new int[n];
        double[] key = new double[n];
        for (int i = 0; i < n; i++) {
            Pop p = table.pop(i);
            order[i] = i;
            key[i] = Distance.kilometres(latitude, longitude, p.latitude(), p.longitude()) * p.scale();
        }
        // insertion sort: a handful of PoPs, stable, so equal keys keep id order
        for (int i = 1; i < n; i++) {
            int o = order[i];
            double k = key[o];
            int j = i - 1;
            while (j >= 0 && key[order[j]] > k) {
                order[j + 1] = order[j];
                j--;
            }
            order[j + 1] = o;
        }
        return order;
    }

    /** The PoP a country (else continent) override pins the client to, or -1. */
    static int override(GeoName name, Location location) {
        if (location.countryCode() != null) {
            Integer pop = name.countries().get(location.countryCode());
            if (pop != null) {
                return pop;
            }
        }
        if (location.continentCode() != null) {
            Integer pop = name.continents().get(location.continentCode());
            if (pop != null) {
                return pop;
            }
        }
        return -1;
    }

    /** One ranked candidate, for {@code explain}. */
    public record Candidate(
            Pop pop, double distanceKm, double scaledKm, boolean pinned, boolean eligible, boolean hasRecords) {}

    /** The ranking with every figure, for {@code explain} and the status API. */
    public static List<Candidate> explain(
            RoutingTable table, GeoName name, Location location, int qtype, Eligibility eligibility) {
        List<Candidate> out = new ArrayList<>();
        int pinned = location == null ? -1 : override(name, location);
        for (int index : rank(table, name, location).order()) {
            Pop p = table.pop(index);
            double km = location != null && location.hasCoordinates()
                    ? Distance.kilometres(location.latitude(), location.longitude(), p.latitude(), p.longitude())
                    : Double.NaN;
            out.add(new Candidate(
                    p,
                    km,
                    km * p.scale(),
                    index == pinned,
                    eligibility.eligible(p, name),
                    name.records(index, qtype) != null));
        }
        return out;
    }
}
