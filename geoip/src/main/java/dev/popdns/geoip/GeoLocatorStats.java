package dev.popdns.geoip;

/**
 * Counters of a {@link GeoLocator} since it was opened; a snapshot, not updated afterwards.
 *
 * @param hits lookups answered from the cache
 * @param misses lookups that read the database (failed ones included)
 * @param lookupErrors lookups the database failed to answer (reported as no location)
 * @param reloads replacements of the file that were loaded
 * @param rejectedReloads replacements (or removals) of the file that were rejected
 * @param cachedNetworks entries in the current database's cache, approximately
 */
public record GeoLocatorStats(
        long hits, long misses, long lookupErrors, long reloads, long rejectedReloads, long cachedNetworks) {

    /** Returns {@code hits / (hits + misses)}, or 0 before the first lookup. */
    public double hitRate() {
        long lookups = hits + misses;
        return lookups == 0 ? 0.0 : (double) hits / lookups;
    }
}
