package dev.popdns.geoip;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Locates IP addresses with a MaxMind GeoIP2/GeoLite2 City or Country database, and follows
 * replacements of the database file.
 *
 * <p>Usage: {@link #open} once at start (a missing or unusable file fails there), {@link #locate}
 * on every query, {@link #startWatching} to pick up the files that {@code geoipupdate} installs,
 * {@link #close} at shutdown. Thread-safe.
 */
public final class GeoLocator implements Closeable {
    /*
     * Threads. locate() and buildTable() run on any thread: they read the current GeoIpDatabase
     * through one volatile field and take no lock of their own. locate() decodes a record from the
     * memory-mapped file (page faults at worst, no system calls): it serves explain and the status
     * page; the query path asks a NetworkTable instead, built by buildTable() once per database.
     * reloadIfChanged() runs on the watcher's thread or a caller's, under this object's lock: it
     * opens and checks the new file beside the old one, publishes it with one volatile write, then
     * tells the reload listener (which typically builds a new table) on the same thread.
     * The replaced reader is not closed: a memory-mapped reader holds no file descriptor, the GC
     * unmaps it once no lookup uses it, and closing it could fail a lookup still in flight.
     *
     * Failure. A lookup that fails counts in lookupErrors, logs once per file and answers null. A
     * replacement that fails its checks is logged and the old database keeps answering.
     */

    private static final Logger LOG = LoggerFactory.getLogger(GeoLocator.class);

    private final GeoLocatorConfig config;
    private final LongAdder lookups = new LongAdder();
    private final LongAdder lookupErrors = new LongAdder();
    private volatile GeoIpDatabase current;
    // Written under the lock only; volatile so that stats() reads them without it.
    private volatile long reloads;
    private volatile long rejectedReloads;
    private FileStamp lastSeen;
    private volatile Runnable reloadListener = () -> {};
    private ScheduledFuture<?> watch;
    private boolean closed;

    private GeoLocator(GeoLocatorConfig config, GeoIpDatabase database) {
        this.config = config;
        this.current = database;
        this.lastSeen = database.stamp;
    }

    /**
     * Opens the database named by {@code config}, memory-mapped, and checks it (see {@link
     * #reloadIfChanged()} for the checks).
     *
     * @param config the database path and reload interval
     * @return a locator answering from that database
     * @throws IOException when the file is missing, is no MaxMind DB, is neither a City nor a
     *     Country database, or fails a test lookup; the message names the path
     */
    public static GeoLocator open(GeoLocatorConfig config) throws IOException {
        return new GeoLocator(config, GeoIpDatabase.open(config.database()));
    }

    /**
     * Returns where {@code address} is, read from the database.
     *
     * <p>Never throws and never blocks. An IPv4-mapped IPv6 address ({@code ::ffff:a.b.c.d}) is
     * located as the IPv4 address, with an IPv4 prefix length. Call it before {@link #close()}:
     * afterwards it answers {@code null}.
     *
     * @param address an IPv4 or IPv6 address, not {@code null}
     * @return the location, or {@code null} when the database has none: private, loopback,
     *     reserved and unallocated space, addresses it does not list, and failed lookups
     */
    public Location locate(InetAddress address) {
        return locate(address.getAddress(), address);
    }

    /**
     * As {@link #locate(InetAddress)}, for the raw bytes of an address (4 for IPv4, 16 for IPv6).
     *
     * @param address 4 or 16 bytes, not modified
     * @throws IllegalArgumentException for any other length
     */
    public Location locate(byte[] address) {
        if (address.length != 4 && address.length != 16) {
            throw new IllegalArgumentException("address: " + address.length + " bytes (expected: 4 or 16)");
        }
        return locate(address, null);
    }

    /** {@code inet} is {@code bytes} as an InetAddress when the caller has one, else null. */
    private Location locate(byte[] bytes, InetAddress inet) {
        GeoIpDatabase database = current;
        lookups.increment();
        try {
            // ::ffff:a.b.c.d is asked as a.b.c.d so that the network prefix comes back in IPv4 terms
            // (InetAddress.getByAddress turns those 16 bytes into an Inet4Address).
            boolean mapped = bytes.length == 16 && isIpv4Mapped(bytes);
            return database.resolve(
                    mapped
                            ? InetAddress.getByAddress(Arrays.copyOfRange(bytes, 12, 16))
                            : inet != null ? inet : InetAddress.getByAddress(bytes));
        } catch (IOException | RuntimeException e) {
            lookupErrors.increment();
            if (database.firstLookupError()) {
                LOG.warn(
                        "GeoIP database {}: lookup of {} failed, answering no location"
                                + " (logged once per database file)",
                        database.info.path(),
                        inet != null ? inet : Arrays.toString(bytes),
                        e);
            }
            return null;
        }
    }

    private static boolean isIpv4Mapped(byte[] b) {
        for (int i = 0; i < 10; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return b[10] == (byte) 0xFF && b[11] == (byte) 0xFF;
    }

    /**
     * Walks the current database once and maps every address to a class of {@code classify}, with
     * adjacent networks of one class merged (see {@link NetworkTable}). {@code classify} is called
     * once per distinct database record, with its location (the prefix length is that of the first
     * network holding it: a classifier must not depend on it) or with {@code null} for addresses the
     * database does not place. With GeoLite2 City: about 196,000 records, 3.5 million networks,
     * 1-2 s (BENCHMARKS.md "Geo table"). Runs on the calling thread; lookups go on meanwhile.
     *
     * @param classify a location to a class id, 0..{@link NetworkTable#MAX_CLASSES} - 1; the same
     *     location must always give the same id
     * @return the table, immutable
     * @throws IOException when the file cannot be read or its tree is damaged
     */
    public NetworkTable buildTable(java.util.function.ToIntFunction<Location> classify) throws IOException {
        return TableBuilder.build(current, classify);
    }

    /**
     * Runs {@code listener} after every replacement of the database that {@link #reloadIfChanged()}
     * loads, on the thread that loaded it (the watcher's), after {@link #locate} answers from the
     * new file; replaces any earlier listener. An exception it throws is logged.
     */
    public void onReload(Runnable listener) {
        this.reloadListener = listener;
    }

    /**
     * Checks whether the database file was replaced and, if so, loads the new one.
     *
     * <p>The file counts as replaced when its inode, modification time or size differ from the last
     * check. The new file is opened memory-mapped beside the old one and must be a MaxMind DB of
     * type City or Country that answers a test lookup for each address family it holds; only then it
     * replaces the old database, atomically for {@link #locate}, and the reload listener runs. A file that
     * fails is logged and not tried again until it changes. Safe to call from any thread; does
     * nothing once closed. Replace the file by rename (as {@code geoipupdate} does), never by
     * writing into it: the old database is mapped into memory.
     *
     * @return what the check did
     */
    public synchronized ReloadResult reloadIfChanged() {
        if (closed) {
            return ReloadResult.UNCHANGED;
        }
        Path path = config.database();
        GeoIpDatabase old = current;
        FileStamp stamp;
        try {
            stamp = FileStamp.read(path);
        } catch (IOException e) {
            if (lastSeen.equals(FileStamp.MISSING)) {
                return ReloadResult.UNCHANGED;
            }
            lastSeen = FileStamp.MISSING;
            rejectedReloads++;
            LOG.warn(
                    "GeoIP database {}: cannot read the file ({}); still answering from the {} built {}",
                    path,
                    e.toString(),
                    old.info.type(),
                    old.info.buildDate());
            return ReloadResult.REJECTED;
        }
        if (stamp.equals(lastSeen)) {
            return ReloadResult.UNCHANGED;
        }
        GeoIpDatabase next;
        try {
            next = GeoIpDatabase.open(path);
        } catch (IOException e) {
            lastSeen = stamp;
            rejectedReloads++;
            LOG.error(
                    "{}; rejected the replacement, still answering from the {} built {}",
                    e.getMessage(),
                    old.info.type(),
                    old.info.buildDate());
            return ReloadResult.REJECTED;
        }
        lastSeen = next.stamp;
        current = next;
        reloads++;
        LOG.info(
                "GeoIP database {} reloaded: {} built {} (replaces the {} built {})",
                path,
                next.info.type(),
                next.info.buildDate(),
                old.info.type(),
                old.info.buildDate());
        try {
            reloadListener.run();
        } catch (RuntimeException e) {
            LOG.error("GeoIP database {}: the reload listener failed", path, e);
        }
        return ReloadResult.RELOADED;
    }

    /**
     * Runs {@link #reloadIfChanged()} on {@code scheduler} every {@link
     * GeoLocatorConfig#reloadInterval()}, until {@link #close()}. The scheduler stays the caller's
     * to shut down; one thread is plenty.
     *
     * @param scheduler runs the periodic checks; lookups never wait for it
     * @throws IllegalStateException when already watching or closed
     */
    public synchronized void startWatching(ScheduledExecutorService scheduler) {
        if (closed) {
            throw new IllegalStateException("GeoIP database " + config.database() + ": cannot watch a closed locator");
        }
        if (watch != null) {
            throw new IllegalStateException(
                    "GeoIP database " + config.database() + ": already watched for replacements");
        }
        long interval = config.reloadInterval().toNanos();
        watch = scheduler.scheduleWithFixedDelay(this::checkForReplacement, interval, interval, TimeUnit.NANOSECONDS);
    }

    private void checkForReplacement() {
        // An exception escaping a periodic task would silently end the schedule.
        try {
            reloadIfChanged();
        } catch (RuntimeException e) {
            LOG.error("GeoIP database {}: reload check failed", config.database(), e);
        }
    }

    /** Returns which database answers now. */
    public DatabaseInfo database() {
        return current.info;
    }

    /** Returns the counters since {@link #open}; cheap enough for every metrics scrape. */
    public GeoLocatorStats stats() {
        return new GeoLocatorStats(lookups.sum(), lookupErrors.sum(), reloads, rejectedReloads);
    }

    /** Stops watching the file and closes the database, after the last lookup. Idempotent. */
    @Override
    public synchronized void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        if (watch != null) {
            watch.cancel(false);
        }
        current.reader.close();
    }
}
