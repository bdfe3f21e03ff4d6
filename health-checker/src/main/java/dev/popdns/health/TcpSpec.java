package dev.popdns.health;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;

/**
 * A {@code tcp} check: passes when a TCP connection to the PoP is established within the
 * timeout; nothing is sent and the connection is closed at once.
 *
 * @param target {@code host:port}, usually with {@code {address}} ({@code {address}:5432})
 */
public record TcpSpec(String target) implements ProbeSpec {
    /**
     * Validates the template.
     *
     * @throws IllegalArgumentException {@code "tcp: 'x' (expected: {address}:port, port 1..65535)"}
     */
    public TcpSpec {
        Validation.requireText("tcp", target);
        socketAddress(Addresses.bind(target, Addresses.SAMPLE));
    }

    /** The unresolved socket address of a bound template ({@code 192.0.2.1:443}, {@code [::1]:22}). */
    static InetSocketAddress socketAddress(String bound) {
        try {
            URI uri = new URI("tcp://" + bound);
            if (uri.getHost() != null
                    && uri.getPort() > 0
                    && uri.getPort() <= 65535
                    && uri.getRawPath().isEmpty()
                    && uri.getRawUserInfo() == null
                    && uri.getRawQuery() == null
                    && uri.getRawFragment() == null) {
                String host = uri.getHost();
                if (host.startsWith("[")) {
                    host = host.substring(1, host.length() - 1);
                }
                return InetSocketAddress.createUnresolved(host, uri.getPort());
            }
        } catch (URISyntaxException e) {
            // reported below with the expected form
        }
        throw new IllegalArgumentException("tcp: '" + bound + "' (expected: {address}:port, port 1..65535)");
    }
}
