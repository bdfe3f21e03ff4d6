package dev.popdns.tools;

import dev.popdns.config.AddressLiteral;
import dev.popdns.config.PopsConfig;
import dev.popdns.tools.Route53Input.RecordSet;
import dev.popdns.tools.Route53Mapper.Policy;
import io.netty.util.NetUtil;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
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
 * default's or failover primary's PoP; {@link Route53Names} makes each routed name a geo name. Endpoints and routed names are
 * records, made once all record sets are read; only the PoPs accumulate ({@link PopDraft}) until
 * they become {@link PopsConfig} records at the end.
 */
final class Route53Pops {
    private final Route53Report report;
    private final Route53Checks checks;
    /** Record sets with a routing policy by name, in file order, as {@link #routedName} collects them. */
    private final Map<Name, List<RecordSet>> collected = new LinkedHashMap<>();
    /** The policy of each collected name: the first record set's. */
    private final Map<Name, Policy> policies = new HashMap<>();
    /** In the order they were found. */
    private final List<PopDraft> pops = new ArrayList<>();
    /** Names whose geo name is not what Route 53 answers (a reported conflict): their comment says so. */
    private final Set<Name> broken = new HashSet<>();

    private String hq;

    Route53Pops(Route53Report report, Route53Checks checks) {
        this.report = report;
        this.checks = checks;
    }

    /**
     * The record sets of one policy key of a routed name (a region, a geolocation, a role), A and AAAA,
     * their addresses (A first: a PoP probes its first address) and the PoP they answer as.
     */
    record Endpoint(List<RecordSet> sets, List<InetAddress> addresses, PopDraft pop) {
        RecordSet first() {
            return sets.get(0);
        }
    }

    /** A name with a routing policy and its endpoints that map onto PoPs, in file order. */
    record RoutedName(Name name, Policy policy, List<Endpoint> endpoints) {
        /** The name as pops.yaml writes it: absolute, lower case. */
        String text() {
            return name.toString().toLowerCase(Locale.ROOT);
        }

        /** The geolocation default's or the failover PRIMARY's endpoint, or null. */
        Endpoint hqEndpoint() {
            for (Endpoint e : endpoints) {
                RecordSet s = e.first();
                if (policy == Policy.GEOLOCATION && s.geoLocation().isDefault()
                        || policy == Policy.FAILOVER && s.failover().equals("PRIMARY")) {
                    return e;
                }
            }
            return null;
        }
    }

    /** Coordinates and where they come from. */
    record Location(double latitude, double longitude, String note) {}

    /** A PoP's bias and the record set it comes from. */
    record Bias(int value, String from) {}

    /**
     * A PoP while the import builds it; the one mutable draft, because endpoints of many names add
     * to one PoP: the first that places it gives its location (a geolocation continent only a
     * guess), the first with a bias its bias, a name answered with other addresses its own ones,
     * and an endpoint that disagrees later is reported against what an earlier one set. It becomes
     * a {@link PopsConfig.Pop} in {@link #pops()}.
     */
    static final class PopDraft {
        final String id;
        final List<InetAddress> addresses;
        final Set<String> addressKey;
        /** From a latency or geoproximity record set; null until one places the PoP. */
        Location location;
        /** From a geolocation continent, used when nothing places the PoP; null until one. */
        Location guess;
        /** From the first latency or geoproximity record set; null until one. */
        Bias bias;
        /** Geo names this PoP answers with another set of addresses than its own (pops.ID.names). */
        final Map<String, List<InetAddress>> own = new TreeMap<>();

        PopDraft(String id, List<InetAddress> addresses, Set<String> addressKey) {
            this.id = id;
            this.addresses = addresses;
            this.addressKey = addressKey;
        }
    }

    /** Adds a record set with a routing policy to its name, or reports it when the name has another policy. */
    void routedName(Name name, Policy policy, RecordSet s) {
        Policy had = policies.putIfAbsent(name, policy);
        if (had != null && had != policy) {
            report.unmapped(
                    s,
                    Route53Mapper.policyWord(policy) + " routing, but "
                            + collected.get(name).get(0).label() + " uses "
                            + Route53Mapper.policyWord(had)
                            + ": popdns routes both address families of a name alike");
            return;
        }
        collected.computeIfAbsent(name, n -> new ArrayList<>()).add(s);
    }

    /** The routed names, lower case. */
    Set<String> names() {
        Set<String> names = new HashSet<>();
        for (Name name : collected.keySet()) {
            names.add(name.toString().toLowerCase(Locale.ROOT));
        }
        return names;
    }

    /** Builds the PoPs from the routed names, chooses the HQ and returns the geo names ({@link Route53Names}) in file order. */
    Map<String, PopsConfig.GeoName> geoNames() {
        List<RoutedName> routed = new ArrayList<>();
        for (Map.Entry<Name, List<RecordSet>> e : collected.entrySet()) {
            routed.add(endpoints(e.getKey(), policies.get(e.getKey()), e.getValue()));
        }
        hq = chooseHq(routed);
        return new Route53Names(report, checks, pops, broken).geoNames(routed, hq);
    }

