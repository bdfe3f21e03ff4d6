package dev.popdns.tools;

import dev.popdns.config.PopsConfig;
import dev.popdns.tools.Route53Input.HealthCheck;
import dev.popdns.tools.Route53Input.RecordSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.xbill.DNS.Name;
import org.xbill.DNS.TextParseException;

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

    private final Name origin;
    private final Route53Report report = new Route53Report();
    private final Route53Records records;
    private final Route53Checks checks;
    private final Route53Pops pops;

    private Route53Mapper(Name origin, Map<String, HealthCheck> healthChecks) {
        this.origin = origin;
        this.records = new Route53Records(origin, report);
        this.checks = new Route53Checks(healthChecks, report);
        this.pops = new Route53Pops(report, checks);
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
        return new Route53Mapper(origin, healthChecks).run(sets);
    }

    /** Sorts the record sets by policy, then maps them: records, PoPs and names, aliases last. */
    private Result run(List<RecordSet> sets) {
        List<RecordSet> simple = new ArrayList<>();
        List<RecordSet> aliases = new ArrayList<>();
        for (RecordSet s : sets) {
            Name name = records.name(s);
            if (name == null) {
                continue;
            }
            if (s.trafficPolicy() != null) {
                report.unmapped(
                        s,
                        "managed by traffic policy instance " + s.trafficPolicy()
                                + ": export the records it created, not the policy");
                continue;
            }
            Policy policy = policy(s);
            switch (policy) {
                case SIMPLE -> (s.alias() == null ? simple : aliases).add(s);
                case WEIGHTED ->
                    report.unmapped(
                            s,
                            "weighted routing (Weight " + s.weight()
                                    + "): popdns answers by client location, not by weight");
                case CIDR ->
                    report.unmapped(s, "IP-based (CIDR) routing: popdns routes by the GeoIP location of the client");
                case MULTIVALUE -> {
                    if (s.alias() == null && s.healthCheckId() == null) {
                        simple.add(s);
                    } else {
                        report.unmapped(
                                s,
                                "multivalue answer with a health check or an alias: popdns has no per-record health checks;"
                                        + " make the values PoPs or a plain record set");
                    }
                }
                case LATENCY, GEOLOCATION, GEOPROXIMITY, FAILOVER -> {
                    if (s.alias() != null) {
                        report.unmapped(
                                s,
                                policyWord(policy) + " alias to " + s.alias().dnsName()
                                        + ": popdns routes between address"
                                        + " record sets, not between alias targets (routing trees)");
                    } else if (!s.type().equals("A") && !s.type().equals("AAAA")) {
                        report.unmapped(
                                s,
                                policyWord(policy) + " routing on a " + s.type()
                                        + " record set: popdns routes A and AAAA only");
                    } else {
                        pops.routedName(name, policy, s);
                    }
                }
            }
        }
        records.simple(simple, pops.names());
        Map<String, PopsConfig.GeoName> names = pops.geoNames();
        records.aliases(aliases, names);
        PopsConfig config = names.isEmpty() ? null : new PopsConfig(pops.pops(), checks.checks(), names);
        return new Result(
                origin,
                records.lines(),
                config,
                report.comments,
                report.unmappedInFileOrder(),
                List.copyOf(report.notes));
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

    static String policyWord(Policy p) {
        return p.name().toLowerCase(Locale.ROOT);
    }
}
