package dev.popdns.tools;

import dev.popdns.config.PopsConfig;
import dev.popdns.tools.Route53Input.HealthCheck;
import dev.popdns.tools.Route53Input.RecordSet;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * Maps one Route 53 hosted zone onto popdns: simple record sets become master-file lines, record
 * sets with a latency, geolocation, geoproximity or failover policy become PoPs and geo names, and
 * their health checks become checks. What popdns cannot express is listed with the record set and
 * the reason; everything else is still mapped.
 *
 * <p>The mapping, and why:
 * <ul>
 * <li>A PoP is one set of addresses: the A and AAAA values a policy key (a latency region, a
 *     geolocation, a failover role) answers with. The same addresses under several names or keys
 *     are one PoP. popdns answers every geo name with the same addresses per PoP, so two endpoints
 *     that share some addresses but not all cannot be mapped.</li>
 * <li>Latency: a PoP at the AWS region's coordinates; popdns sends clients to the nearest PoP by
 *     great-circle distance, its stand-in for measured latency. The name's record sets must cover
 *     every PoP, or popdns would send clients to PoPs Route 53 never answers with for it.</li>
 * <li>Geoproximity: the same, at the region or coordinates, with the record's bias (popdns uses
 *     Route 53's formula: distance x (1 - bias/100)).</li>
 * <li>Geolocation: country and continent codes become the name's overrides, and every continent
 *     without a record is pinned to the default ({@code *}) record's PoP, so that a located client
 *     gets what Route 53 would give it; the default's PoP is the HQ, which answers clients whose
 *     location is unknown.</li>
 * <li>Failover: the PRIMARY's PoP is the HQ and every continent is pinned to it; the SECONDARY is
 *     a PoP. While the primary is healthy every client gets it; when it is down popdns falls back
 *     to the next eligible PoP; when all are down the HQ (the primary) answers, which is what Route
 *     53 does when both records are unhealthy. The secondary as HQ would send clients of unknown
 *     location to the secondary while the primary is up.</li>
 * <li>Health checks: HTTP/HTTPS (and _STR_MATCH) become {@code http} checks, TCP becomes
 *     {@code tcp}, templated on the PoP's address; RequestInterval is the interval, FailureThreshold
 *     both rise and fall (Route 53 uses one threshold both ways). Route 53 accepts any 2xx/3xx,
 *     searches the first 5,120 bytes for the string, does not verify certificates and gives HTTP 4 s
 *     to connect, TCP 10 s: the checks say the same. A name needs the checks its record sets had;
 *     where one PoP's health check differs from the name's check, the PoP overrides those fields.</li>
 * </ul>
 */
public final class Route53Mapper {
    private static final List<String> CONTINENTS = List.of("AF", "AN", "AS", "EU", "NA", "OC", "SA");
    private static final List<String> SUCCESS =
            List.of("200", "201", "202", "203", "204", "205", "206", "300", "301", "302", "303", "304", "307", "308");
    private static final long MAX_GEO_TTL = 86400;

    /** How a record set is answered. */
    enum Policy {
        SIMPLE,
        LATENCY,
        GEOLOCATION,
        GEOPROXIMITY,
        FAILOVER,
        WEIGHTED,
        MULTIVALUE,
        CIDR
    }

    /** One master-file record: owner, TTL, type and the RDATA as it will be written. */
    public record ZoneLine(Name owner, long ttl, int type, String rdata) {}

    /**
     * What the import produced.
     *
     * @param pops     the geo routing, or null when no record set had a routing policy popdns maps
     * @param comments for {@link PopsYaml#write}
     * @param unmapped one line per record set (or health check) that could not be mapped, with the reason
     * @param notes    mapped, but not quite as Route 53 does it: what differs
     */
    public record Result(
            Name origin,
            List<ZoneLine> zone,
            PopsConfig pops,
            Map<String, String> comments,
            List<String> unmapped,
            List<String> notes) {}

    /** A policy key of one routed name (a region, a geolocation, a role) with its A and AAAA record sets. */
    private static final class Endpoint {
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