    /** The PoPs as pops.yaml records; a PoP Route 53 has no location for gets a guess or a placeholder (noted). */
    List<PopsConfig.Pop> pops() {
        List<PopsConfig.Pop> out = new ArrayList<>();
        for (PopDraft p : pops) {
            Location at = p.location;
            if (at == null) {
                Location guess = p.guess != null ? p.guess : new Location(0, 0, "unknown to Route 53");
                at = new Location(guess.latitude(), guess.longitude(), guess.note() + ": set the PoP's real location");
                report.notes.add("PoP " + p.id + ": Route 53 has no location for it; ["
                        + PopsDiff.number(at.latitude()) + ", " + PopsDiff.number(at.longitude())
                        + "] is " + (p.guess != null ? p.guess.note() : "a placeholder")
                        + ": it only orders the fallback when a pinned PoP"
                        + " is down, but set the real one");
            }
            report.comments.put("pops." + p.id + ".location", at.note());
            out.add(new PopsConfig.Pop(
                    p.id,
                    p.id.equals(hq),
                    at.latitude(),
                    at.longitude(),
                    p.addresses,
                    PopsConfig.AdminState.ACTIVE,
                    p.bias == null ? 0 : p.bias.value(),
                    checks.probeAddress(p.id),
                    checks.overrides(p.id),
                    p.own,
                    0));
        }
        return out;
    }

    /**
     * Groups a name's record sets by policy key, parses each key's addresses, finds or creates its
     * PoP and takes the PoP's location and bias from it; a key that does not map is reported and left out.
     */
    private RoutedName endpoints(Name name, Policy policy, List<RecordSet> sets) {
        Map<String, List<RecordSet>> byKey = new LinkedHashMap<>();
        for (RecordSet s : sets) {
            String key = switch (policy) {
                case LATENCY -> s.region();
                case GEOLOCATION -> s.geoLocation().toString();
                case GEOPROXIMITY -> s.geoProximity().toString();
                case FAILOVER -> s.failover();
                case SIMPLE, WEIGHTED, MULTIVALUE, CIDR -> throw new IllegalStateException("not routed: " + policy);
            };
            byKey.computeIfAbsent(key, k -> new ArrayList<>()).add(s);
        }
        List<Endpoint> endpoints = new ArrayList<>();
        for (Map.Entry<String, List<RecordSet>> k : byKey.entrySet()) {
            List<RecordSet> keySets = List.copyOf(k.getValue());
            List<InetAddress> addresses = valid(policy, keySets) ? addresses(keySets) : null;
            PopDraft pop = addresses == null ? null : pop(name, k.getKey(), keySets, addresses);
            if (pop != null) {
                Endpoint e = new Endpoint(keySets, addresses, pop);
                place(name, policy, e);
                endpoints.add(e);
            }
        }
        return new RoutedName(name, policy, endpoints);
    }

    /** The PoP's location and bias from the endpoint's record set. */
    private void place(Name name, Policy policy, Endpoint e) {
        PopDraft pop = e.pop();
        RecordSet s = e.first();
        switch (policy) {
            case LATENCY -> {
                AwsRegions.Site site = AwsRegions.region(s.region());
                locate(
                        pop,
                        new Location(site.latitude(), site.longitude(), "AWS " + s.region() + " (" + site.city() + ")"),
                        e);
                bias(pop, 0, name, e);
            }
            case GEOPROXIMITY -> {
                Route53Input.GeoProximity p = s.geoProximity();
                if (p.region() != null) {
                    AwsRegions.Site site = AwsRegions.region(p.region());
                    locate(
                            pop,
                            new Location(
                                    site.latitude(), site.longitude(), "AWS " + p.region() + " (" + site.city() + ")"),
                            e);
                } else {
                    locate(pop, new Location(p.latitude(), p.longitude(), "geoproximity coordinates"), e);
                }
                bias(pop, p.bias(), name, e);
            }
            case GEOLOCATION -> {
                // a guess, used only when no latency or geoproximity record places the PoP
                AwsRegions.Site site = s.geoLocation().continent() == null
                        ? null
                        : AwsRegions.continent(s.geoLocation().continent());
                if (site != null && pop.guess == null) {
                    pop.guess = new Location(
                            site.latitude(),
                            site.longitude(),
                            "guessed from geolocation " + s.geoLocation().continent() + " (" + site.city() + ")");
                }
            }
            case FAILOVER, SIMPLE, WEIGHTED, MULTIVALUE, CIDR -> {
                // no location in the record set
            }
        }
    }

