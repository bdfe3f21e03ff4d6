package dev.popdns.wire;

import dev.popdns.geoip.NetworkTable;
import dev.popdns.routing.ClientRankings;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.concurrent.atomic.LongAdder;

/**
 * Where a client is: the EDNS Client Subnet address when the query carries one with a source
 * prefix above 0 (RFC 7871 §7.1.1), else the resolver's own address; found in the snapshot's
 * {@link ClientRankings} (one table lookup, no GeoIP decode). Counts the lookups by whether the
 * client was placed, for {@code popdns_geoip_lookups_total}.
 */
public final class ClientLocator {
    private final LongAdder located = new LongAdder();
    private final LongAdder unknown = new LongAdder();

    /**
     * The client's class and the prefix of its merged network, packed as {@link
     * NetworkTable#find} returns them. Never blocks; allocates nothing for a client subnet or an
     * IPv4 resolver (an IPv6 resolver's address is copied out of its InetAddress).
     */
    public int locate(Query query, InetAddress peer, ClientRankings rankings) {
        int found = find(query, peer, rankings);
        (rankings.unknown(found) ? unknown : located).increment();
        return found;
    }

    private static int find(Query query, InetAddress peer, ClientRankings rankings) {
        Query.Edns edns = query.edns();
        Query.ClientSubnet subnet = edns == null ? null : edns.subnet();
        if (subnet != null && subnet.sourcePrefix() > 0) {
            // the subnet's octets, zero-padded, read as big-endian numbers rather than copied
            byte[] octets = subnet.address();
            if (subnet.family() == 1) {
                return rankings.findV4((int) bigEndian(octets, 0, 4));
            }
            return rankings.findV6(bigEndian(octets, 0, 8), bigEndian(octets, 8, 8));
        }
        if (peer instanceof Inet4Address) {
            return rankings.findV4(peer.hashCode()); // Inet4Address.hashCode() is the address itself
        }
        return rankings.find(peer.getAddress());
    }

    /** {@code count} bytes from {@code from} as a big-endian number; bytes past the array's end are zero. */
    private static long bigEndian(byte[] octets, int from, int count) {
        long value = 0;
        for (int i = from; i < from + count; i++) {
            value = value << 8 | (i < octets.length ? octets[i] & 0xFF : 0);
        }
        return value;
    }

    /** The address {@link #locate} looks up: the client subnet's (no InetAddress), else the peer's. */
    public static byte[] address(Query query, InetAddress peer) {
        Query.Edns edns = query.edns();
        Query.ClientSubnet subnet = edns == null ? null : edns.subnet();
        return subnet != null && subnet.sourcePrefix() > 0 ? subnet.fullAddress() : peer.getAddress();
    }

    /** Lookups whose client got a ranking from its location. */
    public long located() {
        return located.sum();
    }

    /** Lookups whose client had no usable location (HQ first). */
    public long unknown() {
        return unknown.sum();
    }

    /**
     * RFC 7871 §7.2.1: the scope of an answer to a client subnet: 0 when the answer does not
     * depend on the client; else the prefix of the client's merged network (every address in it
     * gets the same ranking), never wider than the source prefix.
     */
    static int scope(Query.ClientSubnet subnet, boolean routed, int networkPrefix) {
        if (!routed || subnet.sourcePrefix() == 0) {
            return 0;
        }
        return Math.min(subnet.sourcePrefix(), networkPrefix);
    }
}
