package dev.popdns.config;

import java.net.InetAddress;
import java.util.List;

/**
 * The settings of {@code rate-limit:} in popdns.yaml (response rate limiting of UDP answers).
 *
 * @param responsesPerSecond answers per second per client network and response class; 0 = off
 * @param slip               1 in this many answers over the limit goes out truncated; 0 = none, all dropped
 * @param ipv4Prefix         length of the IPv4 client networks counted together
 * @param ipv6Prefix         length of the IPv6 client networks counted together
 * @param exempt             networks never limited
 */
public record RateLimitConfig(int responsesPerSecond, int slip, int ipv4Prefix, int ipv6Prefix, List<Network> exempt) {
    public static final int DEFAULT_SLIP = 2;
    public static final int DEFAULT_IPV4_PREFIX = 24;
    public static final int DEFAULT_IPV6_PREFIX = 56;

    public RateLimitConfig {
        exempt = List.copyOf(exempt);
    }

    /** Rate limiting off (the built-in default). */
    public static RateLimitConfig off() {
        return new RateLimitConfig(0, DEFAULT_SLIP, DEFAULT_IPV4_PREFIX, DEFAULT_IPV6_PREFIX, List.of());
    }

    public boolean enabled() {
        return responsesPerSecond > 0;
    }

    /** A network: {@code address} with its first {@code prefix} bits significant. */
    public record Network(InetAddress address, int prefix) {
        @Override
        public String toString() {
            return address.getHostAddress() + "/" + prefix;
        }
    }
}
