package dev.popdns.server;

import dev.popdns.config.ServerConfig;
import dev.popdns.geoip.GeoLocator;
import dev.popdns.geoip.GeoLocatorConfig;
import dev.popdns.health.AdminOverride;
import dev.popdns.health.CheckHealth;
import dev.popdns.health.HealthConfig;
import dev.popdns.health.HealthMonitor;
import dev.popdns.health.HealthView;
import dev.popdns.health.PopHealth;
import dev.popdns.routing.ClientRankings;
import dev.popdns.routing.Eligibility;
import dev.popdns.routing.GeoName;
import dev.popdns.routing.HealthEligibility;
import dev.popdns.routing.RoutingTable;
import dev.popdns.status.HttpServer;
import dev.popdns.status.Metrics;
import dev.popdns.status.StatusApi;
import dev.popdns.status.StatusReport;
import dev.popdns.status.Timeline;
import dev.popdns.wire.Answerer;
import dev.popdns.wire.ClientLocator;
import dev.popdns.wire.DnsTransport;
import dev.popdns.wire.QueryHandler;
import dev.popdns.wire.ServerIdentity;
import dev.popdns.wire.Snapshot;
import dev.popdns.zone.Zone;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
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
    private Snapshot.Holder snapshots;
    private GeoLocator geo;
    private ScheduledExecutorService geoWatcher;
    private final Metrics metrics = new Metrics();
    private final Timeline timeline = new Timeline(Clock.systemUTC());
    private volatile HealthMonitor monitor;
    private HealthConfig monitorConfig;
    private HealthMonitor retired;
    private volatile boolean ready;

    public Server(ServerConfig config) {
        this.config = config;
    }

    /**
     * Starts everything; logs one line per stage.
     *
     * @throws ZoneLoadException when the zones cannot be served (nothing is left running)
     */
    public void start() throws Served.Invalid, IOException, InterruptedException {
        LOG.info("start: popdns {} on Java {}", version(), Runtime.version());
        Served served = Served.load(config.zones(), null);
        for (Zone zone : served.zones().zones()) {
            LOG.info(
                    "zones: {} serial {} ({} RRsets) from {}",
                    zone.origin(),
                    zone.serial(),
                    zone.rrsetCount(),
                    zone.file());
        }
        RoutingTable routing = served.routing();
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
        } else if (routing.hasGeoNames()) {
            throw new Served.Invalid(
                    List.of(
                            config.zones().resolve("pops.yaml") + ": declares geo names " + geoNames(routing)
                                    + ", which need a GeoIP database: give --geoip FILE (a GeoLite2/GeoIP2 City or Country mmdb)"));
        }
        if (!config.probes() && served.health() != null) {
            LOG.warn("health: probes are off (--no-probes): PoPs are eligible by their config state alone");
        }
        ClientRankings rankings = rankings(routing);
        Eligibility eligibility = prepareHealth(served);
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
        byte[] nsid =
                config.nsid() && config.identity() != null ? config.identity().getBytes(StandardCharsets.UTF_8) : null;
        QueryHandler queries = new QueryHandler(
                snapshots,
                new Answerer(new ServerIdentity(nsid, config.identity(), config.version())),
                locator,
                metrics.queries(),
                metrics);
        metrics.serving(served.zones(), routing, () -> snapshots.current().zones());
        transport = new DnsTransport(config.threads());
        DnsTransport.TcpSettings tcp =
                new DnsTransport.TcpSettings(config.tcpIdleTimeout(), config.tcpMaxConnections());
        for (InetSocketAddress address : config.listen()) {
            int receiveBuffer = transport.bind(address, queries, tcp);
            LOG.info(
                    "dns: listening on udp+tcp {} ({}, {} event loops, UDP receive buffer {} KiB)",
                    format(address),
                    transport.nativeTransport() ? "epoll" : "nio",
                    config.threads(),
                    receiveBuffer / 1024);
            if (receiveBuffer < DnsTransport.SOCKET_BUFFER) {
                LOG.warn(
                        "dns: the kernel granted a UDP receive buffer of {} KiB instead of {} KiB; bursts will be dropped"
                                + " sooner: raise it with sysctl net.core.rmem_max={}",
                        receiveBuffer / 1024,
                        DnsTransport.SOCKET_BUFFER / 1024,
                        DnsTransport.SOCKET_BUFFER);
            }
        }
        reloader = new ZoneReloader(
                config.zones(),
                snapshots,
                geo != null,
                this::prepareHealth,
                this::rankings,
                loaded -> {
                    retireMonitor();
                    metrics.serving(
                            loaded.zones(),
                            loaded.routing(),
                            () -> snapshots.current().zones());
                },
                timeline);
        metrics.reloads(reloader, ZoneReloader::succeeded, ZoneReloader::failed);
        if (geo != null) {
            metrics.geoip(geo, locator, () -> snapshots.current().rankings());
        }
        reloader.start();
        LOG.info("reload: watching {} for changes; SIGHUP reloads too", config.zones());
        http = new HttpServer();
        StatusReport report = new StatusReport(
                snapshots::current,
                () -> monitor,
                geo,
                timeline,
                new StatusReport.ServerFacts(
                        config.identity(),
                        version(),
                        started,
                        () -> ready,
                        () -> new long[] {reloader.succeeded(), reloader.failed()},
                        reloader::lastReload),
                Clock.systemUTC());
        http.start(
                config.http(),
                new StatusApi(
                        report,
                        metrics,
                        snapshots::current,
                        () -> monitor,
                        geo,
                        () -> ready,
                        () -> reloader.requestReload("admin API"),
                        adminToken(),
                        Clock.systemUTC()));
        if (config.adminTokenFile() == null) {
            LOG.info("http: admin calls disabled (no admin-token-file)");
        }
        LOG.info("http: listening on http://{}/", format(config.http()));
        ready = true;
        LOG.info("ready");
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
            HealthMonitor.Builder builder = HealthMonitor.builder(served.health());
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
            retired = monitor;
            monitor = next;
            monitorConfig = served.health();
        }
        return new HealthEligibility(monitor, served.routing());
    }

    /**
     * An operator's drain or force-up outlives a reload that changes the checks: each override of
     * a PoP that is still declared moves to the new monitor, with its expiry and reason, before
     * the new monitor serves a single query.
     */
    private static void carryOverrides(HealthMonitor from, HealthMonitor to) {
        if (from == null) {
            return;
        }
        Set<String> declared = new HashSet<>();
        for (PopHealth pop : to.view().pops()) {
            declared.add(pop.id());
        }
        Instant now = Instant.now();
        for (PopHealth pop : from.view().pops()) {
            AdminOverride override = pop.override().orElse(null);
            if (override == null || !override.expires().isAfter(now)) {
                continue;
            }
            if (!declared.contains(pop.id())) {
                LOG.warn("health: override of {} dropped: the PoP is no longer declared", pop.id());
                continue;
            }
            to.override(pop.id(), override);
            LOG.info(
                    "health: override of {} ({} until {}) kept across the reload",
                    pop.id(),
                    override.action(),
                    override.expires());
        }
    }

    private void retireMonitor() {
        HealthMonitor old = retired;
        retired = null;
        if (old != null) {
            old.close();
        }
    }

    /** The admin bearer token from the configured file, or null when admin calls are off. */
    private String adminToken() throws IOException {
        if (config.adminTokenFile() == null) {
            return null;
        }
        String token = Files.readString(config.adminTokenFile()).strip();
        if (token.length() < 16) {
            throw new IOException(config.adminTokenFile() + ": admin token of " + token.length()
                    + " characters (expected: at least 16)");
        }
        return token;
    }

    /** The running health monitor, or null when no checks are declared. */
    public HealthMonitor health() {
        return monitor;
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

    public static String version() {
        String v = Server.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    @Override
    public void close() {
        ready = false;
        LOG.info("stop: closing sockets");
        if (http != null) {
            http.close();
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
