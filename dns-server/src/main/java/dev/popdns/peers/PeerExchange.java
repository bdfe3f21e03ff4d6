package dev.popdns.peers;

import dev.popdns.config.PeersConfig;
import dev.popdns.health.HealthAgreement;
import dev.popdns.health.HealthConfig;
import dev.popdns.health.HealthEvent;
import dev.popdns.health.HealthListener;
import dev.popdns.health.HealthMonitor;
import dev.popdns.health.HealthView;
import dev.popdns.health.OverrideEvent;
import dev.popdns.health.PeerView;
import dev.popdns.health.TrustStores;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gathers every peer's view and keeps the agreed health (issue: "a set of nameservers that
 * agree"): once per probe interval (the shortest check interval) it pulls {@code GET
 * /api/v1/health} from every peer, applies the override events those views carry to the own
 * monitor (the newest per PoP wins), and recomputes the {@link HealthAgreement} on every own
 * view and every received view. Routing reads {@link #agreedFor}.
 *
 * <p><b>Threads.</b> One platform timer thread ({@code popdns-peers}) fires the rounds; each
 * pull runs on a virtual thread of its own with a timeout (the interval, clamped to 1..5 s), at
 * most one per peer at a time, so a peer that hangs costs one parked virtual thread and never a
 * DNS thread. Agreements are computed under this object's lock and published through one
 * volatile reference; the lock is never held while calling the monitor, whose listener calls
 * back in here (lock order: monitor, then exchange).
 *
 * <p><b>Logging.</b> Each change of an agreed state, each peer that becomes unreachable or
 * reachable, and each start and end of deciding alone is logged once and added to the timeline.
 */
public final class PeerExchange implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PeerExchange.class);
    private static final Duration MIN_TIMEOUT = Duration.ofSeconds(1);
    private static final Duration MAX_TIMEOUT = Duration.ofSeconds(5);

    private final PeersConfig config;
    private final HealthAgreement.Settings settings;
    private final BiConsumer<String, String> timeline;
    private final Clock clock;
    private final HttpClient client;
    private final Map<String, Peer> peers = new LinkedHashMap<>();
    private final ScheduledExecutorService timer;
    private final HealthListener listener = this::onOwnView;
    private ScheduledFuture<?> rounds;
    private Duration interval;
    private volatile Attached attached;
    private volatile boolean closed;
    // Guarded by this:
    private HealthAgreement.Agreement previousAgreement;

    /** The agreement of one monitor's views; routing of that monitor reads {@link #agreed}. */
    private record Attached(HealthMonitor monitor, String digest, HealthAgreement.Agreement agreement) {}

    /** What this node knows of one peer; fields written by its pull thread, read anywhere. */
    static final class Peer {
        final PeersConfig.Node node;
        final AtomicBoolean inFlight = new AtomicBoolean();
        final AtomicLong bytes = new AtomicLong();
        final AtomicLong pulls = new AtomicLong();
        volatile HealthAgreement.Received latest;
        volatile boolean reachable;
        volatile boolean everTried;
        volatile String lastError;

        Peer(PeersConfig.Node node) {
            this.node = node;
        }
    }

    /**
     * A peer as the status page and metrics show it.
     *
     * @param reachable whether its latest pull succeeded
     * @param viewAge how long ago its latest view arrived, if any
     * @param lastError why its latest pull failed, if it did
     * @param bytes body bytes received from it so far
     * @param pulls pulls made so far
     */
    public record PeerStatus(
            String id,
            URI url,
            boolean voteOnly,
            boolean reachable,
            Optional<Duration> viewAge,
            Optional<String> lastError,
            long bytes,
            long pulls) {}

    /** @param timeline receives (kind, text) entries for the status page's timeline */
    public PeerExchange(PeersConfig config, BiConsumer<String, String> timeline, Clock clock) {
        this.config = config;
        this.settings = config.agreement();
        this.timeline = timeline;
        this.clock = clock;
        for (PeersConfig.Node node : config.peers()) {
            peers.put(node.id(), new Peer(node));
        }
        HttpClient.Builder builder = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(MAX_TIMEOUT)
                .executor(Executors.newVirtualThreadPerTaskExecutor());
        if (config.caFile() != null) {
            builder.sslContext(TrustStores.fromPemFile(config.caFile()));
        }
        this.client = builder.build();
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "popdns-peers");
            t.setDaemon(true);
            return t;
        });
    }

    /** This node's id. */
    public String self() {
        return config.self();
    }

    /** The configuration. */
    public PeersConfig config() {
        return config;
    }

    /**
     * Follows {@code monitor} (the first, or one that replaced another after a reload): its views
     * vote as this node's, its routing reads the agreement, and received override events are
     * applied to it. Computes the first agreement before returning; pulls at the shortest
     * interval of {@code health}. The first call also runs one round of pulls and waits for it
     * (at most the timeout), so a node that starts among running peers agrees from its first
     * answer.
     */
    public void use(HealthMonitor monitor, HealthConfig health) throws InterruptedException {
        Attached previous = attached;
        if (previous != null) {
            previous.monitor().removeListener(listener);
        }
        String digest = health.checksDigest();
        synchronized (this) {
            attached = new Attached(monitor, digest, null);
            recompute(monitor.view());
        }
        monitor.addListener(listener);
        Duration next = health.shortestInterval();
        if (!next.equals(interval)) {
            interval = next;
            if (rounds != null) {
                rounds.cancel(false);
            }
            if (previous == null) {
                round(true);
            }
            rounds = timer.scheduleAtFixedRate(
                    () -> round(false), interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
            LOG.info(
                    "peers: {} of {} node(s) as {}, pulling every {}, down-quorum {} ({} view(s)), stale after {}",
                    peers.size(),
                    config.nodes().size(),
                    config.self(),
                    dev.popdns.health.Durations.format(interval),
                    settings.downQuorum(),
                    settings.required(),
                    dev.popdns.health.Durations.format(settings.staleAfter()));
        }
    }

    /**
     * The agreed view routing of {@code monitor} reads: the latest agreement computed from that
     * monitor's views, or the monitor's own view while none is (a reload in progress). One
     * volatile read; allocates nothing.
     */
    public HealthView agreedFor(HealthMonitor monitor) {
        Attached now = attached;
        if (now == null || now.monitor() != monitor || now.agreement() == null) {
            return monitor.view();
        }
        return now.agreement().agreed();
    }

    /** The latest agreement, or null before the first monitor. */
    public HealthAgreement.Agreement agreement() {
        Attached now = attached;
        return now == null ? null : now.agreement();
    }

    /** The view this node shares with its peers now, or null before the first monitor. */
    public PeerView ownView() {
        Attached now = attached;
        if (now == null) {
            return null;
        }
        return PeerView.of(config.self(), now.digest(), now.monitor().view(), clock.instant());
    }

    /** Whether this node is a standalone prober. */
    public boolean voteOnly() {
        return config.selfNode().voteOnly();
    }

    /** Every peer, in configuration order. */
    public List<PeerStatus> peers() {
        Instant now = clock.instant();
        List<PeerStatus> out = new ArrayList<>();
        for (Peer peer : peers.values()) {
            HealthAgreement.Received latest = peer.latest;
            out.add(new PeerStatus(
                    peer.node.id(),
                    peer.node.url(),
                    peer.node.voteOnly(),
                    peer.reachable,
                    latest == null ? Optional.empty() : Optional.of(Duration.between(latest.receivedAt(), now)),
                    Optional.ofNullable(peer.lastError),
                    peer.bytes.get(),
                    peer.pulls.get()));
        }
        return out;
    }

    /**
     * A new own view: recomputed at once when a state, an override or the cut-off alarm changed
     * (what routing reads); a view that only records another probe result waits for the next
     * round or received view, so the agreement costs O(pairs x nodes) per interval, not per probe.
     */
    private void onOwnView(HealthView view, List<HealthEvent> events) {
        boolean changed = false;
        for (HealthEvent event : events) {
            changed |= !(event instanceof HealthEvent.ProbeCompleted);
        }
        if (!changed) {
            return;
        }
        synchronized (this) {
            Attached now = attached;
            if (now != null && view == now.monitor().view()) {
                recompute(view);
            }
        }
    }

    /** One round: a pull from every peer not still busy, then a recompute (views may have gone stale). */
    private void round(boolean wait) {
        if (closed) {
            return;
        }
        List<Thread> started = new ArrayList<>();
        CountDownLatch done = new CountDownLatch(peers.size());
        for (Peer peer : peers.values()) {
            if (!peer.inFlight.compareAndSet(false, true)) {
                done.countDown();
                continue;
            }
            started.add(Thread.ofVirtual().name("popdns-peer-" + peer.node.id()).start(() -> {
                try {
                    pull(peer);
                } finally {
                    peer.inFlight.set(false);
                    done.countDown();
                }
            }));
        }
        if (wait) {
            try {
                done.await(timeout().toMillis() + 500, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        Attached now = attached;
        if (now != null) {
            synchronized (this) {
                recompute(now.monitor().view());
            }
        }
    }

    private Duration timeout() {
        Duration t = interval == null ? MIN_TIMEOUT : interval;
        return t.compareTo(MIN_TIMEOUT) < 0 ? MIN_TIMEOUT : t.compareTo(MAX_TIMEOUT) > 0 ? MAX_TIMEOUT : t;
    }

    /** Pulls one peer's view; on a pull thread. */
    private void pull(Peer peer) {
        HttpRequest.Builder request = HttpRequest.newBuilder(peer.node.url().resolve("/api/v1/health"))
                .timeout(timeout())
                .header("Accept", "application/json")
                .GET();
        if (config.token() != null) {
            request.header("Authorization", "Bearer " + config.token());
        }
        peer.pulls.incrementAndGet();
        String error;
        try {
            HttpResponse<String> response =
                    client.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            peer.bytes.addAndGet(response.body().length());
            if (response.statusCode() != 200) {
                error = "HTTP " + response.statusCode() + " (expected: 200)";
            } else {
                PeerView view = PeerViewJson.read(response.body());
                if (!view.node().equals(peer.node.id())) {
                    error = "answered as '" + view.node() + "' (expected: '" + peer.node.id() + "')";
                } else {
                    received(peer, view);
                    return;
                }
            }
        } catch (IOException e) {
            error = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
        } catch (IllegalArgumentException e) {
            error = "malformed view: " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        if (peer.reachable || !peer.everTried) {
            LOG.warn("peers: {} unreachable: {}", peer.node.id(), error);
            timeline.accept("peer", peer.node.id() + " unreachable: " + error);
        }
        peer.everTried = true;
        peer.reachable = false;
        peer.lastError = error;
    }

    /** A view arrived: keep it, apply newer override events, recompute. */
    private void received(Peer peer, PeerView view) {
        if (!peer.reachable) {
            LOG.info("peers: {} reachable", peer.node.id());
            if (peer.everTried) {
                timeline.accept("peer", peer.node.id() + " reachable again");
            }
        }
        peer.everTried = true;
        peer.reachable = true;
        peer.lastError = null;
        peer.latest = new HealthAgreement.Received(view, clock.instant());
        Attached now = attached;
        if (now == null || closed) {
            return;
        }
        HealthView own = now.monitor().view();
        for (PeerView.PopView pop : view.pops()) {
            OverrideEvent event = pop.override().orElse(null);
            int index = own.indexOf(pop.pop());
            if (event == null || index < 0) {
                continue;
            }
            Optional<OverrideEvent> mine = own.overrideEvent(index);
            if (mine.isEmpty() || event.newerThan(mine.get())) {
                try {
                    now.monitor().apply(event);
                } catch (IllegalStateException e) {
                    return; // the monitor was replaced and closed meanwhile
                }
            }
        }
        synchronized (this) {
            recompute(now.monitor().view());
        }
    }

    /** Recomputes the agreement from {@code own}; under this object's lock. */
    private void recompute(HealthView own) {
        Attached now = attached;
        if (now == null) {
            return;
        }
        Map<String, Optional<HealthAgreement.Received>> views = new LinkedHashMap<>();
        for (Peer peer : peers.values()) {
            views.put(peer.node.id(), Optional.ofNullable(peer.latest));
        }
        HealthAgreement.Agreement previous = previousAgreement;
        HealthAgreement.Agreement next =
                HealthAgreement.decide(settings, own, now.digest(), views, previous, clock.instant());
        attached = new Attached(now.monitor(), now.digest(), next);
        previousAgreement = next;
        if (previous == null || previous.decidingAlone() != next.decidingAlone()) {
            if (next.decidingAlone()) {
                String text = "deciding alone: " + next.voting() + " of "
                        + config.nodes().size() + " views voting, down-quorum needs " + next.required() + " ("
                        + standings(next) + ")";
                LOG.warn("peers: {}", text);
                timeline.accept("agreement", text);
            } else if (previous != null) {
                String text = "agreeing again: " + next.voting() + " views voting (" + standings(next) + ")";
                LOG.info("peers: {}", text);
                timeline.accept("agreement", text);
            }
        }
        for (HealthAgreement.Change change : next.changes()) {
            String text = change.pop() + " " + change.check() + ": agreed " + change.from() + " -> " + change.to()
                    + " (" + change.reason() + ")";
            LOG.warn("peers: {}", text);
            timeline.accept("agreed", text);
        }
    }

    private static String standings(HealthAgreement.Agreement agreement) {
        StringBuilder text = new StringBuilder();
        for (HealthAgreement.Voter voter : agreement.voters()) {
            text.append(text.isEmpty() ? "" : ", ")
                    .append(voter.node())
                    .append(' ')
                    .append(voter.standing()
                            .name()
                            .toLowerCase(java.util.Locale.ROOT)
                            .replace('_', ' '));
        }
        return text.toString();
    }

    @Override
    public void close() {
        closed = true;
        timer.shutdownNow();
        Attached now = attached;
        if (now != null) {
            now.monitor().removeListener(listener);
        }
        client.shutdownNow();
    }
}
