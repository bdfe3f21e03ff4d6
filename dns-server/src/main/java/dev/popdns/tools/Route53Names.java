package dev.popdns.tools;

import dev.popdns.config.PopsConfig;
import dev.popdns.tools.Route53Input.RecordSet;
import dev.popdns.tools.Route53Mapper.Policy;
import dev.popdns.tools.Route53Pops.Endpoint;
import dev.popdns.tools.Route53Pops.PopDraft;
import dev.popdns.tools.Route53Pops.RoutedName;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.xbill.DNS.Name;

/**
 * Geo names of a Route 53 import, once the PoPs and the HQ are known ({@link Route53Pops}): each
 * routed name becomes a geo name with its country and continent overrides (geolocation codes,
 * failover pinned to the primary), the lowest TTL of its record sets, the check its health checks
 * map to ({@link Route53Checks}) and the address families its records have. A distance-routed
 * name must cover every PoP; a name that is not what Route 53 answers says so in its comment.
 */
final class Route53Names {
    private static final List<String> CONTINENTS = List.of("AF", "AN", "AS", "EU", "NA", "OC", "SA");
    private static final long MAX_GEO_TTL = 86400;

    private final Route53Report report;
    private final Route53Checks checks;
    private final List<PopDraft> pops;
    /** Names whose geo name is not what Route 53 answers: those the PoP synthesis found, and more. */
    private final Set<Name> broken;

    Route53Names(Route53Report report, Route53Checks checks, List<PopDraft> pops, Set<Name> broken) {
        this.report = report;
        this.checks = checks;
        this.pops = List.copyOf(pops);
        this.broken = new HashSet<>(broken);
    }

    /** The geo names of the routed names that have endpoints, in file order; {@code hq} is the HQ's PoP id. */
    Map<String, PopsConfig.GeoName> geoNames(List<RoutedName> routed, String hq) {
        for (RoutedName r : routed) {
            coverage(r);
        }
        Map<String, PopsConfig.GeoName> names = new LinkedHashMap<>();
        for (RoutedName r : routed) {
            PopsConfig.GeoName g = geoName(r, hq);
            if (g != null) {
                names.put(g.name(), g);
            }
        }
        return names;
    }

    /** Distance-routed names must answer from every PoP, or popdns would send clients where Route 53 never does. */
    private void coverage(RoutedName r) {
        if (r.policy() != Policy.LATENCY && r.policy() != Policy.GEOPROXIMITY
                || r.endpoints().isEmpty()) {
            return;
        }
        Set<String> mine = new LinkedHashSet<>();
        for (Endpoint e : r.endpoints()) {
            mine.add(e.pop().id);
        }
        List<String> missing = new ArrayList<>();
        for (PopDraft p : pops) {
            if (!mine.contains(p.id)) {
                missing.add(p.id);
            }
        }
        if (!missing.isEmpty()) {
            RecordSet s = r.endpoints().get(0).first();
            report.unmapped.add(Map.entry(
                    s.index(),
                    r.name() + " " + s.type() + ": " + Route53Mapper.policyWord(r.policy()) + " record sets cover "
                            + mine.size()
                            + " of the "
                            + pops.size() + " PoPs (not " + String.join(", ", missing)
                            + "): popdns routes a name among all PoPs by"
                            + " distance, so clients near those would get them"));
            broken.add(r.name());
        }
    }

    /** The geo name of a routed name with endpoints: its overrides, TTL, check and families; its comment says how it maps. */
    private PopsConfig.GeoName geoName(RoutedName r, String hq) {
        if (r.endpoints().isEmpty()) {
            return null;
        }
        String text = r.text();
        String comment = switch (r.policy()) {
            case LATENCY -> "latency records in " + regions(r) + ": nearest PoP by distance";
            case GEOPROXIMITY -> "geoproximity records: nearest PoP by distance, scaled by each PoP's bias";
            case GEOLOCATION -> "geolocation records; continents without one go to the default's PoP";
            case FAILOVER -> "failover records: every continent pinned to the PRIMARY (the HQ)";
            case SIMPLE, WEIGHTED, MULTIVALUE, CIDR -> throw new IllegalStateException("not routed: " + r.policy());
        };
        Map<String, String> countries = new TreeMap<>();
        Map<String, String> continents = new TreeMap<>();
        pin(r, hq, countries, continents);
        long ttl = ttl(r);
        List<String> needs = checks.needs(r, text);
        if (broken.contains(r.name())) {
            comment += "\nNOT equivalent to the Route 53 records: see the import's errors";
        }
        report.comments.put("names." + text, comment);
        return new PopsConfig.GeoName(text, ttl, needs, countries, continents, families(r), 0);
    }

