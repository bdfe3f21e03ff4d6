package dev.popdns.tools;

import dev.popdns.config.AddressLiteral;
import dev.popdns.config.CheckFields;
import dev.popdns.config.PopsConfig;
import dev.popdns.tools.Route53Input.RecordSet;
import dev.popdns.tools.Route53Mapper.Policy;
import io.netty.util.NetUtil;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.xbill.DNS.Name;

/**
 * PoP synthesis and HQ choice of a Route 53 import: each policy key of a routed name (a latency
 * region, a geolocation, a failover role) is an endpoint; the same addresses are one PoP, located
 * at its AWS region or geoproximity coordinates with its bias; the HQ is the first geolocation
 * default's or failover primary's PoP; each routed name becomes a geo name with its overrides and
 * the check its health checks map to ({@link Route53Checks}). The drafts are mutable while the
 * import runs and become {@link PopsConfig} records at the end.
 */
final class Route53Pops {
    private static final List<String> CONTINENTS = List.of("AF", "AN", "AS", "EU", "NA", "OC", "SA");
    private static final long MAX_GEO_TTL = 86400;

    private final Route53Report report;
    private final Route53Checks checks;
    private final Map<Name, RoutedName> routed = new LinkedHashMap<>();
    private final List<PopDraft> pops = new ArrayList<>();
    private String hq;

    Route53Pops(Route53Report report, Route53Checks checks) {
        this.report = report;
        this.checks = checks;
    }

    /** A policy key of one routed name (a region, a geolocation, a role) with its A and AAAA record sets. */
    static final class Endpoint {
        final String key;
        final List<RecordSet> sets = new ArrayList<>();
        final List<InetAddress> addresses = new ArrayList<>();
        PopDraft pop;

        Endpoint(String key) {
            this.key = key;
        }

        RecordSet first() {
            return sets.get(0);
        }
    }

    static final class RoutedName {
        final Name name;
        final Policy policy;
        final Map<String, Endpoint> endpoints = new LinkedHashMap<>();
        boolean broken;

        RoutedName(Name name, Policy policy) {
            this.name = name;
            this.policy = policy;
        }
    }

    static final class PopDraft {
        final String id;
        final List<InetAddress> addresses;
        final Set<String> addressKey;
        double latitude = Double.NaN;
        double longitude = Double.NaN;
        String locationNote;
        double weakLatitude = Double.NaN;
        double weakLongitude = Double.NaN;
        String weakNote;
        Integer bias;
        String biasSource;
        InetAddress probeAddress;
        final Map<String, CheckFields> overrides = new TreeMap<>();
        /** Geo names this PoP answers with another set of addresses than its own (pops.ID.names). */
        final Map<String, List<InetAddress>> own = new TreeMap<>();
        /** The fields each check is probed with at this PoP, once a name has needed it. */
        final Map<String, CheckFields> probed = new LinkedHashMap<>();

        PopDraft(String id, List<InetAddress> addresses, Set<String> addressKey) {
            this.id = id;
            this.addresses = addresses;
            this.addressKey = addressKey;
        }
    }

    /** Adds a record set with a routing policy to its name, or reports it when the name has another policy. */
    void routedName(Name name, Policy policy, RecordSet s) {
        RoutedName r = routed.get(name);
        if (r == null) {
            r = new RoutedName(name, policy);
            routed.put(name, r);
        } else if (r.policy != policy) {
            report.unmapped(
                    s,
                    Route53Mapper.policyWord(policy) + " routing, but "
                            + r.endpoints.values().iterator().next().first().label() + " uses "
                            + Route53Mapper.policyWord(r.policy)
                            + ": popdns routes both address families of a name alike");
            return;
        }
        String key = switch (policy) {
            case LATENCY -> s.region();
            case GEOLOCATION -> s.geoLocation().toString();
            case GEOPROXIMITY -> s.geoProximity().toString();
            case FAILOVER -> s.failover();
            case SIMPLE, WEIGHTED, MULTIVALUE, CIDR -> throw new IllegalStateException("not routed: " + policy);
        };
        r.endpoints.computeIfAbsent(key, Endpoint::new).sets.add(s);
    }

    /** The routed names, lower case. */
    Set<String> names() {
        Set<String> names = new java.util.HashSet<>();
        for (RoutedName r : routed.values()) {
            names.add(r.name.toString().toLowerCase(Locale.ROOT));
        }
        return names;
    }

