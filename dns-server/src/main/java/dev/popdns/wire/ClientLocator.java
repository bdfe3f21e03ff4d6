package dev.popdns.wire;

import dev.popdns.geoip.GeoLocator;
import dev.popdns.geoip.Location;
import java.net.InetAddress;

/**
 * Where a client is: the EDNS Client Subnet address when the query carries one with a source
 * prefix above 0 (RFC 7871 §7.1.1), else the resolver's own address; located with GeoIP.
 */
public final class ClientLocator {
    private final GeoLocator geo;

    /** @param geo the GeoIP database, or null when no name is geo-routed */
    public ClientLocator(GeoLocator geo) {
        this.geo = geo;
    }

    /** The location of the client, or null when unknown (or no database). Never blocks. */
    public Location locate(Query query, InetAddress peer) {
        if (geo == null) {
            return null;
        }
        Query.Edns edns = query.edns();
        Query.ClientSubnet subnet = edns == null ? null : edns.subnet();
        if (subnet != null && subnet.sourcePrefix() > 0) {
            return geo.locate(subnet.fullAddress()); // no InetAddress on the query path
        }
        return geo.locate(peer);
    }

    /**
     * RFC 7871 §7.2.1: the scope of an answer to a client subnet: 0 when the answer does not
     * depend on the client; else the GeoIP network prefix, never wider than the source prefix;
     * the source prefix itself when the database placed nothing.
     */
    static int scope(Query.ClientSubnet subnet, boolean routed, Location location) {
        if (!routed || subnet.sourcePrefix() == 0) {
            return 0;
        }
        return location == null
                ? subnet.sourcePrefix()
                : Math.min(subnet.sourcePrefix(), location.networkPrefixLength());
    }
}
