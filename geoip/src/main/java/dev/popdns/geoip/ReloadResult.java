package dev.popdns.geoip;

/** What one {@link GeoLocator#reloadIfChanged()} check did. */
public enum ReloadResult {
    /** The file is as at the last check (a file rejected then stays rejected); nothing done. */
    UNCHANGED,
    /** The file was replaced by a usable database, which now answers every lookup. */
    RELOADED,
    /** The file was replaced by an unusable one or removed; the previous database keeps answering. */
    REJECTED
}
