package dev.popdns.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

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
                "port: 53|port: unknown key (expected one of [admin-token-file, cache-size, geoip, geoip-cache-size, health-agreement, http, http-tls, identity, listen, nsid, peer-listen, peers, probes, tcp-idle-timeout, tcp-max-connections, tcp-max-connections-per-client, tcp-max-in-flight, threads, version, zones])",
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
        assertEquals(2, c.listen().size());
        assertEquals(8053, c.http().getPort());
        assertEquals(true, c.probes());
        assertEquals(null, c.adminTokenFile());
    }
}
