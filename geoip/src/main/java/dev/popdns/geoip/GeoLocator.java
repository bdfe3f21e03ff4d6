package dev.popdns.geoip;

import java.io.Closeable;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.InetAddress;
import java.nio.ByteOrder;
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
     * Threads. locate() runs on the query threads: it reads the current GeoIpDatabase through one
     * volatile field, takes no lock of its own and never blocks. A hit allocates only the address
     * bytes; a miss decodes a record from the memory-mapped file (page faults at worst, no system
     * calls) and writes one cache slot (NetworkCache).
     * reloadIfChanged() runs on the watcher's thread or a caller's, under this object's lock: it
     * opens and checks the new file beside the old one and publishes it with one volatile write.
     * The replaced reader is not closed: a memory-mapped reader holds no file descriptor, the GC
     * unmaps it once no lookup uses it, and closing it could fail a lookup still in flight.
     *
     * Cache. An answer holds for its whole database network, whose prefix is known only after the
     * lookup. So each answer is cached under its address masked to the coarsest tier that fits
     * inside its network; the tiers are /16, /24, /32 for IPv4 and /32, /48, /64, /128 for IPv6. A
     * lookup probes its own address's keys from coarse to fine, and any entry it finds is valid for
     * it: a /12 network fills one entry per /16 that queries come from, a /20 one per /24, a /26 one
     * per address. Unknown addresses are cached per address, as the database does not say how far an
     * empty answer reaches. Each database has its own cache, so a reload starts empty and never mixes
     * answers of two files.
     *
     * Failure. A lookup that fails counts in lookupErrors, logs once per file and answers null. A
     * replacement that fails its checks is logged and the old database keeps answering.
     */

    private static final Logger LOG = LoggerFactory.getLogger(GeoLocator.class);

    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle INTS = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);

    // IPv4 addresses are keyed as ::ffff:a.b.c.d; tiers are prefix lengths of that 128-bit form.
    private static final long IPV4_MAPPED = 0xFFFFL << 32;
    private static final int[] IPV4_TIERS = {96 + 16, 96 + 24, 96 + 32};
    private static final int[] IPV6_TIERS = {32, 48, 64, 128};

    private final GeoLocatorConfig config;
    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();
    private final LongAdder lookupErrors = new LongAdder();
    private volatile GeoIpDatabase current;
    // Written under the lock only; volatile so that stats() reads them without it.
    private volatile long reloads;
    private volatile long rejectedReloads;
    private FileStamp lastSeen;
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
     * @param config the database path, cache size and reload interval
     * @return a locator answering from that database
     * @throws IOException when the file is missing, is no MaxMind DB, is neither a City nor a
     *     Country database, or fails a test lookup; the message names the path
     */
    public static GeoLocator open(GeoLocatorConfig config) throws IOException {
        return new GeoLocator(config, GeoIpDatabase.open(config.database(), config.cacheSize()));
    }

    /**
     * Returns where {@code address} is, from the cache or else the database.
     *
     * <p>Never throws and never blocks. An IPv4-mapped IPv6 address ({@code ::ffff:a.b.c.d}) is
     * located as the IPv4 address, with an IPv4 prefix length. Call it before {@link #close()}:
     * afterwards it answers from the cache or else {@code null}.
     *
     * @param address an IPv4 or IPv6 address, not {@code null}
     * @return the location, or {@code null} when the database has none: private, loopback,
     *     reserved and unallocated space, addresses it does not list, and failed lookups
     */
    public Location locate(InetAddress address) {
        return locate(address.getAddress(), address);
    }

    /**
     * As {@link #locate(InetAddress)}, for the raw bytes of an address (4 for IPv4, 16 for IPv6), as
     * they come out of a DNS packet: a cache hit then allocates nothing.
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
        long high;
        long low;
        boolean ipv4;
        if (bytes.length == 4) {
            high = 0;
            low = IPV4_MAPPED | ((int) INTS.get(bytes, 0) & 0xFFFF_FFFFL);
            ipv4 = true;
        } else {
            high = (long) LONGS.get(bytes, 0);
            low = (long) LONGS.get(bytes, 8);
            ipv4 = high == 0 && (low >>> 32) == 0xFFFFL;
        }
        int[] tiers = ipv4 ? IPV4_TIERS : IPV6_TIERS;
        NetworkCache cache = database.cache;
        for (int tier : tiers) {
            Object cached = cache.get(NetworkCache.maskHigh(high, tier), NetworkCache.maskLow(low, tier), tier);
            if (cached != NetworkCache.MISS) {
                hits.increment();
                return (Location) cached;
            }
        }
        misses.increment();
        Location location;
        try {
            // ::ffff:a.b.c.d is asked as a.b.c.d so that the network prefix comes back in IPv4 terms.
            InetAddress query = ipv4 && bytes.length == 16
                    ? InetAddress.getByAddress(Arrays.copyOfRange(bytes, 12, 16))
                    : inet != null ? inet : InetAddress.getByAddress(bytes);
            location = database.resolve(query);
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
        int prefix = location == null ? 128 : location.networkPrefixLength() + (ipv4 ? 96 : 0);
        int tier = tiers[tiers.length - 1];
        for (int candidate : tiers) {
            if (candidate >= prefix) {
                tier = candidate;
                break;
            }
        }
        cache.put(NetworkCache.maskHigh(high, tier), NetworkCache.maskLow(low, tier), tier, location);
        return location;
    }

    /**
     * Checks whether the database file was replaced and, if so, loads the new one.
     *
     * <p>The file counts as replaced when its inode, modification time or size differ from the last
     * check. The new file is opened memory-mapped beside the old one and must be a MaxMind DB of
     * type City or Country that answers a test lookup for each address family it holds; only then it
     * replaces the old database, atomically for {@link #locate}, with an empty cache. A file that
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
            next = GeoIpDatabase.open(path, config.cacheSize());
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
        return new GeoLocatorStats(
                hits.sum(), misses.sum(), lookupErrors.sum(), reloads, rejectedReloads, current.cache.size());
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
