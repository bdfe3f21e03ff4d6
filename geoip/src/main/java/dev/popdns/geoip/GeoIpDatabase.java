package dev.popdns.geoip;

import com.maxmind.db.CHMCache;
import com.maxmind.db.DatabaseRecord;
import com.maxmind.db.Metadata;
import com.maxmind.db.Reader;
import com.maxmind.db.Reader.FileMode;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One opened and checked mmdb file. Immutable; {@link GeoLocator} swaps whole instances.
 */
final class GeoIpDatabase {

    /** The two record layouts a locator understands. */
    enum Kind {
        CITY,
        COUNTRY
    }

    // Checked on every file before it answers: 1.1.1.1 and 2001:4860:4860::8888, any answer will do.
    private static final byte[] PROBE_V4 = {1, 1, 1, 1};
    private static final byte[] PROBE_V6 = {
        0x20, 0x01, 0x48, 0x60, 0x48, 0x60, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0x88, (byte) 0x88
    };

    final Reader reader;
    final Kind kind;
    final FileStamp stamp;
    final DatabaseInfo info;
    private final AtomicBoolean lookupErrorLogged = new AtomicBoolean();

    private GeoIpDatabase(Reader reader, Kind kind, FileStamp stamp, DatabaseInfo info) {
        this.reader = reader;
        this.kind = kind;
        this.stamp = stamp;
        this.info = info;
    }

    /**
     * Opens {@code path} memory-mapped and checks it: readable MaxMind DB, type City or Country,
     * one lookup per address family that does not fail.
     *
     * @throws IOException naming the path and what is wrong with the file
     */
    static GeoIpDatabase open(Path path) throws IOException {
        FileStamp stamp;
        try {
            stamp = FileStamp.read(path);
        } catch (NoSuchFileException e) {
            throw new IOException(failure(path, "file not found"), e);
        }
        Reader reader;
        try {
            // Many networks share one data record (a city); the library's cache of decoded records,
            // bounded at 4096, makes a miss about 2.5 times cheaper.
            reader = new Reader(path.toFile(), FileMode.MEMORY_MAPPED, new CHMCache());
        } catch (IOException | RuntimeException e) {
            throw new IOException(failure(path, "not a readable MaxMind DB file: " + e.getMessage()), e);
        }
        Metadata metadata = reader.getMetadata();
        String type = metadata.getDatabaseType();
        Kind kind;
        if (type.contains("City")) {
            kind = Kind.CITY;
        } else if (type.contains("Country")) {
            kind = Kind.COUNTRY;
        } else {
            reader.close();
            throw new IOException(failure(path, "database type " + type));
        }
        GeoIpDatabase database = new GeoIpDatabase(
                reader,
                kind,
                stamp,
                new DatabaseInfo(path, type, metadata.getBuildDate().toInstant()));
        try {
            database.resolve(InetAddress.getByAddress(PROBE_V4));
            if (metadata.getIpVersion() == 6) {
                database.resolve(InetAddress.getByAddress(PROBE_V6));
            }
        } catch (IOException | RuntimeException e) {
            reader.close();
            throw new IOException(failure(path, "test lookup failed: " + e), e);
        }
        return database;
    }

    private static String failure(Path path, String problem) {
        return "GeoIP database " + path + ": " + problem
                + " (expected: a MaxMind GeoIP2/GeoLite2 City or Country .mmdb file)";
    }

    /**
     * Reads the location of {@code address} from the file.
     *
     * @return the location, or {@code null} when the database has no record for the address or a
     *     record with neither country, continent nor coordinates
     */
    Location resolve(InetAddress address) throws IOException {
        DatabaseRecord<GeoRecord> found = reader.getRecord(address, GeoRecord.class);
        GeoRecord record = found.getData();
        if (record == null) {
            return null;
        }
        boolean hasCoordinates = kind == Kind.CITY && record.latitude != null && record.longitude != null;
        if (record.country == null && record.continent == null && !hasCoordinates) {
            return null;
        }
        return new Location(
                hasCoordinates ? record.latitude : Double.NaN,
                hasCoordinates ? record.longitude : Double.NaN,
                record.country,
                record.continent,
                found.getNetwork().getPrefixLength());
    }

    /** Returns true the first time only, so that a broken file logs once, not per query. */
    boolean firstLookupError() {
        return lookupErrorLogged.compareAndSet(false, true);
    }
}
