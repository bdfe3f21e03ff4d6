package dev.popdns.geoip;

import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The pinned GeoLite2 databases the tests read, found in the directory named by the system
 * property {@value #DIRECTORY_PROPERTY} (surefire sets it to {@code geoip/data}). A missing file
 * fails the test, never skips it.
 */
final class GeoLiteDatabases {

    static final String DIRECTORY_PROPERTY = "popdns.geoip.dir";

    private GeoLiteDatabases() {}

    static Path city() {
        return require("GeoLite2-City.mmdb");
    }

    static Path country() {
        return require("GeoLite2-Country.mmdb");
    }

    private static Path require(String name) {
        String directory = System.getProperty(DIRECTORY_PROPERTY);
        if (directory == null) {
            return fail("system property " + DIRECTORY_PROPERTY + " is not set (expected: the directory of"
                    + " GeoLite2 databases, geoip/data); run geoip/fetch-geolite2.sh");
        }
        Path path = Path.of(directory, name);
        if (!Files.isRegularFile(path)) {
            return fail(path + " not found: run geoip/fetch-geolite2.sh");
        }
        return path;
    }
}
