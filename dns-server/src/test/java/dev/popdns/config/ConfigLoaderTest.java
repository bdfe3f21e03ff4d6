package dev.popdns.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.popdns.geoip.GeoLocatorConfig;
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
    void geoipCacheSizeDefaultsAndIsRangeChecked(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("popdns.yaml");
        Files.writeString(file, "geoip: city.mmdb\n");
        assertEquals(GeoLocatorConfig.DEFAULT_CACHE_SIZE, load(file).geoipCacheSize());
        Files.writeString(file, "geoip: city.mmdb\ngeoip-cache-size: 5000\n");
        assertEquals(5000, load(file).geoipCacheSize());
        Files.writeString(file, "geoip: city.mmdb\ngeoip-cache-size: 0\n");
        ConfigException e = assertThrows(ConfigException.class, () -> load(file));
        assertEquals(file + ": geoip-cache-size: 0 (expected: 1..10000000)", e.getMessage());
    }
}