    /**
     * Builds the PoPs from the routed names, chooses the HQ, checks coverage and returns the geo
     * names in file order.
     */
    Map<String, PopsConfig.GeoName> geoNames() {
        for (RoutedName r : routed.values()) {
            endpoints(r);
        }
        hq = chooseHq();
        for (RoutedName r : routed.values()) {
            coverage(r);
        }
        Map<String, PopsConfig.GeoName> names = new LinkedHashMap<>();
        for (RoutedName r : routed.values()) {
            PopsConfig.GeoName g = geoName(r, hq);
            if (g != null) {
                names.put(g.name(), g);
            }
        }
        return names;
    }

    /** The PoPs as pops.yaml records; a PoP Route 53 has no location for gets a guess or a placeholder (noted). */
    List<PopsConfig.Pop> pops() {
        List<PopsConfig.Pop> out = new ArrayList<>();
        for (PopDraft p : pops) {
            double lat = p.latitude;
            double lon = p.longitude;
            String note = p.locationNote;
            if (Double.isNaN(lat)) {
                boolean guessed = !Double.isNaN(p.weakLatitude);
                lat = guessed ? p.weakLatitude : 0;
                lon = guessed ? p.weakLongitude : 0;
                note = (guessed ? p.weakNote : "unknown to Route 53") + ": set the PoP's real location";
                report.notes.add("PoP " + p.id + ": Route 53 has no location for it; [" + PopsDiff.number(lat) + ", "
                        + PopsDiff.number(lon)
                        + "] is " + (guessed ? p.weakNote : "a placeholder")
                        + ": it only orders the fallback when a pinned PoP"
                        + " is down, but set the real one");
            }
            report.comments.put("pops." + p.id + ".location", note);
            out.add(new PopsConfig.Pop(
                    p.id,
                    p.id.equals(hq),
                    lat,
                    lon,
                    p.addresses,
                    PopsConfig.AdminState.ACTIVE,
                    p.bias == null ? 0 : p.bias,
                    p.probeAddress,
                    p.overrides,
                    p.own,
                    0));
        }
        return out;
    }

    /** Parses each endpoint's addresses, finds or creates its PoP, and takes the PoP's location and bias from it. */
    private void endpoints(RoutedName r) {
        for (Endpoint e : List.copyOf(r.endpoints.values())) {
            if (!valid(r, e) || !addresses(e)) {
                r.endpoints.remove(e.key);
                continue;
            }
            PopDraft pop = pop(r, e);
            if (pop == null) {
                r.endpoints.remove(e.key);
                continue;
            }
            e.pop = pop;
            RecordSet s = e.first();
            switch (r.policy) {
                case LATENCY -> {
                    AwsRegions.Site site = AwsRegions.region(s.region());
                    locate(pop, site.latitude(), site.longitude(), "AWS " + s.region() + " (" + site.city() + ")", e);
                    bias(pop, 0, r, e);
                }
                case GEOPROXIMITY -> {
                    Route53Input.GeoProximity p = s.geoProximity();
                    if (p.region() != null) {
                        AwsRegions.Site site = AwsRegions.region(p.region());
                        locate(
                                pop,
                                site.latitude(),
                                site.longitude(),
                                "AWS " + p.region() + " (" + site.city() + ")",
                                e);
                    } else {
                        locate(pop, p.latitude(), p.longitude(), "geoproximity coordinates", e);
                    }
                    bias(pop, p.bias(), r, e);
                }
                case GEOLOCATION -> {
                    // a guess, used only when no latency or geoproximity record places the PoP
                    AwsRegions.Site site = s.geoLocation().continent() == null
                            ? null
                            : AwsRegions.continent(s.geoLocation().continent());
                    if (site != null && Double.isNaN(pop.weakLatitude)) {
                        pop.weakLatitude = site.latitude();
                        pop.weakLongitude = site.longitude();
                        pop.weakNote =
                                "guessed from geolocation " + s.geoLocation().continent() + " (" + site.city() + ")";
                    }
                }
                case FAILOVER, SIMPLE, WEIGHTED, MULTIVALUE, CIDR -> {
                    // no location in the record set
                }
            }
        }
    }

