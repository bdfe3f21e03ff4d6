package dev.popdns.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
                file + ": geoip-cache-size: 5000 (expected: no such key; the GeoIP client table replaced the cache:"
                        + " remove the line)",
                e.getMessage());
    }
}