    /**
     * The country and continent overrides: geolocation codes to their PoPs, every other continent
     * to the default's PoP (else the HQ); failover: every continent to the PRIMARY's PoP.
     */
    private void pin(RoutedName r, String hq, Map<String, String> countries, Map<String, String> continents) {
        String text = r.text();
        RecordSet first = r.endpoints().get(0).first();
        if (r.policy() == Policy.GEOLOCATION) {
            Endpoint fallback = r.hqEndpoint();
            for (Endpoint e : r.endpoints()) {
                Route53Input.GeoLocation g = e.first().geoLocation();
                if (g.continent() != null) {
                    continents.put(g.continent(), e.pop().id);
                } else if (!g.isDefault()) {
                    countries.put(g.country(), e.pop().id);
                }
            }
            if (fallback == null) {
                report.unmapped.add(Map.entry(
                        first.index(),
                        text + " " + first.type() + ": no default (*) geolocation"
                                + " record set: Route 53 gives clients elsewhere no answer; popdns sends them to the HQ, "
                                + hq));
            }
            String rest = fallback == null ? hq : fallback.pop().id;
            for (String c : CONTINENTS) {
                continents.putIfAbsent(c, rest);
            }
        } else if (r.policy() == Policy.FAILOVER) {
            Endpoint primary = r.hqEndpoint();
            if (primary == null) {
                report.unmapped.add(Map.entry(
                        first.index(), text + " " + first.type() + ": failover without a PRIMARY record set"));
            } else {
                for (String c : CONTINENTS) {
                    continents.put(c, primary.pop().id);
                }
                if (pops.size() > 2) {
                    report.notes.add(text
                            + ": when the primary is down popdns sends clients to the nearest eligible PoP, which need not be"
                            + " the SECONDARY (Route 53 would send them to the secondary)");
                }
            }
        }
    }

    /** The lowest TTL of the name's record sets, at most {@link #MAX_GEO_TTL} (noted when they differ or it is out of range). */
    private long ttl(RoutedName r) {
        long ttl = Long.MAX_VALUE;
        Set<Long> ttls = new TreeSet<>();
        for (Endpoint e : r.endpoints()) {
            for (RecordSet s : e.sets()) {
                ttls.add(s.ttl());
                ttl = Math.min(ttl, s.ttl());
            }
        }
        if (ttls.size() > 1) {
            report.notes.add(
                    r.text() + ": its record sets have TTLs " + ttls + "; the geo name gets the lowest, " + ttl);
        }
        if (ttl > MAX_GEO_TTL || ttl < 0) {
            report.notes.add(r.text() + ": TTL " + ttl + " is outside 0.." + MAX_GEO_TTL + " for a geo name: "
                    + MAX_GEO_TTL + " instead");
            ttl = MAX_GEO_TTL;
        }
        return ttl;
    }

    /** The families the Route 53 records have: IPv4-only records make an A-only name (AAAA: NODATA). */
    private List<String> families(RoutedName r) {
        List<String> families = new ArrayList<>();
        for (Endpoint e : r.endpoints()) {
            for (InetAddress a : e.addresses()) {
                String family = a instanceof Inet4Address ? "A" : "AAAA";
                if (!families.contains(family)) {
                    families.add(family);
                }
            }
        }
        families.sort(Comparator.naturalOrder());
        // no PoP has an address of the other family: both is the same, and the default
        return families.isEmpty() || !otherFamilyServed(families) ? PopsConfig.GeoName.BOTH : families;
    }

    /** Whether some PoP has an address of a family not in {@code families}. */
    private boolean otherFamilyServed(List<String> families) {
        for (PopDraft p : pops) {
            for (InetAddress a : p.addresses) {
                if (!families.contains(a instanceof Inet4Address ? "A" : "AAAA")) {
                    return true;
                }
            }
        }
        return false;
    }

    private static String regions(RoutedName r) {
        List<String> out = new ArrayList<>();
        for (Endpoint e : r.endpoints()) {
            out.add(e.first().region());
        }
        return String.join(", ", out);
    }
}