    private static final class RoutedName {
        final Name name;
        final Policy policy;
        final Map<String, Endpoint> endpoints = new LinkedHashMap<>();
        boolean broken;

        RoutedName(Name name, Policy policy) {
            this.name = name;
            this.policy = policy;
        }
    }

    private static final class PopDraft {
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
        final Map<String, Map<String, Object>> overrides = new TreeMap<>();
        /** The fields each check is probed with at this PoP, once a name has needed it. */
        final Map<String, Map<String, Object>> probed = new LinkedHashMap<>();

        PopDraft(String id, List<InetAddress> addresses, Set<String> addressKey) {
            this.id = id;
            this.addresses = addresses;
            this.addressKey = addressKey;
        }
    }

    private final Name origin;
    private final Map<String, HealthCheck> healthChecks;
    /** Problems with the index of the record set they belong to, listed in file order at the end. */
    private final List<Map.Entry<Integer, String>> unmapped = new ArrayList<>();

    private final List<String> notes = new ArrayList<>();
    private final List<ZoneLine> zone = new ArrayList<>();
    private final Set<String> lineKeys = new java.util.HashSet<>();
    private final Map<Name, RoutedName> routed = new LinkedHashMap<>();
    private final List<PopDraft> pops = new ArrayList<>();
    private final Map<String, PopsConfig.Check> checks = new LinkedHashMap<>();
    private final Map<String, String> comments = new LinkedHashMap<>();
    private Map<String, PopsConfig.GeoName> geoNames = Map.of();
    private String hqId;

    private Route53Mapper(Name origin, Map<String, HealthCheck> healthChecks) {
        this.origin = origin;
        this.healthChecks = healthChecks;
    }

    /**
     * Maps the record sets of one hosted zone.
     *
     * @param healthChecks by id, or null when none were given
     * @throws Route53Input.Invalid when there is no single SOA record set to take the origin from
     */
    public static Result map(List<RecordSet> sets, Map<String, HealthCheck> healthChecks) throws Route53Input.Invalid {
        List<RecordSet> soa = new ArrayList<>();
        for (RecordSet s : sets) {
            if (s.type().equals("SOA")) {
                soa.add(s);
            }
        }
        if (soa.size() != 1) {
            throw new Route53Input.Invalid(
                    soa.size() + " SOA record sets (expected: exactly one, the hosted zone's: the output of"
                            + " aws route53 list-resource-record-sets for one zone)");
        }
        Name origin;
        try {
            origin = Name.fromString(soa.get(0).name(), Name.root);
        } catch (TextParseException e) {
            throw new Route53Input.Invalid("SOA name '" + soa.get(0).name() + "': " + e.getMessage());
        }
        Route53Mapper m = new Route53Mapper(origin, healthChecks);
        m.run(sets);
        return m.result();
    }