    /** Checks what popdns cannot express about one endpoint; reports it and returns false. */
    private boolean valid(RoutedName r, Endpoint e) {
        RecordSet s = e.first();
        switch (r.policy) {
            case LATENCY -> {
                if (AwsRegions.region(s.region()) == null) {
                    for (RecordSet x : e.sets) {
                        report.unmapped(
                                x,
                                "latency region " + s.region()
                                        + " is not in popdns's table of AWS regions: add a PoP with its location by hand");
                    }
                    return false;
                }
            }
            case GEOLOCATION -> {
                Route53Input.GeoLocation g = s.geoLocation();
                if (g.subdivision() != null) {
                    for (RecordSet x : e.sets) {
                        report.unmapped(
                                x,
                                "geolocation subdivision " + g.country() + "-" + g.subdivision()
                                        + ": popdns overrides countries and"
                                        + " continents, not subdivisions; clients there get the " + g.country()
                                        + " (else continent, else default) answer");
                    }
                    return false;
                }
                if (g.continent() == null && g.country() == null) {
                    for (RecordSet x : e.sets) {
                        report.unmapped(x, "geolocation with neither ContinentCode nor CountryCode");
                    }
                    return false;
                }
            }
            case GEOPROXIMITY -> {
                Route53Input.GeoProximity p = s.geoProximity();
                String problem = p.localZoneGroup() != null
                        ? "a Local Zone group (" + p.localZoneGroup() + ") has no coordinates popdns knows"
                        : p.region() != null && AwsRegions.region(p.region()) == null
                                ? "region " + p.region() + " is not in popdns's table of AWS regions"
                                : p.region() == null
                                                && (p.latitude() == null
                                                        || p.latitude() < -90
                                                        || p.latitude() > 90
                                                        || p.longitude() < -180
                                                        || p.longitude() > 180)
                                        ? "no usable coordinates"
                                        : p.bias() < -99 || p.bias() > 99
                                                ? "bias " + p.bias() + " (expected: -99..99)"
                                                : null;
                if (problem != null) {
                    for (RecordSet x : e.sets) {
                        report.unmapped(x, "geoproximity: " + problem);
                    }
                    return false;
                }
            }
            case FAILOVER -> {
                if (!s.failover().equals("PRIMARY") && !s.failover().equals("SECONDARY")) {
                    for (RecordSet x : e.sets) {
                        report.unmapped(x, "failover role " + s.failover() + " (expected: PRIMARY or SECONDARY)");
                    }
                    return false;
                }
            }
            case SIMPLE, WEIGHTED, MULTIVALUE, CIDR -> throw new IllegalStateException("not routed: " + r.policy);
        }
        return true;
    }

    private boolean addresses(Endpoint e) {
        boolean ok = true;
        for (RecordSet s : e.sets) {
            for (String v : s.values()) {
                InetAddress a = literal(v.trim(), s.type().equals("A"));
                if (a == null) {
                    report.unmapped(
                            s,
                            "value '" + v + "' is not a literal " + (s.type().equals("A") ? "IPv4" : "IPv6")
                                    + " address");
                    ok = false;
                } else if (!e.addresses.contains(a)) {
                    e.addresses.add(a);
                }
            }
        }
        // A addresses first: a PoP probes its first address
        e.addresses.sort(Comparator.comparingInt(a -> a instanceof Inet4Address ? 0 : 1));
        return ok && !e.addresses.isEmpty();
    }

    /** A literal address of the family (IPv4 for A values, IPv6 for AAAA), or null. */
    static InetAddress literal(String text, boolean ipv4) {
        InetAddress a = AddressLiteral.parse(text);
        return a != null && (a instanceof Inet4Address) == ipv4 ? a : null;
    }

    /**
     * The PoP with exactly the endpoint's addresses; else the PoP they share an address with (the
     * endpoint's addresses become the PoP's own for this name, {@code pops.ID.names}: a latency set
     * for media with IPv4-only records that share addresses with the apex's PoPs); else a new one.
     */
    private PopDraft pop(RoutedName r, Endpoint e) {
        Set<String> key = new TreeSet<>();
        for (InetAddress a : e.addresses) {
            key.add(NetUtil.toAddressString(a));
        }
        for (PopDraft p : pops) {
            if (p.addressKey.equals(key)) {
                return p;
            }
        }
        for (PopDraft p : pops) {
            for (String a : key) {
                if (p.addressKey.contains(a)) {
                    String name = r.name.toString().toLowerCase(Locale.ROOT);
                    List<InetAddress> previous = p.own.putIfAbsent(name, List.copyOf(e.addresses));
                    if (previous != null && !previous.equals(e.addresses)) {
                        for (RecordSet s : e.sets) {
                            report.unmapped(
                                    s,
                                    "addresses " + key + " share " + a + " with PoP " + p.id + ", which answers " + name
                                            + " with other addresses already");
                        }
                        return null;
                    }
                    report.notes.add(name + ": answered at PoP " + p.id + " with its own addresses " + key
                            + " (they share " + a + " with the PoP's " + p.addressKey + ")");
                    return p;
                }
            }
        }
        RecordSet s = e.first();
        String base = id(s.setIdentifier() != null ? s.setIdentifier() : s.region() != null ? s.region() : e.key);
        String id = base;
        for (int n = 2; idTaken(id); n++) {
            id = base + "-" + n;
        }
        PopDraft p = new PopDraft(id, List.copyOf(e.addresses), key);
        pops.add(p);
        return p;
    }

