package dev.popdns.config;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;

/**
 * The server's settings ({@code popdns.yaml} merged with command-line flags), validated.
 *
 * @param listen            DNS addresses, UDP and TCP on each
 * @param http              address of the HTTP status server
 * @param zones             the zones directory
 * @param threads           event loop threads (one UDP socket each)
 * @param cacheSize         response cache entries
 * @param identity          text of id.server / hostname.bind and the NSID, or null when off
 * @param nsid              whether NSID requests are answered with {@code identity}
 * @param version           text of version.bind / version.server, or null when off
 * @param tcpIdleTimeout    seconds a TCP connection may stay silent
 * @param tcpMaxConnections TCP connections open at once
 * @param tcpMaxConnectionsPerClient TCP connections open at once from one client address (/32, /128)
 * @param tcpMaxInFlight    answers waiting to be written on one TCP connection before it stops reading
 * @param geoip             GeoIP2/GeoLite2 City or Country mmdb, or null (needed only for geo names)
 * @param probes            whether the checks of pops.yaml are probed; off: eligibility is admin state only
 * @param adminTokenFile    file holding the bearer token for admin calls, or null (admin calls disabled)
 * @param httpTls           certificate and key of the HTTP listeners, or null for plain HTTP
 * @param peerListen        a second HTTP listener that answers only peers ({@code /api/v1/health}), or null
 * @param peers             the nodes that vote on health, or null when this node decides alone
 * @param rateLimit         response rate limiting of UDP answers ({@code rate-limit:}), off by default
 * @param cookieSecretFile  file holding the DNS cookie secret (32 hex digits), or null for a random one per start
 * @param httpHosts         names a request's Host: may carry besides localhost, the identity and the
 *                          address the connection arrived on (lower case)
 * @param adminFrom         networks admin calls are accepted from (default loopback: 127.0.0.0/8, ::1)
 */
public record ServerConfig(
        List<InetSocketAddress> listen,
        InetSocketAddress http,
        Path zones,
        int threads,
        long cacheSize,
        String identity,
        boolean nsid,
        String version,
        int tcpIdleTimeout,
        int tcpMaxConnections,
        int tcpMaxConnectionsPerClient,
        int tcpMaxInFlight,
        Path geoip,
        boolean probes,
        Path adminTokenFile,
        Tls httpTls,
        InetSocketAddress peerListen,
        PeersConfig peers,
        RateLimitConfig rateLimit,
        Path cookieSecretFile,
        List<String> httpHosts,
        List<AddressRange> adminFrom) {
    public ServerConfig {
        listen = List.copyOf(listen);
        httpHosts = List.copyOf(httpHosts);
        adminFrom = List.copyOf(adminFrom);
    }

    /** PEM certificate chain and private key of the HTTP listeners; reloaded when the files change. */
    public record Tls(Path cert, Path key) {}
}
