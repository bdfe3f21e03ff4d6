package dev.popdns.server;

import dev.popdns.routing.ClientRankings;
import dev.popdns.routing.Eligibility;
import dev.popdns.routing.RoutingTable;
import dev.popdns.served.Served;
import dev.popdns.status.Timeline;
import dev.popdns.wire.Snapshot;
import dev.popdns.zone.Zone;
import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reloads the zones directory when a file in it changes or when asked (SIGHUP, admin call):
 * loads and validates beside the served snapshot and swaps only when all of it is valid.
 *
 * <p>Threads: {@code zone-watch} waits on the directory's watch service and {@code zone-reload}
 * runs every reload, so reloads never overlap and never run on a query thread. Both block until
 * there is something to do: an idle server wakes neither (a timed poll for requests woke the
 * reload thread 4 times a second; BENCHMARKS.md "Idle (issue 12)"). Bursts of file events (an
 * editor's write-then-rename, a git checkout) are merged: the reload is asked for once the
 * directory has been quiet for {@value #QUIET_MILLIS} ms. Requests that arrive while a reload waits
 * to start are that reload: it reads the files as they are when it starts.
 */
public final class ZoneReloader implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ZoneReloader.class);
    private static final long QUIET_MILLIS = 300;

    private final Path dir;
    private final Snapshot.Holder snapshots;
    private final WatchService watcher;
    private final Thread watch;
    private final ExecutorService reloads;
    /** A reload is queued and has not started yet. */
    private final AtomicBoolean pending = new AtomicBoolean();

    private final AtomicLong succeeded = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final boolean geoAvailable;
    private final Consumer<Served> listener;
    private final HealthSwitch health;
    private final RankingsBuilder rankings;
    private final Timeline timeline;
    private volatile String lastReload = "none yet";
    private volatile boolean closed;

    /**
     * @param geoAvailable whether the server has a GeoIP database (geo names need one)
     * @param health       gives the eligibility for a loaded config (may start new probes)
     * @param rankings     builds the client rankings for a loaded routing table
     * @param listener     told of every accepted reload after the swap, on the reload thread
     */
    public ZoneReloader(
            Path dir,
            Snapshot.Holder snapshots,
            boolean geoAvailable,
            HealthSwitch health,
            RankingsBuilder rankings,
            Consumer<Served> listener,
            Timeline timeline)
            throws IOException {
        this.rankings = rankings;
        this.timeline = timeline;
        this.dir = dir;
        this.snapshots = snapshots;
        this.geoAvailable = geoAvailable;
        this.health = health;
        this.listener = listener;
        this.watcher = FileSystems.getDefault().newWatchService();
        dir.register(
                watcher,
                StandardWatchEventKinds.ENTRY_CREATE,
                StandardWatchEventKinds.ENTRY_MODIFY,
                StandardWatchEventKinds.ENTRY_DELETE);
        this.watch = new Thread(this::watch, "zone-watch");
        this.watch.setDaemon(true);
        this.reloads = Executors.newSingleThreadExecutor(task -> {
            Thread thread = new Thread(task, "zone-reload");
            thread.setDaemon(true);
            return thread;
        });
    }

    public void start() {
        watch.start();
    }

    /** Who may serve under a newly loaded config; runs on the reload thread before the swap. */
    @FunctionalInterface
    public interface HealthSwitch {
        Eligibility prepare(Served loaded) throws Served.Invalid;
    }

    /** The client rankings for a loaded routing table; runs on the reload thread before the swap. */
    @FunctionalInterface
    public interface RankingsBuilder {
        ClientRankings build(RoutingTable routing) throws IOException;
    }

    /** Asks for a reload (SIGHUP, admin); it runs on the reload thread at once, or after the one running. */
    public void requestReload(String why) {
        LOG.info("reload: requested by {}", why);
        submit("request (" + why + ")");
    }

    /** The outcome of the last reload, with its errors, for the status page. */
    public String lastReload() {
        return lastReload;
    }

    public long succeeded() {
        return succeeded.get();
    }

    public long failed() {
        return failed.get();
    }

    /** Queues a reload unless one is queued and not started yet (that one will read the files). */
    private void submit(String cause) {
        if (closed || !pending.compareAndSet(false, true)) {
            return;
        }
        try {
            reloads.execute(() -> {
                pending.set(false);
                reload(cause);
            });
        } catch (RejectedExecutionException e) {
            pending.set(false); // closing
        }
    }

    /** The watch thread: blocks until the directory changes; ends when the watch service closes. */
    private void watch() {
        try {
            while (!closed) {
                drain(watcher.take());
                // let a burst of writes settle before reading the files
                WatchKey more;
                while ((more = watcher.poll(QUIET_MILLIS, TimeUnit.MILLISECONDS)) != null) {
                    drain(more);
                }
                submit("a change in " + dir);
            }
        } catch (InterruptedException | ClosedWatchServiceException e) {
            // closed
        }
    }

    private static void drain(WatchKey key) {
        key.pollEvents();
        key.reset();
    }

    /** Loads the directory; swaps it in when valid, else logs every problem and keeps serving. */
    void reload(String cause) {
        try {
            Served loaded = Served.load(dir, snapshots.current().zones());
            if (loaded.routing().hasGeoNames() && !geoAvailable) {
                throw new Served.Invalid(List.of(dir.resolve("pops.yaml") + ": declares geo names, but the server "
                        + "started without a GeoIP database (restart it with --geoip FILE)"));
            }
            // built beside the served snapshot, which answers meanwhile; under the holder's monitor
            // so that a GeoIP reload cannot swap rankings for the replaced routing table
            synchronized (snapshots) {
                ClientRankings built;
                try {
                    built = rankings.build(loaded.routing());
                } catch (IOException e) {
                    throw new Served.Invalid(List.of("GeoIP client table: " + e.getMessage()));
                }
                snapshots.swap(loaded.zones(), loaded.routing(), built, health.prepare(loaded));
            }
            StringBuilder serials = new StringBuilder();
            for (Zone zone : loaded.zones().zones()) {
                serials.append(' ').append(zone.origin()).append('=').append(zone.serial());
            }
            // text and timeline before the count: whoever sees the count (status API, tests) sees them too
            lastReload = "ok after " + cause + ": serials" + serials;
            timeline.add("reload", lastReload);
            succeeded.incrementAndGet();
            LOG.info(
                    "reload: ok after {}: {} zone(s), serials{}; {} PoP(s), {} geo name(s)",
                    cause,
                    loaded.zones().size(),
                    serials,
                    loaded.routing().pops().size(),
                    loaded.routing().names().size());
            listener.accept(loaded);
        } catch (Served.Invalid e) {
            lastReload = "rejected after " + cause + ", still serving the previous zones: "
                    + String.join("; ", e.problems());
            timeline.add("reload", lastReload);
            failed.incrementAndGet();
            LOG.error(
                    "reload: rejected after {}; still serving the previous zones. {} problem(s):",
                    cause,
                    e.problems().size());
            for (String p : e.problems()) {
                LOG.error("  {}", p);
            }
        } catch (RuntimeException e) {
            failed.incrementAndGet();
            LOG.error("reload: failed after {}; still serving the previous zones", cause, e);
        }
    }

    @Override
    public void close() throws IOException {
        closed = true;
        watcher.close();
        // interrupts a reload in progress (its first probe round gives up), as a stop should
        reloads.shutdownNow();
    }
}
