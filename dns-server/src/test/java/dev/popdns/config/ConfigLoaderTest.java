package dev.popdns.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ConfigLoaderTest {

    private static ServerConfig load(Path file) throws ConfigException {
        return ConfigLoader.load(new ConfigLoader.Overrides(file, null, List.of(), null, null, false));
    }

    @Test
    void theFormerGeoipCacheSizeKeyIsAClearError(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("popdns.yaml");
        Files.writeString(file, "geoip: city.mmdb\n");
        assertEquals(dir.resolve("city.mmdb"), load(file).geoip());
        Files.writeString(file, "geoip: city.mmdb\ngeoip-cache-size: 5000\n");
        ConfigException e = assertThrows(ConfigException.class, () -> load(file));
        assertEquals(
                file + ":2: geoip-cache-size: 5000 (expected: no such key; the GeoIP client table replaced the cache:"
                        + " remove the line)",
                e.getMessage());
    }

    /** Every range and type error names the line of the key at fault, after a first valid line. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            quoteCharacter = '"',
            value = {
                "threads: 0|threads: 0 (expected: 1..256)",
                "threads: many|threads: 'many' (expected: a whole number)",
                "cache-size: -1|cache-size: -1 (expected: 0..100000000)",
                "tcp-idle-timeout: 0|tcp-idle-timeout: 0 (expected: 1..3600)",
                "tcp-max-connections: 1000001|tcp-max-connections: 1000001 (expected: 1..1000000)",
                "tcp-max-connections-per-client: 0|tcp-max-connections-per-client: 0 (expected: 1..1000000)",
                "tcp-max-in-flight: 65536|tcp-max-in-flight: 65536 (expected: 1..65535)",
                "geoip-cache-size: 5000|geoip-cache-size: 5000 (expected: no such key; the GeoIP client table replaced the cache: remove the line)",
                "nsid: maybe|nsid: 'maybe' (expected: true or false)",
                "probes: 1|probes: '1' (expected: true or false)",
                "http: localhost:80|http: 'localhost:80' (expected: ADDR:PORT with a literal address, [::1]:53 for IPv6)",
                "listen: [127.0.0.1:53, x]|listen: 'x' (expected: ADDR:PORT with a literal address, [::1]:53 for IPv6)",
                "listen: 127.0.0.1:53|listen: not a list (expected: [ADDR:PORT, ...])",
                "zones: [a, b]|zones: not a single value",
                "port: 53|port: unknown key (expected one of [admin-from, admin-token-file, cache-size, cookie-secret-file, geoip, geoip-cache-size, health-agreement, http, http-hosts, http-tls, identity, listen, nsid, peer-listen, peers, probes, rate-limit, tcp-idle-timeout, tcp-max-connections, tcp-max-connections-per-client, tcp-max-in-flight, threads, version, zones])",
                "admin-from: [127.0.0.1, cafe.beef]|admin-from: 'cafe.beef' (expected: a literal address or CIDR such as 127.0.0.1, 192.0.2.0/24 or 2001:db8::/48)",
                "admin-from: 10.0.0.0/8|admin-from: not a list (expected: [ADDR/PREFIX, ...])",
                "http-hosts: [status.example.net:8053]|http-hosts: 'status.example.net:8053' (expected: a host name such as status.example.net, without a port)",
            })
    void namesTheLineOfTheKeyAtFault(String line, String message, @TempDir Path dir) throws Exception {
        Path file = dir.resolve("popdns.yaml");
        Files.writeString(file, "# popdns\nidentity: ns1.test\n" + line + "\nversion: \"\"\n");
        ConfigException e = assertThrows(ConfigException.class, () -> load(file));
        assertEquals(file + ":3: " + message, e.getMessage());
    }

    @Test
    void everyDefaultIsPinned(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("popdns.yaml");
        Files.writeString(file, "");
        ServerConfig c = load(file);
        assertEquals(ConfigLoader.DEFAULT_CACHE_SIZE, c.cacheSize());
        assertEquals(ConfigLoader.DEFAULT_TCP_IDLE_TIMEOUT, c.tcpIdleTimeout());
        assertEquals(ConfigLoader.DEFAULT_TCP_MAX_CONNECTIONS, c.tcpMaxConnections());
        assertEquals(16, c.tcpMaxConnectionsPerClient());
        assertEquals(32, c.tcpMaxInFlight());
        assertEquals(AddressRange.LOOPBACK, c.adminFrom());
        assertEquals(List.of(), c.httpHosts());
        assertEquals(2, c.listen().size());
        assertEquals(8053, c.http().getPort());
        assertEquals(true, c.probes());
        assertEquals(null, c.adminTokenFile());
        assertEquals(RateLimitConfig.off(), c.rateLimit());
        assertEquals(null, c.cookieSecretFile());
    }

    /** Each key of the server's own settings, set to a value other than its default, is read as written. */
    @Test
    void everyKeyIsRead(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("popdns.yaml");
        Files.writeString(file, """
                listen: ["127.0.0.9:5301", "[::1]:5302"]
                http: 127.0.0.9:8054
                zones: my-zones
                threads: 3
                cache-size: 42
                identity: ns9.test
                nsid: false
                version: v9
                tcp-idle-timeout: 7
                tcp-max-connections: 9
                tcp-max-connections-per-client: 4
                tcp-max-in-flight: 5
                geoip: city.mmdb
                probes: false
                admin-token-file: token
                """);
        ServerConfig c = load(file);
        assertEquals(List.of(new InetSocketAddress("127.0.0.9", 5301), new InetSocketAddress("::1", 5302)), c.listen());
        assertEquals(new InetSocketAddress("127.0.0.9", 8054), c.http());
        assertEquals(dir.toAbsolutePath().resolve("my-zones"), c.zones());
        assertEquals(3, c.threads());
        assertEquals(42, c.cacheSize());
        assertEquals("ns9.test", c.identity());
        assertEquals(false, c.nsid());
        assertEquals("v9", c.version());
        assertEquals(7, c.tcpIdleTimeout());
        assertEquals(9, c.tcpMaxConnections());
        assertEquals(4, c.tcpMaxConnectionsPerClient());
        assertEquals(5, c.tcpMaxInFlight());
        assertEquals(dir.toAbsolutePath().resolve("city.mmdb"), c.geoip());
        assertEquals(false, c.probes());
        assertEquals(dir.toAbsolutePath().resolve("token"), c.adminTokenFile());
    }

    /** {@code ""} turns identity and version off. */
    @Test
    void emptyIdentityAndVersionAreOff(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("popdns.yaml");
        Files.writeString(file, "identity: \"\"\nversion: \"\"\n");
        ServerConfig c = load(file);
        assertEquals(null, c.identity());
        assertEquals(null, c.version());
    }

    /** The command-line flags win over the file. */
    @Test
    void flagsOverrideTheFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("popdns.yaml");
        Files.writeString(
                file, "listen: [127.0.0.9:5301]\nhttp: 127.0.0.9:8054\nzones: a\ngeoip: a.mmdb\nprobes: true\n");
        ServerConfig c = ConfigLoader.load(new ConfigLoader.Overrides(
                file, Path.of("b"), List.of("127.0.0.8:5303"), "127.0.0.8:8055", Path.of("b.mmdb"), true));
        assertEquals(List.of(new InetSocketAddress("127.0.0.8", 5303)), c.listen());
        assertEquals(new InetSocketAddress("127.0.0.8", 8055), c.http());
        assertEquals(Path.of("b"), c.zones());
        assertEquals(Path.of("b.mmdb"), c.geoip());
        assertEquals(false, c.probes());
    }

    /** The errors of the steps not covered above: a flag's error names the command line. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            quoteCharacter = '"',
            value = {
                "listen: []|popdns.yaml:3: listen: empty (expected: at least one ADDR:PORT)",
                "peer-listen: 127.0.0.1|popdns.yaml:3: peer-listen: '127.0.0.1' (expected: ADDR:PORT with a literal address, [::1]:53 for IPv6)",
                "http-tls: { cert: c.pem }|popdns.yaml:3: http-tls: needs both cert and key (expected: PEM files)",
                "--listen 127.0.0.1|command line: listen: '127.0.0.1' (expected: ADDR:PORT with a literal address, [::1]:53 for IPv6)",
                "--http localhost:8053|command line: http: 'localhost:8053' (expected: ADDR:PORT with a literal address, [::1]:53 for IPv6)",
            })
    void namesWhereEachStepFailed(String setting, String message, @TempDir Path dir) throws Exception {
        Path file = dir.resolve("popdns.yaml");
        String flag = setting.startsWith("--") ? setting.split(" ")[0] : null;
        String value = setting.split(" ")[1];
        Files.writeString(file, "# popdns\nidentity: ns1.test\n" + (flag == null ? setting : "") + "\n");
        ConfigException e = assertThrows(
                ConfigException.class,
                () -> ConfigLoader.load(new ConfigLoader.Overrides(
                        file,
                        null,
                        "--listen".equals(flag) ? List.of(value) : List.of(),
                        "--http".equals(flag) ? value : null,
                        null,
                        false)));
        assertEquals(message.replace("popdns.yaml", file.toString()), e.getMessage());
    }

    /** With several errors, the first step's is reported: the steps run in a fixed order. */
    @Test
    void theFirstErrorInStepOrderIsReported(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("popdns.yaml");
        Files.writeString(file, "http: nowhere\nadmin-from: [x]\ntcp-max-in-flight: 0\nlisten: [y]\n");
        ConfigException e = assertThrows(ConfigException.class, () -> load(file));
        assertEquals(
                file + ":4: listen: 'y' (expected: ADDR:PORT with a literal address, [::1]:53 for IPv6)",
                e.getMessage());
        Files.writeString(file, "http: nowhere\nadmin-from: [x]\ntcp-max-in-flight: 0\n");
        e = assertThrows(ConfigException.class, () -> load(file));
        assertEquals(file + ":3: tcp-max-in-flight: 0 (expected: 1..65535)", e.getMessage());
        Files.writeString(file, "http: nowhere\nadmin-from: [x]\n");
        e = assertThrows(ConfigException.class, () -> load(file));
        assertTrue(e.getMessage().startsWith(file + ":2: admin-from: 'x'"), e.getMessage());
    }

    /** Each ranged key: both bounds load, one past either is an error at its line. */
    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "threads, 1, 256",
        "cache-size, 0, 100000000",
        "tcp-idle-timeout, 1, 3600",
        "tcp-max-connections, 1, 1000000",
        "tcp-max-connections-per-client, 1, 1000000",
        "tcp-max-in-flight, 1, 65535"
    })
    void rangesAcceptTheirBoundsOnly(String key, long min, long max, @TempDir Path dir) throws Exception {
        Path file = dir.resolve("popdns.yaml");
        for (long ok : new long[] {min, max}) {
            Files.writeString(file, key + ": " + ok + "\n");
            load(file);
        }
        for (long bad : new long[] {min - 1, max + 1}) {
            Files.writeString(file, "nsid: true\n" + key + ": " + bad + "\n");
            ConfigException e = assertThrows(ConfigException.class, () -> load(file));
            assertEquals(file + ":2: " + key + ": " + bad + " (expected: " + min + ".." + max + ")", e.getMessage());
        }
    }
}
