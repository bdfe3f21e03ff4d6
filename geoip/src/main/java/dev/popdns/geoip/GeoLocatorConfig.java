package dev.popdns.geoip;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Settings of a {@link GeoLocator}, validated once when built.
 *
 * @param database path of a MaxMind City or Country {@code .mmdb} file (key {@code database})
 * @param reloadInterval how often {@link GeoLocator#startWatching} checks the file for a
 *     replacement, {@link #MIN_RELOAD_INTERVAL}..{@link #MAX_RELOAD_INTERVAL}, default {@link
 *     #DEFAULT_RELOAD_INTERVAL} (key {@code reload-interval})
 */
public record GeoLocatorConfig(Path database, Duration reloadInterval) {

    /** Default of {@link #reloadInterval()}. */
    public static final Duration DEFAULT_RELOAD_INTERVAL = Duration.ofSeconds(60);

    /** Shortest {@link #reloadInterval()}. */
    public static final Duration MIN_RELOAD_INTERVAL = Duration.ofSeconds(1);

    /** Longest {@link #reloadInterval()}. */
    public static final Duration MAX_RELOAD_INTERVAL = Duration.ofHours(24);

    /** Validates every setting; the message names the key, the value and the expectation. */
    public GeoLocatorConfig {
        if (database == null) {
            throw new IllegalArgumentException(
                    "database: null (expected: the path of a MaxMind City or Country .mmdb file)");
        }
        if (reloadInterval == null
                || reloadInterval.compareTo(MIN_RELOAD_INTERVAL) < 0
                || reloadInterval.compareTo(MAX_RELOAD_INTERVAL) > 0) {
            throw new IllegalArgumentException("reload-interval: " + reloadInterval + " (expected: "
                    + MIN_RELOAD_INTERVAL + ".." + MAX_RELOAD_INTERVAL + ")");
        }
    }

    /**
     * Returns the settings for {@code database} with every other key at its default.
     *
     * @param database path of a MaxMind City or Country {@code .mmdb} file
     * @return the validated settings
     */
    public static GeoLocatorConfig withDefaults(Path database) {
        return new GeoLocatorConfig(database, DEFAULT_RELOAD_INTERVAL);
    }
}
