package dev.popdns.routing;

import dev.popdns.geoip.Location;
import java.util.List;
import org.xbill.DNS.RRset;

/**
 * Why a client gets its answer: the location, every PoP ranked with its figures, the decision,
 * the records and the ECS scope a /24 (IPv4) or /56 (IPv6) client subnet would get. Shared by
 * {@code popdns explain} and {@code GET /api/v1/explain}.
 *
 * @param location       where the client is, or null when unknown
 * @param records        the answer's records, or null for NODATA
 * @param subnetPrefix   the client subnet the scope is computed for (24 or 56)
 * @param scope          the ECS scope of the answer for that subnet
 */
public record Explanation(
        GeoName name,
        int qtype,
        Location location,
        List<Router.Candidate> candidates,
        Decision decision,
        RRset records,
        int subnetPrefix,
        int scope) {

    public static Explanation of(
            RoutingTable table, GeoName name, int qtype, Location location, boolean ipv4, Eligibility eligibility) {
        Decision d = Router.decide(table, name, location, qtype, eligibility);
        int source = ipv4 ? 24 : 56;
        int scope = location == null ? source : Math.min(source, location.networkPrefixLength());
        return new Explanation(
                name,
                qtype,
                location,
                Router.explain(table, name, location, qtype, eligibility),
                d,
                d.pop() == Decision.NO_DATA ? null : name.records(d.pop(), qtype),
                source,
                scope);
    }
}