    private void run(List<RecordSet> sets) {
        List<RecordSet> simple = new ArrayList<>();
        List<RecordSet> aliases = new ArrayList<>();
        for (RecordSet s : sets) {
            Name name = name(s);
            if (name == null) {
                continue;
            }
            if (s.trafficPolicy() != null) {
                unmapped(
                        s,
                        "managed by traffic policy instance " + s.trafficPolicy()
                                + ": export the records it created, not the policy");
                continue;
            }
            Policy policy = policy(s);
            switch (policy) {
                case SIMPLE -> (s.alias() == null ? simple : aliases).add(s);
                case WEIGHTED ->
                    unmapped(
                            s,
                            "weighted routing (Weight " + s.weight()
                                    + "): popdns answers by client location, not by weight");
                case CIDR -> unmapped(s, "IP-based (CIDR) routing: popdns routes by the GeoIP location of the client");
                case MULTIVALUE -> {
                    if (s.alias() == null && s.healthCheckId() == null) {
                        simple.add(s);
                    } else {
                        unmapped(
                                s,
                                "multivalue answer with a health check or an alias: popdns has no per-record health checks;"
                                        + " make the values PoPs or a plain record set");
                    }
                }
                case LATENCY, GEOLOCATION, GEOPROXIMITY, FAILOVER -> {
                    if (s.alias() != null) {
                        unmapped(
                                s,
                                policyWord(policy) + " alias to " + s.alias().dnsName()
                                        + ": popdns routes between address"
                                        + " record sets, not between alias targets (routing trees)");
                    } else if (!s.type().equals("A") && !s.type().equals("AAAA")) {
                        unmapped(
                                s,
                                policyWord(policy) + " routing on a " + s.type()
                                        + " record set: popdns routes A and AAAA only");
                    } else {
                        routedName(name, policy, s);
                    }
                }
            }
        }
        staticRecords(simple);
        for (RoutedName r : routed.values()) {
            endpoints(r);
        }
        String hq = chooseHq();
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
        // an alias may point at another alias: resolve them in passes until none makes progress
        List<RecordSet> pending = aliases;
        while (!pending.isEmpty()) {
            List<RecordSet> waiting = new ArrayList<>();
            for (RecordSet a : pending) {
                if (!alias(a, names, false)) {
                    waiting.add(a);
                }
            }
            if (waiting.size() == pending.size()) {
                for (RecordSet a : waiting) {
                    alias(a, names, true);
                }
                break;
            }
            pending = waiting;
        }
        this.geoNames = names;
        this.hqId = hq;
    }

