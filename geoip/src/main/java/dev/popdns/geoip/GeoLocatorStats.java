package dev.popdns.geoip;

/**
 * Counters of a {@link GeoLocator} since it was opened; a snapshot, not updated afterwards.
 *
 * @param lookups calls of {@link GeoLocator#locate} (explain and the status page; the query path
 *     asks a {@link NetworkTable})
 * @param lookupErrors lookups the database failed to answer (reported as no location)
 * @param reloads replacements of the file that were loaded
 * @param rejectedReloads replacements (or removals) of the file that were rejected
 */
public record GeoLocatorStats(long lookups, long lookupErrors, long reloads, long rejectedReloads) {}
