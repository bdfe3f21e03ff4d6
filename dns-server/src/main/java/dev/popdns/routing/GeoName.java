package dev.popdns.routing;

import dev.popdns.zone.Zone;
import java.util.List;
import java.util.Map;
import org.xbill.DNS.Name;
import org.xbill.DNS.RRset;
import org.xbill.DNS.Type;

/**
 * A geo-managed name, compiled: the checks it needs, its overrides by PoP index, and the A and
 * AAAA RRsets each PoP answers with (null where the PoP has no address of that family).
 *
 * @param zone      the served zone holding the name (for the SOA of a NODATA answer)
 * @param lowerWire the name in wire form, lower case (RFC 4343), to match query bytes without a Name
 * @param index     position in {@link RoutingTable#names()}
 */
public record GeoName(
        Name name,
        long ttl,
        List<String> needs,
        Map<String, Integer> countries,
        Map<String, Integer> continents,
        RRset[] a,
        RRset[] aaaa,
        Zone zone,
        byte[] lowerWire,
        int index) {
    /** The RRset PoP {@code pop} answers for {@code qtype} (A or AAAA), or null. */
    public RRset records(int pop, int qtype) {
        return qtype == Type.A ? a[pop] : qtype == Type.AAAA ? aaaa[pop] : null;
    }
}