    private Result result() {
        PopsConfig config = null;
        if (!geoNames.isEmpty()) {
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
                    notes.add("PoP " + p.id + ": Route 53 has no location for it; [" + PopsDiff.number(lat) + ", "
                            + PopsDiff.number(lon)
                            + "] is " + (guessed ? p.weakNote : "a placeholder")
                            + ": it only orders the fallback when a pinned PoP"
                            + " is down, but set the real one");
                }
                comments.put("pops." + p.id + ".location", note);
                out.add(new PopsConfig.Pop(
                        p.id,
                        p.id.equals(hqId),
                        lat,
                        lon,
                        p.addresses,
                        PopsConfig.AdminState.ACTIVE,
                        p.bias == null ? 0 : p.bias,
                        p.probeAddress,
                        p.overrides,
                        0));
            }
            config = new PopsConfig(out, checks, geoNames);
        }
        zone.sort(Comparator.comparing(ZoneLine::owner).thenComparingInt(l -> order(l.type())));
        unmapped.sort(Map.Entry.comparingByKey());
        List<String> problems = new ArrayList<>();
        for (Map.Entry<Integer, String> u : unmapped) {
            problems.add(u.getValue());
        }
        return new Result(origin, List.copyOf(zone), config, comments, problems, List.copyOf(notes));
    }

    /** SOA, then NS, then the rest by type number, so that the apex reads as in a hand-written file. */
    private static int order(int type) {
        return type == Type.SOA ? -2 : type == Type.NS ? -1 : type;
    }

    private Name name(RecordSet s) {
        Name name;
        try {
            name = Name.fromString(s.name(), Name.root);
        } catch (TextParseException e) {
            unmapped(s, "name '" + s.name() + "' does not parse: " + e.getMessage());
            return null;
        }
        if (!name.subdomain(origin)) {
            unmapped(s, "outside the zone " + origin);
            return null;
        }
        return name;
    }

    private static Policy policy(RecordSet s) {
        if (s.weight() != null) {
            return Policy.WEIGHTED;
        }
        if (s.region() != null) {
            return Policy.LATENCY;
        }
        if (s.geoLocation() != null) {
            return Policy.GEOLOCATION;
        }
        if (s.geoProximity() != null) {
            return Policy.GEOPROXIMITY;
        }
        if (s.failover() != null) {
            return Policy.FAILOVER;
        }
        if (s.multiValueAnswer()) {
            return Policy.MULTIVALUE;
        }
        if (s.cidr()) {
            return Policy.CIDR;
        }
        return Policy.SIMPLE;
    }

    private static String policyWord(Policy p) {
        return p.name().toLowerCase(Locale.ROOT);
    }

    private void unmapped(RecordSet s, String reason) {
        unmapped.add(Map.entry(s.index(), s.label() + ": " + reason));
    }

    // ---- simple record sets -------------------------------------------------------------------

    private void staticRecords(List<RecordSet> simple) {
        Set<String> geoAddress = new java.util.HashSet<>();
        for (RoutedName r : routed.values()) {
            geoAddress.add(r.name.toString().toLowerCase(Locale.ROOT));
        }
        for (RecordSet s : simple) {
            Name owner = name(s);
            int type = Type.value(s.type());
            if (type < 0) {
                unmapped(s, "unknown record type " + s.type());
                continue;
            }
            if ((type == Type.A || type == Type.AAAA)
                    && geoAddress.contains(owner.toString().toLowerCase(Locale.ROOT))) {
                unmapped(
                        s,
                        "a plain " + s.type() + " record set at a name whose other address family has a routing policy:"
                                + " popdns routes both families of a geo name");
                continue;
            }
            if (s.multiValueAnswer()) {
                notes.add(s.label()
                        + ": multivalue answer without health checks: written as a plain record set (all values,"
                        + " where Route 53 returns up to eight at random)");
            }
            for (String value : s.values()) {
                line(s, owner, type, s.ttl(), value);
            }
        }
    }

    /** Parses one value as dnsjava would read it from the zone file and adds the line, or reports it. */
    private boolean line(RecordSet s, Name owner, int type, long ttl, String value) {
        try {
            // Route 53 values are always absolute, with or without the trailing dot
            Record r = Record.fromString(owner, type, DClass.IN, ttl, value, Name.root);
            String rdata = type == Type.TXT || type == Type.SPF
                    ? value
                    : r instanceof AAAARecord aaaa ? AddressText.of(aaaa.getAddress()) : r.rdataToString();
            if (lineKeys.add(owner.toString().toLowerCase(Locale.ROOT) + " " + type + " " + rdata)) {
                zone.add(new ZoneLine(owner, ttl, type, rdata));
            }
            return true;
        } catch (java.io.IOException | RuntimeException e) {
            unmapped(s, "value '" + value + "' does not parse: " + e.getMessage());
            return false;
        }
    }

    // ---- alias record sets --------------------------------------------------------------------

    /**
     * Maps one simple alias record set. Returns false, reporting nothing, when its in-zone target has
     * no records of its type yet and {@code last} is false (another alias may still give it some).
     */
    private boolean alias(RecordSet s, Map<String, PopsConfig.GeoName> names, boolean last) {
        Name owner = name(s);
        String targetText = s.alias().dnsName();
        Name target;
        try {
            target = Name.fromString(targetText.endsWith(".") ? targetText : targetText + ".", Name.root);
        } catch (TextParseException e) {
            unmapped(s, "alias target '" + targetText + "' does not parse: " + e.getMessage());
            return true;
        }
        if (!target.subdomain(origin)) {
            unmapped(
                    s,
                    "alias to " + awsResource(target.toString().toLowerCase(Locale.ROOT)) + " " + target
                            + ": only Route 53 knows its current addresses; use a CNAME (not at the apex) or the resource's fixed addresses");
            return true;
        }
        int type = Type.value(s.type());
        if ((type == Type.A || type == Type.AAAA)
                && names.containsKey(owner.toString().toLowerCase(Locale.ROOT))) {
            unmapped(
                    s,
                    "an alias " + s.type()
                            + " record set at a geo-routed name: popdns routes both families of a geo name");
            return true;
        }
        boolean geo =
                names.containsKey(target.toString().toLowerCase(Locale.ROOT)) && (type == Type.A || type == Type.AAAA);
        if (geo) {
            if (owner.equals(origin)) {
                unmapped(
                        s,
                        "alias at the apex to the geo-routed " + target + ": a CNAME cannot stand at the apex; make "
                                + owner + " a geo name in pops.yaml instead");
                return true;
            }
            for (ZoneLine l : zone) {
                if (l.owner().equals(owner)
                        && !(l.type() == Type.CNAME && l.rdata().equals(target.toString()))) {
                    unmapped(
                            s,
                            "alias to the geo-routed " + target + " at a name with other records ("
                                    + Type.string(l.type())
                                    + "): it would need a CNAME, which must stand alone (RFC 1034 §3.6.2)");
                    return true;
                }
            }
            notes.add(s.label() + ": alias to the geo-routed " + target
                    + ": written as a CNAME, which popdns routes like its target");
            line(
                    s,
                    owner,
                    Type.CNAME,
                    names.get(target.toString().toLowerCase(Locale.ROOT)).ttl(),
                    target.toString());
            return true;
        }
        List<ZoneLine> copies = new ArrayList<>();
        for (ZoneLine l : zone) {
            if (l.owner().equals(target) && l.type() == type) {
                copies.add(l);
            }
        }
        if (copies.isEmpty()) {
            if (last) {
                unmapped(s, "alias to " + target + ", which has no " + s.type() + " records in this import");
            }
            return last;
        }
        // an alias answers with its target's records and TTL
        for (ZoneLine l : copies) {
            if (lineKeys.add(owner.toString().toLowerCase(Locale.ROOT) + " " + l.type() + " " + l.rdata())) {
                zone.add(new ZoneLine(owner, l.ttl(), l.type(), l.rdata()));
            }
        }
        return true;
    }

    /** What kind of AWS resource an alias target names, by its well-known domain. */
    static String awsResource(String target) {
        if (target.endsWith(".elb.amazonaws.com.")) {
            return "an Elastic Load Balancer";
        }
        if (target.endsWith(".cloudfront.net.")) {
            return "a CloudFront distribution";
        }
        if (target.contains(".s3-website") || target.startsWith("s3-website")) {
            return "an S3 website endpoint";
        }
        if (target.contains(".execute-api.")) {
            return "an API Gateway endpoint";
        }
        if (target.endsWith(".awsglobalaccelerator.com.")) {
            return "a Global Accelerator";
        }
        if (target.endsWith(".elasticbeanstalk.com.")) {
            return "an Elastic Beanstalk environment";
        }
        if (target.contains(".vpce.")) {
            return "a VPC endpoint";
        }
        if (target.endsWith(".amazonaws.com.")) {
            return "an AWS resource";
        }
        return "a name outside the zone";
    }

    // ---- routed names -------------------------------------------------------------------------

    private void routedName(Name name, Policy policy, RecordSet s) {
        RoutedName r = routed.get(name);
        if (r == null) {
            r = new RoutedName(name, policy);
            routed.put(name, r);
        } else if (r.policy != policy) {
            unmapped(
                    s,
                    policyWord(policy) + " routing, but "
                            + r.endpoints.values().iterator().next().first().label() + " uses " + policyWord(r.policy)
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

    /** Parses each endpoint's addresses, finds or creates its PoP, and takes the PoP's location and bias from it. */
    private void endpoints(RoutedName r) {
        for (Endpoint e : List.copyOf(r.endpoints.values())) {
            if (!valid(r, e) || !addresses(e)) {
                r.endpoints.remove(e.key);
                continue;
            }
            PopDraft pop = pop(e);
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
                        unmapped(
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
                        unmapped(
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
                        unmapped(x, "geolocation with neither ContinentCode nor CountryCode");
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
                        unmapped(x, "geoproximity: " + problem);
                    }
                    return false;
                }
            }
            case FAILOVER -> {
                if (!s.failover().equals("PRIMARY") && !s.failover().equals("SECONDARY")) {
                    for (RecordSet x : e.sets) {
                        unmapped(x, "failover role " + s.failover() + " (expected: PRIMARY or SECONDARY)");
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
                    unmapped(
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

    private static InetAddress literal(String text, boolean ipv4) {
        boolean literal =
                ipv4 ? text.matches("\\d{1,3}(\\.\\d{1,3}){3}") : text.contains(":") && text.matches("[0-9a-fA-F:.]+");
        if (!literal) {
            return null;
        }
        try {
            InetAddress a = InetAddress.getByName(text);
            return ipv4 == (a instanceof Inet4Address) || !ipv4 && a instanceof Inet6Address ? a : null;
        } catch (UnknownHostException e) {
            return null;
        }
    }

    /** The PoP with exactly the endpoint's addresses, a new one, or null (reported) when they overlap another PoP's. */
    private PopDraft pop(Endpoint e) {
        Set<String> key = new TreeSet<>();
        for (InetAddress a : e.addresses) {
            key.add(AddressText.of(a));
        }
        for (PopDraft p : pops) {
            if (p.addressKey.equals(key)) {
                return p;
            }
        }
        for (PopDraft p : pops) {
            for (String a : key) {
                if (p.addressKey.contains(a)) {
                    for (RecordSet s : e.sets) {
                        unmapped(
                                s,
                                "addresses " + key + " share " + a + " with PoP " + p.id + " " + p.addressKey
                                        + " but are not the same set: popdns answers every geo name with the same addresses per PoP");
                    }
                    return null;
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
            notes.add(e.first().label() + ": PoP " + pop.id + " is already at " + pop.locationNote + "; " + note
                    + " is ignored");
        }
    }

    private void bias(PopDraft pop, int bias, RoutedName r, Endpoint e) {
        if (pop.bias == null) {
            pop.bias = bias;
            pop.biasSource = e.first().label();
        } else if (pop.bias != bias) {
            for (RecordSet s : e.sets) {
                unmapped(
                        s,
                        "bias " + bias + " for PoP " + pop.id + ", which has bias " + pop.bias + " from "
                                + pop.biasSource + ": popdns has one bias per PoP for all names");
            }
            r.broken = true;
        }
    }

    /** The HQ: the first geolocation default's or failover primary's PoP, else the first PoP. */
    private String chooseHq() {
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
                    unmapped(
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
        comments.put("pops." + hq, "HQ: " + why);
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
            unmapped.add(Map.entry(
                    s.index(),
                    r.name + " " + s.type() + ": " + policyWord(r.policy) + " record sets cover " + mine.size()
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
                unmapped.add(Map.entry(
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
                unmapped.add(Map.entry(
                        first.index(), text + " " + first.type() + ": failover without a PRIMARY record set"));
            } else {
                for (String c : CONTINENTS) {
                    continents.put(c, primary.pop.id);
                }
                if (pops.size() > 2) {
                    notes.add(text
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
            notes.add(text + ": its record sets have TTLs " + ttls + "; the geo name gets the lowest, " + ttl);
        }
        if (ttl > MAX_GEO_TTL || ttl < 0) {
            notes.add(text + ": TTL " + ttl + " is outside 0.." + MAX_GEO_TTL + " for a geo name: " + MAX_GEO_TTL
                    + " instead");
            ttl = MAX_GEO_TTL;
        }
        List<String> needs = needs(r, text);
        if (r.broken) {
            comment += "\nNOT equivalent to the Route 53 records: see the import's errors";
        }
        comments.put("names." + text, comment);
        return new PopsConfig.GeoName(text, ttl, needs, countries, continents, 0);
    }

    private static String regions(RoutedName r) {
        List<String> out = new ArrayList<>();
        for (Endpoint e : r.endpoints.values()) {
            out.add(e.first().region());
        }
        return String.join(", ", out);
    }

    // ---- health checks ------------------------------------------------------------------------

    /** The check a name needs, built from its record sets' health checks, with per-PoP overrides where they differ. */
    private List<String> needs(RoutedName r, String text) {
        String check = null;
        Map<String, Object> base = null;
        Set<String> unchecked = new LinkedHashSet<>();
        Set<String> checked = new LinkedHashSet<>();
        for (Endpoint e : r.endpoints.values()) {
            HealthCheck hc = healthCheck(e);
            if (hc == null) {
                unchecked.add(e.pop.id);
                continue;
            }
            Map<String, Object> fields = fields(hc);
            if (check == null) {
                check = checkName(fields, hc.type(), r.name);
                base = checks.get(check).fields();
            }
            if (!probeAt(e, hc)) {
                continue;
            }
            List<String> lacking = new ArrayList<>(new TreeSet<>(base.keySet()));
            lacking.removeAll(fields.keySet());
            if (!lacking.isEmpty()) {
                for (RecordSet s : e.sets) {
                    unmapped(
                            s,
                            "health check " + hc.id() + " has no " + String.join(", ", lacking) + " but check " + check
                                    + " has: a PoP can override a check's fields, not remove one");
                }
                continue;
            }
            // one check runs once per PoP for every name that needs it: all of them must want the same fields there
            Map<String, Object> probed = e.pop.probed.putIfAbsent(check, fields);
            if (probed != null && !probed.equals(fields)) {
                for (RecordSet s : e.sets) {
                    unmapped(
                            s,
                            "health check " + hc.id() + " differs from the one PoP " + e.pop.id
                                    + " already has for check " + check);
                }
                continue;
            }
            checked.add(e.pop.id);
            Map<String, Object> override = new TreeMap<>();
            for (Map.Entry<String, Object> f : fields.entrySet()) {
                if (!Objects.equals(base.get(f.getKey()), f.getValue())) {
                    override.put(f.getKey(), f.getValue());
                }
            }
            if (!override.isEmpty()) {
                e.pop.overrides.put(check, override);
            }
        }
        if (check == null) {
            return List.of();
        }
        unchecked.removeAll(checked);
        for (String pop : unchecked) {
            notes.add(text + ": PoP " + pop
                    + " had no health check in Route 53 (always healthy there); popdns probes it with " + check
                    + " too");
        }
        return List.of(check);
    }

    /** The endpoint's health check if it has a usable one; reports the unusable. */
    private HealthCheck healthCheck(Endpoint e) {
        String id = null;
        for (RecordSet s : e.sets) {
            if (s.healthCheckId() == null) {
                continue;
            }
            if (id != null && !id.equals(s.healthCheckId())) {
                HealthCheck a = healthChecks == null ? null : healthChecks.get(id);
                HealthCheck b = healthChecks == null ? null : healthChecks.get(s.healthCheckId());
                if (a == null
                        || b == null
                        || !fields(a).equals(fields(b))
                        || !Objects.equals(a.ipAddress(), b.ipAddress())) {
                    unmapped(
                            s,
                            "health check " + s.healthCheckId() + " differs from " + id
                                    + " of the other address family:" + " popdns checks a PoP once for both");
                }
                continue;
            }
            id = s.healthCheckId();
        }
        if (id == null) {
            return null;
        }
        HealthCheck hc = healthChecks == null ? null : healthChecks.get(id);
        String problem = null;
        if (healthChecks == null) {
            problem = "health check " + id + ": no --health-checks file given (aws route53 list-health-checks)";
        } else if (hc == null) {
            problem = "health check " + id + " is not in the health checks file";
        } else if (hc.inverted()) {
            problem = "health check " + id + " is inverted: popdns has no inverted checks";
        } else if (!Set.of("HTTP", "HTTPS", "HTTP_STR_MATCH", "HTTPS_STR_MATCH", "TCP")
                .contains(hc.type())) {
            problem = "health check " + id + " is " + hc.type()
                    + ": popdns probes endpoints itself (http, tcp), it cannot"
                    + " follow CloudWatch alarms, combine checks or read recovery controls";
        } else if (hc.type().equals("TCP") && hc.port() == 0) {
            problem = "health check " + id + " is TCP without a Port";
        }
        if (problem != null) {
            for (RecordSet s : e.sets) {
                if (s.healthCheckId() != null) {
                    unmapped(s, problem);
                }
            }
            return null;
        }
        if (hc.disabled()) {
            notes.add(e.first().label() + ": health check " + id
                    + " is disabled (Route 53 treats the endpoint as healthy): no check");
            return null;
        }
        return hc;
    }

    /** Where the PoP is probed: Route 53's IPAddress becomes probe-address when it is not the PoP's first address. */
    private boolean probeAt(Endpoint e, HealthCheck hc) {
        if (hc.ipAddress() == null) {
            notes.add(e.first().label() + ": health check " + hc.id() + " checks " + hc.domainName()
                    + " as Route 53 resolves it;" + " popdns probes PoP " + e.pop.id + "'s address with that Host");
            return true;
        }
        InetAddress ip = literal(hc.ipAddress(), !hc.ipAddress().contains(":"));
        if (ip == null) {
            for (RecordSet s : e.sets) {
                unmapped(
                        s, "health check " + hc.id() + ": IPAddress '" + hc.ipAddress() + "' is not a literal address");
            }
            return false;
        }
        if (ip.equals(e.pop.addresses.get(0)) && e.pop.probeAddress == null) {
            return true;
        }
        if (e.pop.probeAddress == null) {
            e.pop.probeAddress = ip;
            return true;
        }
        if (!e.pop.probeAddress.equals(ip)) {
            for (RecordSet s : e.sets) {
                unmapped(
                        s,
                        "health check " + hc.id() + " probes " + hc.ipAddress() + " but PoP " + e.pop.id
                                + " is already probed at " + AddressText.of(e.pop.probeAddress)
                                + ": popdns has one probe address per PoP");
            }
            return false;
        }
        return true;
    }

    /** A Route 53 health check as popdns check fields, templated on the PoP's address. */
    static Map<String, Object> fields(HealthCheck hc) {
        Map<String, Object> f = new LinkedHashMap<>();
        if (hc.type().equals("TCP")) {
            f.put("tcp", "{address}:" + hc.port());
            f.put("timeout", "10s");
        } else {
            boolean https = hc.type().startsWith("HTTPS");
            int port = hc.port() == 0 ? (https ? 443 : 80) : hc.port();
            String path = hc.resourcePath() == null || hc.resourcePath().isEmpty()
                    ? "/"
                    : hc.resourcePath().startsWith("/") ? hc.resourcePath() : "/" + hc.resourcePath();
            f.put(
                    "http",
                    (https ? "https" : "http") + "://{address}" + (port == (https ? 443 : 80) ? "" : ":" + port)
                            + path);
            if (hc.domainName() != null) {
                f.put(
                        "host",
                        hc.domainName().endsWith(".")
                                ? hc.domainName().substring(0, hc.domainName().length() - 1)
                                : hc.domainName());
            }
            f.put("expect", SUCCESS);
            if (hc.type().endsWith("_STR_MATCH")
                    && hc.searchString() != null
                    && !hc.searchString().isEmpty()) {
                f.put("body", hc.searchString());
                f.put("max-body", "5120");
            }
            if (https) {
                f.put("insecure", "true");
            }
            f.put("timeout", "4s");
        }
        f.put("interval", hc.requestInterval() + "s");
        f.put("rise", Integer.toString(hc.failureThreshold()));
        f.put("fall", Integer.toString(hc.failureThreshold()));
        return f;
    }

    /** An existing check with the same fields, or a new one named after its type (then the name's first label). */
    private String checkName(Map<String, Object> fields, String type, Name name) {
        for (PopsConfig.Check c : checks.values()) {
            if (c.fields().equals(fields)) {
                return c.name();
            }
        }
        String base = type.startsWith("HTTPS") ? "https" : type.startsWith("HTTP") ? "http" : "tcp";
        String label = name.labels() > 1
                ? name.getLabelString(0).toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]", "")
                : "";
        String id = base;
        if (checks.containsKey(id) && !label.isEmpty()) {
            id = base + "-" + label;
        }
        for (int n = 2; checks.containsKey(id); n++) {
            id = base + "-" + n;
        }
        checks.put(id, new PopsConfig.Check(id, base.equals("tcp") ? "tcp" : "http", fields, 0));
        comments.put(
                "checks." + id,
                "Route 53 " + type + " health check: any 2xx/3xx passes"
                        + (type.endsWith("STR_MATCH") ? ", the string in the first 5,120 bytes" : "")
                        + (type.startsWith("HTTPS") ? ", certificate not verified" : ""));
        if (type.equals("TCP")) {
            comments.put("checks." + id, "Route 53 TCP health check: connected within 10 s");
        }
        return id;
    }
}