    /** Checks what popdns cannot express about one endpoint's record sets; reports it and returns false. */
    private boolean valid(Policy policy, List<RecordSet> sets) {
        RecordSet s = sets.get(0);
        String problem = switch (policy) {
            case LATENCY ->
                AwsRegions.region(s.region()) == null
                        ? "latency region " + s.region()
                                + " is not in popdns's table of AWS regions: add a PoP with its location by hand"
                        : null;
            case GEOLOCATION -> {
                Route53Input.GeoLocation g = s.geoLocation();
                yield g.subdivision() != null
                        ? "geolocation subdivision " + g.country() + "-" + g.subdivision()
                                + ": popdns overrides countries and"
                                + " continents, not subdivisions; clients there get the " + g.country()
                                + " (else continent, else default) answer"
                        : g.continent() == null && g.country() == null
                                ? "geolocation with neither ContinentCode nor CountryCode"
                                : null;
            }
            case GEOPROXIMITY -> {
                Route53Input.GeoProximity p = s.geoProximity();
                String what = p.localZoneGroup() != null
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
                yield what == null ? null : "geoproximity: " + what;
            }
            case FAILOVER ->
                s.failover().equals("PRIMARY") || s.failover().equals("SECONDARY")
                        ? null
                        : "failover role " + s.failover() + " (expected: PRIMARY or SECONDARY)";
            case SIMPLE, WEIGHTED, MULTIVALUE, CIDR -> throw new IllegalStateException("not routed: " + policy);
        };
        if (problem != null) {
            report.unmapped(sets, problem);
        }
        return problem == null;
    }

    /** The record sets' addresses, A first (a PoP probes its first address); null after reporting a value that is not one. */
    private List<InetAddress> addresses(List<RecordSet> sets) {
        boolean ok = true;
        List<InetAddress> addresses = new ArrayList<>();
        for (RecordSet s : sets) {
            for (String v : s.values()) {
                InetAddress a = literal(v.trim(), s.type().equals("A"));
                if (a == null) {
                    report.unmapped(
                            s,
                            "value '" + v + "' is not a literal " + (s.type().equals("A") ? "IPv4" : "IPv6")
                                    + " address");
                    ok = false;
                } else if (!addresses.contains(a)) {
                    addresses.add(a);
                }
            }
        }
        addresses.sort(Comparator.comparingInt(a -> a instanceof Inet4Address ? 0 : 1));
        return ok && !addresses.isEmpty() ? List.copyOf(addresses) : null;
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
    private PopDraft pop(Name routed, String policyKey, List<RecordSet> sets, List<InetAddress> addresses) {
        Set<String> key = new TreeSet<>();
        for (InetAddress a : addresses) {
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
                    String name = routed.toString().toLowerCase(Locale.ROOT);
                    List<InetAddress> previous = p.own.putIfAbsent(name, addresses);
                    if (previous != null && !previous.equals(addresses)) {
                        report.unmapped(
                                sets,
                                "addresses " + key + " share " + a + " with PoP " + p.id + ", which answers " + name
                                        + " with other addresses already");
                        return null;
                    }
                    report.notes.add(name + ": answered at PoP " + p.id + " with its own addresses " + key
                            + " (they share " + a + " with the PoP's " + p.addressKey + ")");
                    return p;
                }
            }
        }
        RecordSet s = sets.get(0);
        String base = id(s.setIdentifier() != null ? s.setIdentifier() : s.region() != null ? s.region() : policyKey);
        String id = base;
        for (int n = 2; idTaken(id); n++) {
            id = base + "-" + n;
        }
        PopDraft p = new PopDraft(id, addresses, key);
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

    private void locate(PopDraft pop, Location at, Endpoint e) {
        if (pop.location == null) {
            pop.location = at;
        } else if (pop.location.latitude() != at.latitude() || pop.location.longitude() != at.longitude()) {
            report.notes.add(e.first().label() + ": PoP " + pop.id + " is already at " + pop.location.note() + "; "
                    + at.note() + " is ignored");
        }
    }

    private void bias(PopDraft pop, int bias, Name name, Endpoint e) {
        if (pop.bias == null) {
            pop.bias = new Bias(bias, e.first().label());
        } else if (pop.bias.value() != bias) {
            report.unmapped(
                    e.sets(),
                    "bias " + bias + " for PoP " + pop.id + ", which has bias " + pop.bias.value() + " from "
                            + pop.bias.from() + ": popdns has one bias per PoP for all names");
            broken.add(name);
        }
    }

    /** The HQ: the first geolocation default's or failover primary's PoP, else the first PoP. */
    private String chooseHq(List<RoutedName> routed) {
        if (pops.isEmpty()) {
            return null;
        }
        String hq = null;
        String why = null;
        for (RoutedName r : routed) {
            Endpoint e = r.hqEndpoint();
            if (e == null) {
                continue;
            }
            String reason = r.policy() == Policy.GEOLOCATION
                    ? "the geolocation default of " + r.name()
                    : "the failover PRIMARY of " + r.name();
            if (hq == null) {
                hq = e.pop().id;
                why = reason;
            } else if (!hq.equals(e.pop().id)) {
                broken.add(r.name());
                report.unmapped(
                        e.sets(),
                        "needs PoP " + e.pop().id
                                + " as the HQ (the answer for clients of unknown location and the last resort),"
                                + " but the HQ is " + hq + ", " + why);
            }
        }
        if (hq == null) {
            hq = pops.get(0).id;
            why = "the first PoP: Route 53 has no default or primary to take it from";
        }
        report.comments.put("pops." + hq, "HQ: " + why);
        return hq;
    }
}
