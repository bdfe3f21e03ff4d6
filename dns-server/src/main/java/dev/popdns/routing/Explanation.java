package dev.popdns.routing;

import dev.popdns.geoip.Location;
import dev.popdns.geoip.NetworkTable;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.List;
import org.xbill.DNS.Address;
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

    /**
     * Explains the routing of {@code client}, located at {@code location}; the scope is the one
     * the server answers with, from the merged block of {@code rankings}.
     */
    public static Explanation of(
            RoutingTable table,
            GeoName name,
            int qtype,
            Location location,
            InetAddress client,
            ClientRankings rankings,
            Eligibility eligibility) {
        Decision d = Router.decide(table, name, location, qtype, eligibility);
        int source = client instanceof Inet4Address ? 24 : 56;
        int block = NetworkTable.prefixOf(
                rankings.find(Address.truncate(client, source).getAddress()));
        int scope = Math.min(source, block);
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
