package dev.popdns.tools;

import dev.popdns.config.PopsConfig;
import dev.popdns.tools.Route53Input.RecordSet;
import dev.popdns.tools.Route53Mapper.ZoneLine;
import io.netty.util.NetUtil;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * Record translation of a Route 53 import: simple record sets become master-file lines as dnsjava
 * reads them, and simple alias record sets become copies of their in-zone target's records (or a
 * CNAME to a geo-routed target); aliases to AWS resources are reported, since only Route 53 knows
 * their addresses.
 */
final class Route53Records {
    private final Name origin;
    private final Route53Report report;
    private final List<ZoneLine> zone = new ArrayList<>();
    private final Set<String> lineKeys = new java.util.HashSet<>();

    Route53Records(Name origin, Route53Report report) {
        this.origin = origin;
        this.report = report;
    }

    /** The record set's owner name, or null (reported) when it does not parse or lies outside the zone. */
    Name name(RecordSet s) {
        Name name;
        try {
            name = Name.fromString(s.name(), Name.root);
        } catch (TextParseException e) {
            report.unmapped(s, "name '" + s.name() + "' does not parse: " + e.getMessage());
            return null;
        }
        if (!name.subdomain(origin)) {
            report.unmapped(s, "outside the zone " + origin);
            return null;
        }
        return name;
    }

    /** The zone's lines: by owner, SOA first, then NS, then the rest by type number. */
    List<ZoneLine> lines() {
        List<ZoneLine> sorted = new ArrayList<>(zone);
        sorted.sort(Comparator.comparing(ZoneLine::owner).thenComparingInt(l -> order(l.type())));
        return List.copyOf(sorted);
    }

    /** SOA, then NS, then the rest by type number, so that the apex reads as in a hand-written file. */
    private static int order(int type) {
        return type == Type.SOA ? -2 : type == Type.NS ? -1 : type;
    }

    /**
     * Maps the simple alias record sets; an alias may point at another alias, so they are resolved
     * in passes until none makes progress.
     */
    void aliases(List<RecordSet> aliases, Map<String, PopsConfig.GeoName> names) {
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
    }

    /**
     * Maps the simple (and plain multivalue) record sets.
     *
     * @param geoAddress the routed names, lower case: their A and AAAA come from the PoPs
     */
    void simple(List<RecordSet> simple, Set<String> geoAddress) {
        for (RecordSet s : simple) {
            Name owner = name(s);
            int type = Type.value(s.type());
            if (type < 0) {
                report.unmapped(s, "unknown record type " + s.type());
                continue;
            }
            if ((type == Type.A || type == Type.AAAA)
                    && geoAddress.contains(owner.toString().toLowerCase(Locale.ROOT))) {
                report.unmapped(
                        s,
                        "a plain " + s.type() + " record set at a name whose other address family has a routing policy:"
                                + " popdns routes both families of a geo name");
                continue;
            }
            if (s.multiValueAnswer()) {
                report.notes.add(s.label()
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
                    : r instanceof AAAARecord aaaa ? NetUtil.toAddressString(aaaa.getAddress()) : r.rdataToString();
            if (lineKeys.add(owner.toString().toLowerCase(Locale.ROOT) + " " + type + " " + rdata)) {
                zone.add(new ZoneLine(owner, ttl, type, rdata));
            }
            return true;
        } catch (java.io.IOException | RuntimeException e) {
            report.unmapped(s, "value '" + value + "' does not parse: " + e.getMessage());
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
            report.unmapped(s, "alias target '" + targetText + "' does not parse: " + e.getMessage());
            return true;
        }
        if (!target.subdomain(origin)) {
            report.unmapped(
                    s,
                    "alias to " + awsResource(target.toString().toLowerCase(Locale.ROOT)) + " " + target
                            + ": only Route 53 knows its current addresses; use a CNAME (not at the apex) or the resource's fixed addresses");
            return true;
        }
        int type = Type.value(s.type());
        if ((type == Type.A || type == Type.AAAA)
                && names.containsKey(owner.toString().toLowerCase(Locale.ROOT))) {
            report.unmapped(
                    s,
                    "an alias " + s.type()
                            + " record set at a geo-routed name: popdns routes both families of a geo name");
            return true;
        }
        boolean geo =
                names.containsKey(target.toString().toLowerCase(Locale.ROOT)) && (type == Type.A || type == Type.AAAA);
        if (geo) {
            if (owner.equals(origin)) {
                report.unmapped(
                        s,
                        "alias at the apex to the geo-routed " + target + ": a CNAME cannot stand at the apex; make "
                                + owner + " a geo name in pops.yaml instead");
                return true;
            }
            for (ZoneLine l : zone) {
                if (l.owner().equals(owner)
                        && !(l.type() == Type.CNAME && l.rdata().equals(target.toString()))) {
                    report.unmapped(
                            s,
                            "alias to the geo-routed " + target + " at a name with other records ("
                                    + Type.string(l.type())
                                    + "): it would need a CNAME, which must stand alone (RFC 1034 §3.6.2)");
                    return true;
                }
            }
            report.notes.add(s.label() + ": alias to the geo-routed " + target
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
                report.unmapped(s, "alias to " + target + ", which has no " + s.type() + " records in this import");
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
}