    private boolean idTaken(String id) {
        for (PopDraft p : pops) {
            if (p.id.equals(id)) {
                return true;
            }
        }
        return false;
    }

    /** A SetIdentifier as a PoP id: lower case, letters, digits and '-'. */
    static String id(String text) {
        String id = text.toLowerCase(Locale.ROOT)
                .replaceAll("[^a-z0-9-]+", "-")
                .replaceAll("-{2,}", "-")
                .replaceAll("^-+|-+$", "");
        if (id.length() > 63) {
            id = id.substring(0, 63).replaceAll("-+$", "");
        }
        return id.isEmpty() ? "pop" : id;
    }

    private void locate(PopDraft pop, double lat, double lon, String note, Endpoint e) {
        if (Double.isNaN(pop.latitude)) {
            pop.latitude = lat;
            pop.longitude = lon;
            pop.locationNote = note;
        } else if (pop.latitude != lat || pop.longitude != lon) {
            report.notes.add(e.first().label() + ": PoP " + pop.id + " is already at " + pop.locationNote + "; " + note
                    + " is ignored");
        }
    }

    private void bias(PopDraft pop, int bias, RoutedName r, Endpoint e) {
        if (pop.bias == null) {
            pop.bias = bias;
            pop.biasSource = e.first().label();
        } else if (pop.bias != bias) {
            for (RecordSet s : e.sets) {
                report.unmapped(
                        s,
                        "bias " + bias + " for PoP " + pop.id + ", which has bias " + pop.bias + " from "
                                + pop.biasSource + ": popdns has one bias per PoP for all names");
            }
            r.broken = true;
        }
    }

    /** The HQ: the first geolocation default's or failover primary's PoP, else the first PoP. */
    String chooseHq() {
        if (pops.isEmpty()) {
            return null;
        }
        String hq = null;
        String why = null;
        for (RoutedName r : routed.values()) {
            Endpoint e = hqEndpoint(r);
            if (e == null) {
                continue;
            }
            String reason = r.policy == Policy.GEOLOCATION
                    ? "the geolocation default of " + r.name
                    : "the failover PRIMARY of " + r.name;
            if (hq == null) {
                hq = e.pop.id;
                why = reason;
            } else if (!hq.equals(e.pop.id)) {
                r.broken = true;
                for (RecordSet s : e.sets) {
                    report.unmapped(
                            s,
                            "needs PoP " + e.pop.id
                                    + " as the HQ (the answer for clients of unknown location and the last resort),"
                                    + " but the HQ is " + hq + ", " + why);
                }
            }
        }
        if (hq == null) {
            hq = pops.get(0).id;
            why = "the first PoP: Route 53 has no default or primary to take it from";
        }
        report.comments.put("pops." + hq, "HQ: " + why);
        return hq;
    }

    private static Endpoint hqEndpoint(RoutedName r) {
        for (Endpoint e : r.endpoints.values()) {
            RecordSet s = e.first();
            if (r.policy == Policy.GEOLOCATION && s.geoLocation().isDefault()
                    || r.policy == Policy.FAILOVER && s.failover().equals("PRIMARY")) {
                return e;
            }
        }
        return null;
    }

    /** Distance-routed names must answer from every PoP, or popdns would send clients where Route 53 never does. */
    private void coverage(RoutedName r) {
        if (r.policy != Policy.LATENCY && r.policy != Policy.GEOPROXIMITY || r.endpoints.isEmpty()) {
            return;
        }
        Set<String> mine = new LinkedHashSet<>();
        for (Endpoint e : r.endpoints.values()) {
            mine.add(e.pop.id);
        }
        List<String> missing = new ArrayList<>();
        for (PopDraft p : pops) {
            if (!mine.contains(p.id)) {
                missing.add(p.id);
            }
        }
        if (!missing.isEmpty()) {
            RecordSet s = r.endpoints.values().iterator().next().first();
            report.unmapped.add(Map.entry(
                    s.index(),
                    r.name + " " + s.type() + ": " + Route53Mapper.policyWord(r.policy) + " record sets cover "
                            + mine.size()
                            + " of the "
                            + pops.size() + " PoPs (not " + String.join(", ", missing)
                            + "): popdns routes a name among all PoPs by"
                            + " distance, so clients near those would get them"));
            r.broken = true;
        }
    }

