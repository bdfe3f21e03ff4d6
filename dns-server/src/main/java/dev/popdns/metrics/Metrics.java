package dev.popdns.metrics;

import dev.popdns.geoip.GeoLocator;
import dev.popdns.health.HealthEvent;
import dev.popdns.health.HealthListener;
import dev.popdns.health.HealthView;
import dev.popdns.health.ProbeResult;
import dev.popdns.routing.ClientRankings;
import dev.popdns.routing.Decision;
import dev.popdns.routing.GeoName;
import dev.popdns.routing.Pop;
import dev.popdns.routing.RoutingTable;
import dev.popdns.wire.ClientLocator;
import dev.popdns.wire.QueryHandler;
import dev.popdns.wire.QueryMetrics;
import dev.popdns.zone.Zone;
import dev.popdns.zone.ZoneSet;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * Every metric of docs/DESIGN.md "Metric names" in one Prometheus registry, plus JVM and process
 * metrics, scraped at {@code /metrics}. Tags are bounded by configuration: transports, a fixed
 * list of query types, rcodes, PoP ids, check names, geo names and zone origins; never a client
 * address or a query name.
 */
public final class Metrics implements HealthListener, QueryHandler.AnswerListener {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final QueryMetrics queries = new QueryMetrics(registry);
    /** The counters of the table being served, and of the one before it (queries in flight at a reload). */
    private volatile AnswerCounters answers = new AnswerCounters(RoutingTable.empty(), registry, null);

    private final ConcurrentHashMap<String, AtomicInteger> healthUp = new ConcurrentHashMap<>();
    private final AtomicInteger cutOff = new AtomicInteger();
    private final Set<String> serialGauges = ConcurrentHashMap.newKeySet();

    public Metrics() {
        Gauge.builder("popdns_prober_cut_off", cutOff, AtomicInteger::get)
                .description("1 while every PoP fails its checks (our own network is suspect)")
                .register(registry);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmGcMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
    }

    /** The registry, for components that register their own meters (the peer exchange). */
    public io.micrometer.core.instrument.MeterRegistry registry() {
        return registry;
    }

    public QueryMetrics queries() {
        return queries;
    }

    /** The Prometheus text exposition. */
    public String scrape() {
        return registry.scrape();
    }

    /** {@code popdns_tcp_connections}: DNS TCP connections open now, read from the transport. */
    public <T> void tcpConnections(T transport, ToDoubleFunction<T> open) {
        Gauge.builder("popdns_tcp_connections", transport, open)
                .description("DNS TCP connections open now")
                .register(registry);
    }

    /** {@code popdns_config_reloads_total{result}} read from the reloader's counters. */
    public <T> void reloads(T reloader, ToDoubleFunction<T> ok, ToDoubleFunction<T> failed) {
        FunctionCounter.builder("popdns_config_reloads", reloader, ok)
                .tag("result", "ok")
                .register(registry);
        FunctionCounter.builder("popdns_config_reloads", reloader, failed)
                .tag("result", "failed")
                .register(registry);
    }

    /**
     * {@code popdns_geoip_lookups_total{result}} (located, unknown: client-table lookups of the
     * query path), {@code popdns_geoip_table_networks}, {@code popdns_geoip_table_classes},
     * {@code popdns_geoip_table_build_seconds} (the table being served) and {@code
     * popdns_geoip_build_timestamp_seconds} (when the answering database was built: an alert can
     * tell a geoipupdate that stopped), read at scrape time.
     */
    public void geoip(GeoLocator geo, ClientLocator locator, Supplier<ClientRankings> table) {
        FunctionCounter.builder("popdns_geoip_lookups", locator, ClientLocator::located)
                .tag("result", "located")
                .description("Client-table lookups of geo-routed queries, by whether the client was placed")
                .register(registry);
        FunctionCounter.builder("popdns_geoip_lookups", locator, ClientLocator::unknown)
                .tag("result", "unknown")
                .description("Client-table lookups of geo-routed queries, by whether the client was placed")
                .register(registry);
        Gauge.builder("popdns_geoip_table_networks", table, t -> t.get().networks())
                .description("Merged client networks in the GeoIP client table being served")
                .strongReference(true)
                .register(registry);
        Gauge.builder("popdns_geoip_table_classes", table, t -> t.get().classes())
                .description("Distinct PoP rankings in the GeoIP client table being served")
                .strongReference(true)
                .register(registry);
        Gauge.builder("popdns_geoip_table_build_seconds", table, t -> t.get().buildSeconds())
                .description("How long building the GeoIP client table being served took")
                .strongReference(true)
                .register(registry);
        Gauge.builder(
                        "popdns_geoip_build_timestamp_seconds",
                        geo,
                        g -> g.database().buildDate().getEpochSecond())
                .description("Build date of the GeoIP database answering, as a Unix time")
                .register(registry);
    }

    /**
     * Registers {@code popdns_answers_total{name,pop}} for a routing table about to be served: called
     * before the snapshot that holds it is swapped in, so that no answer of it counts under another
     * table's labels.
     */
    public void routing(RoutingTable table) {
        AnswerCounters current = answers;
        if (current.table != table) {
            answers = new AnswerCounters(table, registry, current);
        }
    }

