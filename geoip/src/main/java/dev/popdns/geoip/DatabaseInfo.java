package dev.popdns.geoip;

import java.nio.file.Path;
import java.time.Instant;

/**
 * Identity of the database a {@link GeoLocator} answers from, for status pages and logs.
 *
 * @param path the file it was opened from
 * @param type the MaxMind database type, such as {@code GeoLite2-City}
 * @param buildDate when MaxMind built it
 */
public record DatabaseInfo(Path path, String type, Instant buildDate) {}
