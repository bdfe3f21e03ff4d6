package dev.popdns.server;

import dev.popdns.config.ConfigLoader;
import dev.popdns.config.ServerConfig;
import dev.popdns.geoip.GeoLocator;
import dev.popdns.geoip.GeoLocatorConfig;
import dev.popdns.health.CheckConfig;
import dev.popdns.health.CheckHealth;
import dev.popdns.health.HealthConfig;
import dev.popdns.health.HealthMonitor;
import dev.popdns.health.HealthView;
import dev.popdns.health.OverrideEvent;
import dev.popdns.health.PopHealth;
import dev.popdns.health.PopTarget;
import dev.popdns.metrics.Metrics;
import dev.popdns.peers.PeerExchange;
import dev.popdns.peers.PeerMetrics;
import dev.popdns.routing.ClientRankings;
import dev.popdns.routing.DrainSchedule;
import dev.popdns.routing.Eligibility;
import dev.popdns.routing.GeoName;
import dev.popdns.routing.HealthEligibility;
import dev.popdns.routing.RoutingTable;
import dev.popdns.served.Served;
import dev.popdns.status.AdminToken;
import dev.popdns.status.HttpServer;
import dev.popdns.status.PeerApi;
import dev.popdns.status.StatusApi;
import dev.popdns.status.StatusReport;
import dev.popdns.status.Timeline;
import dev.popdns.status.TlsFiles;
import dev.popdns.wire.Answerer;
import dev.popdns.wire.ClientLocator;
import dev.popdns.wire.Cookies;
import dev.popdns.wire.DnsTransport;
import dev.popdns.wire.QueryHandler;
import dev.popdns.wire.RateLimiter;
import dev.popdns.wire.ServerIdentity;
import dev.popdns.wire.Snapshot;
import dev.popdns.zone.Zone;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Instant;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A running popdns: zones, DNS sockets, the reloader and the HTTP side, started in that order. */
public final class Server implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Server.class);

    private final ServerConfig config;
    private final Instant started = Instant.now();
    private DnsTransport transport;
    private ZoneReloader reloader;
    private HttpServer http;
    private HttpServer peerHttp;
    private PeerExchange peers;
    private PeerMetrics peerMetrics;
    private volatile String checksDigest;
    private Snapshot.Holder snapshots;
    private GeoLocator geo;
    private ScheduledExecutorService geoWatcher;
    private final Metrics metrics = new Metrics();
    private final Timeline timeline = new Timeline(Clock.systemUTC());
    private final DrainSchedule drains = new DrainSchedule(Clock.systemUTC());
    private volatile HealthMonitor monitor;
    private HealthConfig monitorConfig;
    private HealthMonitor retired;
    private volatile boolean ready;

    private final boolean dns;

    /** A nameserver: DNS, health and the HTTP side. */
    public Server(ServerConfig config) {
        this(config, true);
    }

    /**
     * @param dns false for a standalone prober ({@code popdns probe}): the health checker, the peer
     *     exchange and the HTTP side (health, status, metrics), with no DNS listener; it votes and
     *     answers no queries, and needs no GeoIP database
     */
    public Server(ServerConfig config, boolean dns) {
        this.config = config;
        this.dns = dns;
    }

    /**
     * Starts everything; logs one line per stage.
     *
     * @throws ZoneLoadException when the zones cannot be served (nothing is left running)
     */
    public void start() throws Served.Invalid, IOException, InterruptedException {
        LOG.info("start: popdns {} on Java {}", ConfigLoader.softwareVersion(), Runtime.version());
        Served served = loadZones();
        RoutingTable routing = served.routing();
        openGeoip(routing);
        if (!config.probes() && served.health() != null) {
            LOG.warn("health: probes are off (--no-probes): PoPs are eligible by their config state alone");
        }
        ClientRankings rankings = rankings(routing);
        if (config.peers() != null && config.probes()) {
            peers = new PeerExchange(config.peers(), timeline::add, Clock.systemUTC());
            peerMetrics = new PeerMetrics(peers, metrics.registry());
        }
        Eligibility eligibility = drains.over(prepareHealth(served));
        snapshots = new Snapshot.Holder(served.zones(), routing, rankings, eligibility, config.cacheSize());
        if (geo != null) {
            geo.onReload(this::rebuildRankings);
            geoWatcher = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "geoip-reload");
                t.setDaemon(true);
                return t;
            });
            geo.startWatching(geoWatcher);
        }
        ClientLocator locator = new ClientLocator();
        QueryHandler queries = queryHandler(locator);
        metrics.serving(
                served.zones(),
                routing,
                checked(served),
                () -> snapshots.current().zones());
        if (!dns && served.health() == null) {
            LOG.warn("probe: pops.yaml declares no checks: this prober has nothing to vote on");
        }
        bindDns(queries);
        startReloader(locator);
        startHttp();
        if (!dns) {
            LOG.info("probe: standalone prober, no DNS listener: it votes and answers no queries");
        }
        ready = true;
        LOG.info("ready");
    }

    /** The zones directory, loaded and validated; one log line per zone. */
    private Served loadZones() throws Served.Invalid {
        Served served = Served.load(config.zones(), null);
        for (Zone zone : served.zones().zones()) {
            LOG.info(
                    "zones: {} serial {} ({} RRsets) from {}",
                    zone.origin(),
                    zone.serial(),
                    zone.rrsetCount(),
                    zone.file());
        }
        return served;
    }

    /** Opens the GeoIP database; geo names without one are an error (not for a standalone prober). */
    private void openGeoip(RoutingTable routing) throws IOException, Served.Invalid {
        if (routing.hasGeoNames()) {
            LOG.info("routing: {} PoP(s), geo names {}", routing.pops().size(), geoNames(routing));
        }
        if (config.geoip() != null) {
            geo = GeoLocator.open(new GeoLocatorConfig(config.geoip(), GeoLocatorConfig.DEFAULT_RELOAD_INTERVAL));
            LOG.info(
                    "geoip: {} database {} built {}",
                    geo.database().type(),
                    geo.database().path(),
                    geo.database().buildDate());
        } else if (routing.hasGeoNames() && dns) {
            throw new Served.Invalid(
                    List.of(
                            config.zones().resolve("pops.yaml") + ": declares geo names " + geoNames(routing)
                                    + ", which need a GeoIP database: give --geoip FILE (a GeoLite2/GeoIP2 City or Country mmdb)"));
        }
    }

    /** The query pipeline over the snapshots, with the server's identity, cookies and rate limit. */
    private QueryHandler queryHandler(ClientLocator locator) throws IOException {
        byte[] nsid =
                config.nsid() && config.identity() != null ? config.identity().getBytes(StandardCharsets.UTF_8) : null;
        RateLimiter limiter = null;
        if (config.rateLimit().enabled()) {
            limiter = new RateLimiter(config.rateLimit(), System::nanoTime, new LimitLog());
            LOG.info(
                    "rate-limit: {} responses/s per /{} and /{} network and response class, slip {}, exempt {}",
                    config.rateLimit().responsesPerSecond(),
                    config.rateLimit().ipv4Prefix(),
                    config.rateLimit().ipv6Prefix(),
                    config.rateLimit().slip(),
                    config.rateLimit().exempt());
        } else {
            for (InetSocketAddress address : config.listen()) {
                if (!address.getAddress().isLoopbackAddress()) {
                    LOG.warn(
                            "rate-limit: off while listening on {}: popdns can be used to reflect and amplify"
                                    + " spoofed queries; set rate-limit.responses-per-second (50 is usual) in popdns.yaml",
                            format(address));
                    break;
                }
            }
        }
        return new QueryHandler(
                snapshots,
                new Answerer(new ServerIdentity(nsid, config.identity(), config.version())),
                locator,
                metrics.queries(),
                metrics,
                cookies(),
                limiter);
    }

    /** Binds UDP and TCP on every listen address (none for a standalone prober); logs what the kernel granted. */
    private void bindDns(QueryHandler queries) throws IOException, InterruptedException {
        transport = dns ? new DnsTransport(config.threads()) : null;
        DnsTransport.TcpSettings tcp = new DnsTransport.TcpSettings(
                config.tcpIdleTimeout(),
                config.tcpMaxConnections(),
                config.tcpMaxConnectionsPerClient(),
                config.tcpMaxInFlight());
        if (transport != null) {
            metrics.tcpConnections(transport, DnsTransport::tcpConnections);
        }
        for (InetSocketAddress address : dns ? config.listen() : List.<InetSocketAddress>of()) {
            int receiveBuffer = transport.bind(address, queries, tcp);
            LOG.info(
                    "dns: listening on udp+tcp {} ({} UDP sockets, a thread each, {}, UDP receive buffer {} KiB; TCP on"
                            + " {} {} event loops)",
                    format(address),
                    config.threads(),
                    transport.udpPath(),
                    receiveBuffer / 1024,
                    config.threads(),
                    transport.nativeTransport() ? "epoll" : "nio");
            if (receiveBuffer < DnsTransport.SOCKET_BUFFER) {
                LOG.warn(
                        "dns: the kernel granted a UDP receive buffer of {} KiB instead of {} KiB; bursts will be dropped"
                                + " sooner: raise it with sysctl net.core.rmem_max={}",
                        receiveBuffer / 1024,
                        DnsTransport.SOCKET_BUFFER / 1024,
                        DnsTransport.SOCKET_BUFFER);
            }
        }
    }

    /** Watches the zones directory; every accepted reload swaps the snapshot, health and metrics together. */
    private void startReloader(ClientLocator locator) throws IOException {
        reloader = new ZoneReloader(
                config.zones(),
                snapshots,
                geo != null || !dns,
                loaded -> {
                    Eligibility next = drains.over(prepareHealth(loaded));
                    // before the swap: the new table's answers count under its own labels from the first query
                    metrics.routing(loaded.routing());
                    return next;
                },
                this::rankings,
                loaded -> {
                    retireMonitor();
                    metrics.serving(
                            loaded.zones(),
                            loaded.routing(),
                            checked(loaded),
                            () -> snapshots.current().zones());
                },
                timeline);
        metrics.reloads(reloader, ZoneReloader::succeeded, ZoneReloader::failed);
        if (geo != null) {
            metrics.geoip(geo, locator, () -> snapshots.current().rankings());
        }
        reloader.start();
        LOG.info("reload: watching {} for changes; SIGHUP reloads too", config.zones());
    }

    /** The HTTP side (status page, API, metrics, admin and peer calls), and the peers-only listener. */
    private void startHttp() throws IOException, InterruptedException {
        http = new HttpServer();
        StatusReport report = new StatusReport(
                snapshots::current,
                () -> monitor,
                geo,
                timeline,
                new StatusReport.ServerFacts(
                        config.identity(),
                        ConfigLoader.softwareVersion(),
                        started,
                        () -> ready,
                        () -> new long[] {reloader.succeeded(), reloader.failed()},
                        reloader::lastReload),
                Clock.systemUTC(),
                peers,
                drains);
        StatusApi statusApi = new StatusApi(
                report,
                metrics,
                snapshots::current,
                () -> monitor,
                geo,
                () -> ready,
                () -> reloader.requestReload("admin API"),
                config.adminTokenFile() == null ? null : AdminToken.load(config.adminTokenFile()),
                config.adminFrom(),
                Clock.systemUTC(),
                drains,
                timeline);
        String peerToken = config.peers() == null ? null : config.peers().token();
        TlsFiles tls = config.httpTls() == null
                ? null
                : new TlsFiles(config.httpTls().cert(), config.httpTls().key(), Clock.systemUTC());
        String scheme = tls == null ? "http" : "https";
        // Host: names served besides the address a connection arrived on (DNS rebinding defence)
        Set<String> hosts = new HashSet<>(config.httpHosts());
        hosts.add("localhost");
        if (config.identity() != null) {
            hosts.add(config.identity());
        }
        if (config.peers() != null) {
            // the name the peers reach this node by (peers.nodes.SELF.url), as in https://ns1.hachyderm.io:8054
            hosts.add(config.peers().selfNode().url().getHost());
        }
        HttpServer.Settings limits = new HttpServer.Settings(
                HttpServer.Settings.DEFAULT_MAX_CONNECTIONS, HttpServer.Settings.DEFAULT_REQUEST_DEADLINE, hosts);
        http.start(config.http(), limits, peerApi(peerToken, statusApi), tls);
        if (config.peerListen() != null) {
            peerHttp = new HttpServer();
            peerHttp.start(config.peerListen(), limits, peerApi(peerToken, null), tls);
            LOG.info("http: peers only (/api/v1/health) on {}://{}/", scheme, format(config.peerListen()));
        }
        if (config.adminTokenFile() == null) {
            LOG.info("http: admin calls disabled (no admin-token-file)");
        }
        LOG.info("http: listening on {}://{}/", scheme, format(config.http()));
    }

    private PeerApi peerApi(String token, HttpServer.Handler next) {
        return new PeerApi(() -> monitor, () -> peers, selfId(), () -> checksDigest, token, next, Clock.systemUTC());
    }

    /** This node's id among its peers: {@code peers.self}, else the identity. */
    private String selfId() {
        if (config.peers() != null) {
            return config.peers().self();
        }
        return config.identity() == null ? "popdns" : config.identity();
    }

    /**
     * The client rankings for {@code routing} from the current GeoIP database: built by walking
     * the database (seconds), so only when a name is geo-routed; else every client is unknown.
     */
    private ClientRankings rankings(RoutingTable routing) throws IOException {
        if (geo == null || !routing.hasGeoNames()) {
            return ClientRankings.unlocated(routing);
        }
        ClientRankings built = ClientRankings.build(routing, geo);
        // The build read the whole mmdb file through a mapping of its own (60 MB resident for
        // GeoLite2 City until its buffer is collected) and left some 100 MB of garbage that would
        // keep the heap grown: one full collection gives both back (tens of ms, once per build).
        System.gc();
        LOG.info(
                "geoip: client table of {} networks in {} classes built in {} ms ({} KiB)",
                built.networks(),
                built.classes(),
                Math.round(built.buildSeconds() * 1000),
                built.bytes() / 1024);
        return built;
    }

    /** After a GeoIP reload, on its thread: new rankings for the served routing table. */
    private void rebuildRankings() {
        synchronized (snapshots) {
            try {
                snapshots.withRankings(rankings(snapshots.current().routing()));
            } catch (IOException | RuntimeException e) {
                LOG.error("geoip: building the client table failed; still answering from the previous one", e);
            }
        }
    }

    /**
     * Who may serve under {@code served}: the running monitor when the checks are unchanged, else
     * a new monitor after its first probe round (the old one is closed after the swap), or admin
     * state alone when no checks are declared.
     */
    private Eligibility prepareHealth(Served served) throws Served.Invalid {
        if (served.health() == null || !config.probes()) {
            retired = monitor;
            monitor = null;
            monitorConfig = null;
            return Eligibility.adminOnly();
        }
        if (monitor == null || !served.health().equals(monitorConfig)) {
            HealthMonitor.Builder builder =
                    HealthMonitor.builder(served.health()).node(selfId());
            if (monitor != null && monitorConfig != null) {
                // unchanged (PoP, check) pairs keep their state and streaks: a pull request that adds a
                // PoP or edits one check does not reset the judgement of every other pair
                builder.continueFrom(monitorConfig, monitor.view());
            }
            HealthMonitor next = builder.build();
            next.addListener(metrics);
            next.addListener(timeline);
            try {
                HealthView view = next.start();
                int up = 0;
                int total = 0;
                for (PopHealth pop : view.pops()) {
                    for (CheckHealth check : pop.checks()) {
                        total++;
                        up += check.up() ? 1 : 0;
                    }
                }
                LOG.info("health: first probe round done: {} of {} checks up", up, total);
            } catch (InterruptedException e) {
                next.close();
                Thread.currentThread().interrupt();
                throw new Served.Invalid(List.of("interrupted during the first probe round"));
            }
            carryOverrides(monitor, next);
            if (peers != null) {
                try {
                    peers.use(next, served.health());
                    peerMetrics.registerPairs();
                } catch (InterruptedException e) {
                    next.close();
                    Thread.currentThread().interrupt();
                    throw new Served.Invalid(List.of("interrupted during the first exchange with the peers"));
                }
            }
            retired = monitor;
            monitor = next;
            monitorConfig = served.health();
            checksDigest = served.health().checksDigest();
        }
        HealthMonitor current = monitor;
        PeerExchange exchange = peers;
        if (exchange == null) {
            return new HealthEligibility(current::view, current.view(), served.routing());
        }
        // routing reads the agreed view where it read the local one (issue 11)
        return new HealthEligibility(() -> exchange.agreedFor(current), current.view(), served.routing());
    }

    /** The (PoP, check) pairs probed under {@code served}: none when probes are off or no checks are declared. */
    private Set<List<String>> checked(Served served) {
        Set<List<String>> pairs = new HashSet<>();
        if (served.health() != null && config.probes()) {
            for (PopTarget pop : served.health().pops()) {
                for (CheckConfig check : pop.checks()) {
                    pairs.add(List.of(pop.id(), check.name()));
                }
            }
        }
        return pairs;
    }

    /**
     * An operator's drain or force-up outlives a reload that changes the checks: the latest
     * override event of each PoP that is still declared moves to the new monitor (with its time,
     * origin, expiry and reason, so the peers see the same event) before the new monitor serves a
     * single query.
     */
    private static void carryOverrides(HealthMonitor from, HealthMonitor to) {
        if (from == null) {
            return;
        }
        Set<String> declared = new HashSet<>();
        for (PopHealth pop : to.view().pops()) {
            declared.add(pop.id());
        }
        HealthView old = from.view();
        for (int p = 0; p < old.pops().size(); p++) {
            OverrideEvent event = old.overrideEvent(p).orElse(null);
            if (event == null) {
                continue;
            }
            String pop = old.pop(p).id();
            if (!declared.contains(pop)) {
                if (old.pop(p).override().isPresent()) {
                    LOG.warn("health: override of {} dropped: the PoP is no longer declared", pop);
                }
                continue;
            }
            to.apply(event);
            old.pop(p)
                    .override()
                    .ifPresent(override -> LOG.info(
                            "health: override of {} ({} until {}) kept across the reload",
                            pop,
                            override.action(),
                            override.expires()));
        }
    }

    private void retireMonitor() {
        HealthMonitor old = retired;
        retired = null;
        if (old != null) {
            old.close();
        }
    }

    /**
     * DNS cookies under the secret of {@code cookie-secret-file} (the same file on every
     * nameserver of a set, so each accepts the others' cookies), or a random secret.
     */
    private Cookies cookies() throws IOException {
        if (config.cookieSecretFile() == null) {
            LOG.info("cookies: random secret (server cookies are valid at this server until it restarts)");
            return Cookies.random();
        }
        String text = Files.readString(config.cookieSecretFile()).strip();
        byte[] secret;
        try {
            secret = HexFormat.of().parseHex(text);
        } catch (IllegalArgumentException e) {
            secret = new byte[0];
        }
        if (secret.length != Cookies.SECRET_LENGTH) {
            throw new IOException(config.cookieSecretFile() + ": cookie secret of " + text.length()
                    + " characters (expected: " + 2 * Cookies.SECRET_LENGTH + " hex digits, as `openssl rand -hex "
                    + Cookies.SECRET_LENGTH + "` writes)");
        }
        LOG.info("cookies: secret from {}", config.cookieSecretFile());
        return new Cookies(secret, () -> System.currentTimeMillis() / 1000);
    }

    /**
     * Logs a network that starts being limited, at most one line per {@link #INTERVAL_NANOS}, with
     * the count of onsets left out since the last line.
     */
    private static final class LimitLog implements RateLimiter.Listener {
        private static final long INTERVAL_NANOS = 10_000_000_000L;
        private final AtomicLong next = new AtomicLong(System.nanoTime());
        private final AtomicLong suppressed = new AtomicLong();

        @Override
        public void limited(InetAddress client, int responseClass, int prefix) {
            long now = System.nanoTime();
            long due = next.get();
            if (now - due < 0 || !next.compareAndSet(due, now + INTERVAL_NANOS)) {
                suppressed.incrementAndGet();
                return;
            }
            byte[] raw = client.getAddress();
            for (int bit = prefix; bit < raw.length * 8; bit++) {
                raw[bit / 8] &= (byte) ~(0x80 >> (bit % 8));
            }
            String network;
            try {
                network = InetAddress.getByAddress(raw).getHostAddress() + "/" + prefix;
            } catch (java.net.UnknownHostException e) {
                network = client.getHostAddress();
            }
            LOG.warn(
                    "rate-limit: {} is over the limit for {}; answers slip or are dropped"
                            + " (onsets logged at most every 10 s; {} more since the last line)",
                    network,
                    RateLimiter.className(responseClass),
                    suppressed.getAndSet(0));
        }
    }

    private static String geoNames(RoutingTable routing) {
        StringBuilder sb = new StringBuilder();
        for (GeoName n : routing.names()) {
            sb.append(sb.isEmpty() ? "" : ", ").append(n.name());
        }
        return sb.toString();
    }

    public ZoneReloader reloader() {
        return reloader;
    }

    static String format(InetSocketAddress a) {
        String host = a.getAddress().getHostAddress();
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort();
    }

    @Override
    public void close() {
        ready = false;
        LOG.info("stop: closing sockets");
        if (http != null) {
            http.close();
        }
        if (peerHttp != null) {
            peerHttp.close();
        }
        if (peers != null) {
            peers.close();
        }
        if (reloader != null) {
            try {
                reloader.close();
            } catch (IOException e) {
                LOG.warn("stop: closing the zone watcher: {}", e.getMessage());
            }
        }
        if (transport != null) {
            transport.close();
        }
        if (geoWatcher != null) {
            geoWatcher.shutdownNow();
        }
        if (monitor != null) {
            monitor.close();
        }
        if (geo != null) {
            try {
                geo.close();
            } catch (IOException e) {
                LOG.warn("stop: closing the GeoIP database: {}", e.getMessage());
            }
        }
        LOG.info("stop: done");
    }
}
