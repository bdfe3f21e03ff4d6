package dev.popdns.geoip;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Settings of a {@link GeoLocator}, validated once when built.
 *
 * @param database path of a MaxMind City or Country {@code .mmdb} file (key {@code database})
 * @param cacheSize most cached networks, rounded up to a power of two, {@value
 *     #MIN_CACHE_SIZE}..{@value #MAX_CACHE_SIZE}, default {@value #DEFAULT_CACHE_SIZE} (key {@code
 *     cache-size})
 * @param reloadInterval how often {@link GeoLocator#startWatching} checks the file for a
 *     replacement, {@link #MIN_RELOAD_INTERVAL}..{@link #MAX_RELOAD_INTERVAL}, default {@link
 *     #DEFAULT_RELOAD_INTERVAL} (key {@code reload-interval})
 */
public record GeoLocatorConfig(Path database, int cacheSize, Duration reloadInterval) {

    /**
     * Default of {@link #cacheSize()}: 2^18 networks, about 22 MB of heap when full; with it the
     * dnsperf benchmark's 100,000 client subnets hit the cache 93-94 % of the time (BENCHMARKS.md).
     */
    public static final int DEFAULT_CACHE_SIZE = 1 << 18;

    /** Smallest {@link #cacheSize()}. */
    public static final int MIN_CACHE_SIZE = 1;

    /** Largest {@link #cacheSize()}. */
    public static final int MAX_CACHE_SIZE = 10_000_000;

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
        if (cacheSize < MIN_CACHE_SIZE || cacheSize > MAX_CACHE_SIZE) {
            throw new IllegalArgumentException(
                    "cache-size: " + cacheSize + " (expected: " + MIN_CACHE_SIZE + ".." + MAX_CACHE_SIZE + ")");
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
        return new GeoLocatorConfig(database, DEFAULT_CACHE_SIZE, DEFAULT_RELOAD_INTERVAL);
    }
}