    private PopsConfig.GeoName geoName(RoutedName r, String hq) {
        if (r.endpoints.isEmpty()) {
            return null;
        }
        String text = r.name.toString().toLowerCase(Locale.ROOT);
        Map<String, String> countries = new TreeMap<>();
        Map<String, String> continents = new TreeMap<>();
        String comment = switch (r.policy) {
            case LATENCY -> "latency records in " + regions(r) + ": nearest PoP by distance";
            case GEOPROXIMITY -> "geoproximity records: nearest PoP by distance, scaled by each PoP's bias";
            case GEOLOCATION -> "geolocation records; continents without one go to the default's PoP";
            case FAILOVER -> "failover records: every continent pinned to the PRIMARY (the HQ)";
            case SIMPLE, WEIGHTED, MULTIVALUE, CIDR -> throw new IllegalStateException("not routed: " + r.policy);
        };
        if (r.policy == Policy.GEOLOCATION) {
            Endpoint fallback = hqEndpoint(r);
            for (Endpoint e : r.endpoints.values()) {
                Route53Input.GeoLocation g = e.first().geoLocation();
                if (g.continent() != null) {
                    continents.put(g.continent(), e.pop.id);
                } else if (!g.isDefault()) {
                    countries.put(g.country(), e.pop.id);
                }
            }
            if (fallback == null) {
                RecordSet first = r.endpoints.values().iterator().next().first();
                report.unmapped.add(Map.entry(
                        first.index(),
                        text + " " + first.type() + ": no default (*) geolocation"
                                + " record set: Route 53 gives clients elsewhere no answer; popdns sends them to the HQ, "
                                + hq));
            }
            String rest = fallback == null ? hq : fallback.pop.id;
            for (String c : CONTINENTS) {
                continents.putIfAbsent(c, rest);
            }
        } else if (r.policy == Policy.FAILOVER) {
            Endpoint primary = hqEndpoint(r);
            if (primary == null) {
                RecordSet first = r.endpoints.values().iterator().next().first();
                report.unmapped.add(Map.entry(
                        first.index(), text + " " + first.type() + ": failover without a PRIMARY record set"));
            } else {
                for (String c : CONTINENTS) {
                    continents.put(c, primary.pop.id);
                }
                if (pops.size() > 2) {
                    report.notes.add(text
                            + ": when the primary is down popdns sends clients to the nearest eligible PoP, which need not be"
                            + " the SECONDARY (Route 53 would send them to the secondary)");
                }
            }
        }
        long ttl = Long.MAX_VALUE;
        Set<Long> ttls = new TreeSet<>();
        for (Endpoint e : r.endpoints.values()) {
            for (RecordSet s : e.sets) {
                ttls.add(s.ttl());
                ttl = Math.min(ttl, s.ttl());
            }
        }
        if (ttls.size() > 1) {
            report.notes.add(text + ": its record sets have TTLs " + ttls + "; the geo name gets the lowest, " + ttl);
        }
        if (ttl > MAX_GEO_TTL || ttl < 0) {
            report.notes.add(text + ": TTL " + ttl + " is outside 0.." + MAX_GEO_TTL + " for a geo name: " + MAX_GEO_TTL
                    + " instead");
            ttl = MAX_GEO_TTL;
        }
        List<String> needs = checks.needs(r, text);
        if (r.broken) {
            comment += "\nNOT equivalent to the Route 53 records: see the import's errors";
        }
        report.comments.put("names." + text, comment);
        // the families the Route 53 records have: IPv4-only records make an A-only name (AAAA: NODATA)
        List<String> families = new ArrayList<>();
        for (Endpoint e : r.endpoints.values()) {
            for (InetAddress a : e.addresses) {
                String family = a instanceof Inet4Address ? "A" : "AAAA";
                if (!families.contains(family)) {
                    families.add(family);
                }
            }
        }
        families.sort(Comparator.naturalOrder());
        if (families.isEmpty() || !otherFamilyServed(families)) {
            // no PoP has an address of the other family: both is the same, and the default
            families = PopsConfig.GeoName.BOTH;
        }
        return new PopsConfig.GeoName(text, ttl, needs, countries, continents, families, 0);
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
        for (Endpoint e : r.endpoints.values()) {
            out.add(e.first().region());
        }
        return String.join(", ", out);
    }
}
