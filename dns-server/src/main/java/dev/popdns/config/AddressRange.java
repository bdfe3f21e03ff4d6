package dev.popdns.config;

import io.netty.handler.ipfilter.IpFilterRuleType;
import io.netty.handler.ipfilter.IpSubnetFilterRule;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * A network written as a literal address with an optional prefix length ({@code 192.0.2.0/24},
 * {@code 2001:db8::/32}, {@code ::1}); a bare address is the host alone (/32 or /128).
 *
 * @param address the address as written (host bits may be set; matching ignores them)
 * @param prefix  0..32 for IPv4, 0..128 for IPv6
 */
public record AddressRange(InetAddress address, int prefix) {
    /** Loopback: where admin calls come from unless {@code admin-from} says otherwise. */
    public static final List<AddressRange> LOOPBACK = List.of(parse("127.0.0.0/8"), parse("::1/128"));

    /** {@code text} as a range, or null when it is not {@code ADDR} or {@code ADDR/PREFIX} with a literal address. */
    public static AddressRange parse(String text) {
        int slash = text.indexOf('/');
        InetAddress address = AddressLiteral.parse(slash < 0 ? text : text.substring(0, slash));
        if (address == null) {
            return null;
        }
        int max = address instanceof Inet4Address ? 32 : 128;
        int prefix = max;
        if (slash >= 0) {
            String digits = text.substring(slash + 1);
            if (digits.isEmpty() || digits.length() > 3 || !digits.chars().allMatch(Character::isDigit)) {
                return null;
            }
            prefix = Integer.parseInt(digits);
            if (prefix > max) {
                return null;
            }
        }
        return new AddressRange(address, prefix);
    }

    /** Whether {@code other} lies in this network (an IPv4 address never lies in an IPv6 one). */
    public boolean contains(InetAddress other) {
        // Netty's subnet rule does the masking; built per call, as admin calls are rare
        return new IpSubnetFilterRule(address, prefix, IpFilterRuleType.ACCEPT)
                .matches(new InetSocketAddress(other, 0));
    }

    @Override
    public String toString() {
        return io.netty.util.NetUtil.toAddressString(address) + "/" + prefix;
    }
}
