package dev.popdns.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The {@code rate-limit:} mapping of popdns.yaml: defaults, values, and errors at their line. */
class RateLimitSectionTest {
    private static ServerConfig load(Path file) throws ConfigException {
        return ConfigLoader.load(new ConfigLoader.Overrides(file, null, List.of(), null, null, false));
    }

    @Test
    void offUnlessARateIsGivenAndEveryDefaultPinned(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("popdns.yaml");
        Files.writeString(file, "rate-limit:\n  slip: 3\n");
        RateLimitConfig s = load(file).rateLimit();
        assertEquals(false, s.enabled());
        assertEquals(3, s.slip());
        assertEquals(24, s.ipv4Prefix());
        assertEquals(56, s.ipv6Prefix());
        assertEquals(List.of(), s.exempt());
        assertEquals(RateLimitConfig.DEFAULT_SLIP, RateLimitConfig.off().slip());
    }

    @Test
    void everyKeyIsRead(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("popdns.yaml");
        Files.writeString(file, """
                rate-limit:
                  responses-per-second: 50
                  slip: 0
                  ipv4-prefix: 32
                  ipv6-prefix: 64
                  exempt: ["192.0.2.0/24", "2001:db8::/32", "198.51.100.7"]
                cookie-secret-file: secret
                """);
        ServerConfig c = load(file);
        assertEquals(
                new RateLimitConfig(
                        50,
                        0,
                        32,
                        64,
                        List.of(
                                new RateLimitConfig.Network(InetAddress.getByName("192.0.2.0"), 24),
                                new RateLimitConfig.Network(InetAddress.getByName("2001:db8::"), 32),
                                new RateLimitConfig.Network(InetAddress.getByName("198.51.100.7"), 32))),
                c.rateLimit());
        assertEquals(dir.resolve("secret"), c.cookieSecretFile());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            quoteCharacter = '"',
            value = {
                "responses-per-second: -1|rate-limit.responses-per-second: -1 (expected: 0..1000000)",
                "responses-per-second: lots|rate-limit.responses-per-second: 'lots' (expected: a whole number 0..1000000)",
                "slip: 101|rate-limit.slip: 101 (expected: 0..100)",
                "ipv4-prefix: 33|rate-limit.ipv4-prefix: 33 (expected: 0..32)",
                "ipv6-prefix: 129|rate-limit.ipv6-prefix: 129 (expected: 0..128)",
                "burst: 5|rate-limit.burst: unknown key (expected one of [exempt, ipv4-prefix, ipv6-prefix, responses-per-second, slip])",
                "exempt: 192.0.2.0/24|rate-limit.exempt: not a list (expected: [CIDR, ...])",
                "exempt: [example.net]|rate-limit.exempt: 'example.net' (expected: a literal address or CIDR, like 192.0.2.0/24 or 2001:db8::/32)",
                "exempt: [192.0.2.1/24]|rate-limit.exempt: '192.0.2.1/24' has bits set past /24 (expected: the network address)",
                "exempt: [192.0.2.0/33]|rate-limit.exempt: '192.0.2.0/33' (expected: a literal address or CIDR, like 192.0.2.0/24 or 2001:db8::/32)",
            })
    void namesTheLineOfTheKeyAtFault(String line, String message, @TempDir Path dir) throws Exception {
        Path file = dir.resolve("popdns.yaml");
        Files.writeString(file, "identity: ns1.test\nrate-limit:\n  " + line + "\nversion: \"\"\n");
        ConfigException e = assertThrows(ConfigException.class, () -> load(file));
        assertEquals(file + ":3: " + message, e.getMessage());
    }
}
