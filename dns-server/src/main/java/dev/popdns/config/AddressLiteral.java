package dev.popdns.config;

import io.netty.util.NetUtil;
import java.net.InetAddress;

/**
 * The one parser of literal IP addresses in popdns (config files, command arguments, the API,
 * Route 53 imports): Netty's {@link NetUtil}, which never asks a resolver. Text is written back
 * with {@link NetUtil#toAddressString(InetAddress)} (RFC 5952 for IPv6).
 */
public final class AddressLiteral {
    private AddressLiteral() {}

    /**
     * {@code text} as an address, or null when it is not a literal IPv4 (dotted quad) or IPv6
     * address: host names, brackets and scope ids ({@code fe80::1%eth0}) are not.
     */
    public static InetAddress parse(String text) {
        if (text.isEmpty() || text.charAt(0) == '[' || text.indexOf('%') >= 0) {
            return null;
        }
        return NetUtil.createInetAddressFromIpAddressString(text);
    }
}