    /**
     * Registers {@code popdns_zone_serial{zone}} for the served zones, and retires every meter of a
     * zone, geo name, PoP or check the served configuration no longer declares (so an alert on a
     * removed PoP stops firing); called at start and after every accepted reload, once the new
     * snapshot is served.
     *
     * @param checked the (PoP, check) pairs being probed now (none when probes are off)
     */
    public void serving(ZoneSet zones, RoutingTable routing, Set<List<String>> checked, Supplier<ZoneSet> current) {
        routing(routing);
        Set<String> origins = new HashSet<>();
        for (Zone zone : zones.zones()) {
            String origin = zone.origin().toString();
            origins.add(origin);
            if (!serialGauges.add(origin)) {
                continue; // registered at an earlier load; the gauge reads the current snapshot
            }
            Gauge.builder("popdns_zone_serial", current, s -> {
                        Zone z = s.get().get(zone.origin());
                        return z == null ? Double.NaN : z.serial();
                    })
                    .tag("zone", origin)
                    .strongReference(true)
                    .register(registry);
        }
        serialGauges.removeIf(origin -> !origins.contains(origin));
        retire("popdns_zone_serial", m -> !origins.contains(m.getId().getTag("zone")));
        AnswerCounters served = answers.only();
        answers = served;
        retire(
                "popdns_answers",
                m -> !served.labels.contains(
                        List.of(m.getId().getTag("name"), m.getId().getTag("pop"))));
        healthUp.keySet().removeIf(key -> !checked.contains(List.of(key.split("\u0000", 2))));
        for (String meter : new String[] {"popdns_health_up", "popdns_probe_duration", "popdns_probe_results"}) {
            retire(
                    meter,
                    m -> !checked.contains(
                            List.of(m.getId().getTag("pop"), m.getId().getTag("check"))));
        }
        if (checked.isEmpty()) {
            cutOff.set(0);
        }
    }

    /** Removes from the registry every meter of {@code name} that {@code gone} says is no longer served. */
    private void retire(String name, Predicate<Meter> gone) {
        for (Meter meter : registry.find(name).meters()) {
            if (gone.test(meter)) {
                registry.remove(meter);
            }
        }
    }

    @Override
    public void routed(GeoName name, int pop) {
        answers.count(name, pop);
    }

    @Override
    public void onUpdate(HealthView view, List<HealthEvent> events) {
        for (HealthEvent event : events) {
            if (event instanceof HealthEvent.ProbeCompleted done) {
                String pop = done.pop();
                String check = done.check();
                ProbeResult result = done.result();
                Timer.builder("popdns_probe_duration")
                        .tag("pop", pop)
                        .tag("check", check)
                        .register(registry)
                        .record(result.latency());
                Counter.builder("popdns_probe_results")
                        .tag("pop", pop)
                        .tag("check", check)
                        .tag("result", result instanceof ProbeResult.Up ? "up" : "down")
                        .register(registry)
                        .increment();
            }
        }
        for (var pop : view.pops()) {
            for (var check : pop.checks()) {
                AtomicInteger gauge = healthUp.computeIfAbsent(pop.id() + "\u0000" + check.check(), k -> {
                    AtomicInteger value = new AtomicInteger();
                    Gauge.builder("popdns_health_up", value, AtomicInteger::get)
                            .tag("pop", pop.id())
                            .tag("check", check.check())
                            .description("1 when the check is UP at the PoP")
                            .register(registry);
                    return value;
                });
                gauge.set(check.up() ? 1 : 0);
            }
        }
        cutOff.set(view.cutOff() ? 1 : 0);
    }

    /**
     * {@code popdns_answers_total{name,pop}} for one routing table: [name index][pop index or
     * NODATA]. A route counts here only when its geo name belongs to this table (one reference
     * comparison), else with the previous table's counters, else not at all: indexes never cross
     * from one table to another.
     */
    private static final class AnswerCounters {
        private final RoutingTable table;
        private final GeoName[] names;
        private final Counter[][] counters;
        /** (name, pop) label pairs of this table. */
        private final Set<List<String>> labels = new HashSet<>();

        private final AnswerCounters previous;

        AnswerCounters(RoutingTable table, PrometheusMeterRegistry registry, AnswerCounters previous) {
            this.table = table;
            this.previous = previous == null ? null : previous.only();
            List<GeoName> names = table.names();
            List<Pop> pops = table.pops();
            this.names = names.toArray(new GeoName[0]);
            counters = new Counter[names.size()][pops.size() + 1];
            for (GeoName n : names) {
                for (int p = 0; p <= pops.size(); p++) {
                    String pop = p == pops.size() ? "none" : pops.get(p).id();
                    labels.add(List.of(n.name().toString(), pop));
                    counters[n.index()][p] = Counter.builder("popdns_answers")
                            .description("Geo-routed answers by PoP")
                            .tag("name", n.name().toString())
                            .tag("pop", pop)
                            .register(registry);
                }
            }
        }

        private AnswerCounters(AnswerCounters of) {
            this.table = of.table;
            this.names = of.names;
            this.counters = of.counters;
            this.labels.addAll(of.labels);
            this.previous = null;
        }

        /** These counters without the previous table's. */
        AnswerCounters only() {
            return previous == null ? this : new AnswerCounters(this);
        }

        void count(GeoName name, int pop) {
            int index = name.index();
            if (index < names.length && names[index] == name) {
                Counter[] byPop = counters[index];
                byPop[pop == Decision.NO_DATA ? byPop.length - 1 : pop].increment();
            } else if (previous != null) {
                previous.count(name, pop); // a query that began before the reload
            }
        }
    }
}
