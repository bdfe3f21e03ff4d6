package dev.popdns.status;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.popdns.geoip.GeoLocator;
import dev.popdns.geoip.Location;
import dev.popdns.health.AdminOverride;
import dev.popdns.health.CheckHealth;
import dev.popdns.health.HealthAgreement;
import dev.popdns.health.HealthMonitor;
import dev.popdns.health.HealthView;
import dev.popdns.health.PopHealth;
import dev.popdns.peers.PeerExchange;
import dev.popdns.routing.ClientRankings;
import dev.popdns.routing.Decision;
import dev.popdns.routing.DrainSchedule;
import dev.popdns.routing.Eligibility;
import dev.popdns.routing.GeoName;
import dev.popdns.routing.Pop;
import dev.popdns.routing.Router;
import dev.popdns.routing.RoutingTable;
import dev.popdns.wire.Snapshot;
import dev.popdns.zone.Zone;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import org.xbill.DNS.Type;

/**
 * Everything the status page shows, as the JSON of {@code GET /api/v1/status}: the server, the
 * zones, the PoPs with every check, where each continent and the 20 largest countries are routed
 * right now (and the asking client's own resolver), every country of the status page map, the GeoIP database and the timeline. Built
 * on demand on the HTTP thread from the current snapshots; never touches the query path.
 */
public final class StatusReport {
    /** Continents at a representative point (population-weighted, roughly). */
    static final Object[][] CONTINENTS = {
        {"AF", "Africa", 5.0, 20.0}, {"AS", "Asia", 30.0, 100.0}, {"EU", "Europe", 50.0, 10.0},
        {"NA", "North America", 40.0, -95.0}, {"OC", "Oceania", -28.0, 140.0}, {"SA", "South America", -15.0, -55.0},
    };
    /** The 20 countries with the most Internet users, each at its main population centre. */
    static final Object[][] COUNTRIES = {
        {"CN", "AS", 31.2, 121.5}, {"IN", "AS", 28.6, 77.2}, {"US", "NA", 39.8, -89.6}, {"ID", "AS", -6.2, 106.8},
        {"BR", "SA", -23.5, -46.6}, {"RU", "EU", 55.8, 37.6}, {"NG", "AF", 6.5, 3.4}, {"JP", "AS", 35.7, 139.7},
        {"MX", "NA", 19.4, -99.1}, {"PH", "AS", 14.6, 121.0}, {"VN", "AS", 21.0, 105.8}, {"DE", "EU", 51.2, 10.4},
        {"GB", "EU", 52.5, -1.5}, {"TR", "AS", 41.0, 29.0}, {"FR", "EU", 48.9, 2.3}, {"IR", "AS", 35.7, 51.4},
        {"EG", "AF", 30.0, 31.2}, {"BD", "AS", 23.8, 90.4}, {"KR", "AS", 37.6, 127.0}, {"IT", "EU", 42.5, 12.5},
    };

    private final Supplier<Snapshot> snapshot;
    private final Supplier<HealthMonitor> health;
    private final GeoLocator geo;
    private final Timeline timeline;
    private final ServerFacts facts;
    private final Clock clock;
    private final PeerExchange peers;
    private final DrainSchedule drains;
    private final ObjectMapper mapper = new ObjectMapper();

    /** What the report says about the server itself. */
    public record ServerFacts(
            String identity,
            String version,
            Instant started,
            Supplier<Boolean> ready,
            Supplier<long[]> reloads,
            Supplier<String> lastReload) {}

    public StatusReport(
            Supplier<Snapshot> snapshot,
            Supplier<HealthMonitor> health,
            GeoLocator geo,
            Timeline timeline,
            ServerFacts facts,
            Clock clock) {
        this(snapshot, health, geo, timeline, facts, clock, null, new DrainSchedule(clock));
    }

    /**
     * As above, with the peer exchange whose votes the report shows (null: this node decides alone)
     * and the scheduled drains, shown with their countdown.
     */
    public StatusReport(
            Supplier<Snapshot> snapshot,
            Supplier<HealthMonitor> health,
            GeoLocator geo,
            Timeline timeline,
            ServerFacts facts,
            Clock clock,
            PeerExchange peers,
            DrainSchedule drains) {
        this.peers = peers;
        this.drains = drains;
        this.snapshot = snapshot;
        this.health = health;
        this.geo = geo;
        this.timeline = timeline;
        this.facts = facts;
        this.clock = clock;
    }

    /** The report for a request from {@code client} (whose resolver placement is shown too). */
    public String json(InetAddress client) {
        // the reload count before the snapshot: a reload swaps the snapshot, then counts, so a
        // report that shows a count shows that reload's zones and PoPs too (read the other way
        // round, a reload between the two reads gave the new count beside the old PoPs)
        long[] reloads = facts.reloads().get();
        String lastReload = facts.lastReload().get();
        Snapshot snap = snapshot.get();
        Instant now = clock.instant();
        ObjectNode root = mapper.createObjectNode();
        ObjectNode server = root.putObject("server");
        server.put("identity", facts.identity())
                .put("version", facts.version())
                .put("started", facts.started().toString())
                .put("uptime_seconds", Duration.between(facts.started(), now).toSeconds())
                .put("ready", facts.ready().get())
                .put("now", now.toString());
        ArrayNode zones = root.putArray("zones");
        for (Zone zone : snap.zones().zones()) {
            zones.addObject()
                    .put("origin", zone.origin().toString())
                    .put("serial", zone.serial())
                    .put("file", zone.file())
                    .put("rrsets", zone.rrsetCount());
        }
        root.putObject("reloads")
                .put("ok", reloads[0])
                .put("failed", reloads[1])
                .put("last", lastReload);
        HealthMonitor monitor = health.get();
        // the view and the timeline read together: the timeline is a listener of the monitor, so
        // a state change and its timeline entry show up in the same response
        record Seen(HealthView view, List<Timeline.Entry> entries, HealthAgreement.Agreement agreement) {}
        Seen seen = monitor == null
                ? new Seen(null, timeline.entries(), null)
                : monitor.readConsistently(
                        v -> new Seen(v, timeline.entries(), peers == null ? null : peers.agreement()));
        HealthAgreement.Agreement agreement = seen.agreement();
        if (agreement != null
                && seen.view() != null
                && agreement.own().version() > seen.view().version()) {
            agreement = null; // computed for another monitor (a reload in progress)
        }
        // routing reads the agreed view: so does the report; each check also shows the own view and the votes
        HealthView view = agreement != null ? agreement.agreed() : seen.view();
        root.put("probes", view != null);
        root.put("prober_cut_off", seen.view() != null && seen.view().cutOff());
        if (peers != null) {
            peersSection(root.putObject("peers"), agreement, now);
        }
        pops(root.putArray("pops"), snap, view, agreement, now);
        names(root.putArray("names"), snap, client);
        if (geo != null) {
            ClientRankings table = snap.rankings();
            root.putObject("geoip")
                    .put("database", geo.database().path().toString())
                    .put("type", geo.database().type())
                    .put("build_date", geo.database().buildDate().toString())
                    .put("table_networks", table.networks())
                    .put("table_classes", table.classes())
                    .put("table_build_seconds", table.buildSeconds());
        }
        ArrayNode events = root.putArray("timeline");
        for (Timeline.Entry e : seen.entries()) {
            events.addObject()
                    .put("at", e.at().toString())
                    .put("kind", e.kind())
                    .put("text", e.text());
        }
        return root.toPrettyString() + "\n";
    }

    /** Every PoP: config state, scheduled drain, override and each check with its votes. */
    private void pops(
            ArrayNode pops, Snapshot snap, HealthView view, HealthAgreement.Agreement agreement, Instant now) {
        RoutingTable routing = snap.routing();
        Map<String, DrainSchedule.Drain> planned = drains.current();
        for (Pop p : routing.pops()) {
            ObjectNode pop = pops.addObject()
                    .put("id", p.id())
                    .put("hq", p.hq())
                    .put("state", p.drained() ? "drain" : "active")
                    .put("bias", p.bias())
                    .put("latitude", p.latitude())
                    .put("longitude", p.longitude());
            DrainSchedule.Drain drain = planned.get(p.id());
            if (drain != null) {
                long left = Duration.between(now, drain.at()).toSeconds();
                long ttl = snapshotTtl(snap, p);
                scheduledDrain(pop, drain)
                        .put("seconds_left", Math.max(0, left))
                        .put("running", !now.isBefore(drain.at()))
                        .put("ttl_shortened", ttl != Eligibility.OWN_TTL)
                        .put("ttl", ttl == Eligibility.OWN_TTL ? null : ttl);
            }
            PopHealth ph = view == null ? null : view.pop(p.id()).orElse(null);
            ObjectNode checks = pop.putObject("checks");
            if (ph != null) {
                ph.override().ifPresent(o -> override(pop, o));
                for (CheckHealth c : ph.checks()) {
                    ObjectNode check = checks.putObject(c.check())
                            .put("state", c.state().name().toLowerCase(Locale.ROOT))
                            .put("since", c.since().toString())
                            .put("for_seconds", Duration.between(c.since(), now).toSeconds());
                    c.latency().ifPresent(l -> check.put("latency_ms", Math.round(l.toNanos() / 1e4) / 100.0));
                    c.lag().ifPresent(l -> check.put("lag_seconds", l.toMillis() / 1000.0));
                    c.lastError().ifPresent(e -> check.put("last_error", e));
                    if (agreement != null) {
                        votes(check, agreement.pair(ph.id(), c.check()).orElse(null));
                    }
                }
            }
        }
    }

    /** Every geo name: where each continent, the largest countries and the asking resolver go. */
    private void names(ArrayNode names, Snapshot snap, InetAddress client) {
        RoutingTable routing = snap.routing();
        for (GeoName n : routing.names()) {
            ObjectNode name = names.addObject().put("name", n.name().toString()).put("ttl", n.ttl());
            ArrayNode families = name.putArray("families");
            if (hasFamily(n.a())) {
                families.add("A");
            }
            if (hasFamily(n.aaaa())) {
                families.add("AAAA");
            }
            ArrayNode needs = name.putArray("needs");
            n.needs().forEach(needs::add);
            ObjectNode continents = name.putObject("continents");
            for (Object[] c : CONTINENTS) {
                continents.put(
                        (String) c[0],
                        pick(snap, n, new Location((double) c[2], (double) c[3], null, (String) c[0], 0)));
            }
            ObjectNode countries = name.putObject("countries");
            for (Object[] c : COUNTRIES) {
                countries.put(
                        (String) c[0],
                        pick(snap, n, new Location((double) c[2], (double) c[3], (String) c[0], (String) c[1], 0)));
            }
            // every country of the map, at the same point as the table above for those 20
            ObjectNode map = name.putObject("map");
            for (WorldMap.Country c : WorldMap.COUNTRIES) {
                Object[] listed = listed(c.code());
                Location at = listed == null
                        ? new Location(c.latitude(), c.longitude(), c.code(), c.continent(), 0)
                        : new Location((double) listed[2], (double) listed[3], c.code(), (String) listed[1], 0);
                map.put(c.code(), pick(snap, n, at));
            }
            Location yours = geo == null || client == null ? null : geo.locate(client);
            name.putObject("your_resolver")
                    .put("address", client == null ? null : client.getHostAddress())
                    .put("country", yours == null ? null : yours.countryCode())
                    .put("pop", pick(snap, n, yours));
        }
    }

    /** The row of {@link #COUNTRIES} for {@code code}, or null. */
    private static Object[] listed(String code) {
        for (Object[] c : COUNTRIES) {
            if (c[0].equals(code)) {
                return c;
            }
        }
        return null;
    }

    /** A PoP's scheduled drain, as the status API and the explain report give it. */
    static ObjectNode scheduledDrain(ObjectNode pop, DrainSchedule.Drain drain) {
        return pop.putObject("scheduled_drain")
                .put("at", drain.at().toString())
                .put(
                        "until",
                        drain.until().equals(Instant.MAX) ? null : drain.until().toString())
                .put("reason", drain.reason());
    }

    /** A PoP's admin override, as the status API and the explain report give it. */
    static void override(ObjectNode pop, AdminOverride override) {
        String action = switch (override.action()) {
            case DRAIN -> "drain";
            case FORCE_UP -> "force-up";
        };
        pop.putObject("override")
                .put("action", action)
                .put("expires", override.expires().toString())
                .put("reason", override.reason());
    }

    /** The own state and every vote of one check: "UP 2 of 3 · ns1: DOWN timeout" on the page. */
    static void votes(ObjectNode check, HealthAgreement.PairVotes pair) {
        if (pair == null) {
            return;
        }
        check.put("own_state", pair.own().name().toLowerCase(Locale.ROOT))
                .put("votes_up", pair.up())
                .put("votes_down", pair.down())
                .put("disagree", pair.disagree());
        ArrayNode votes = check.putArray("votes");
        for (HealthAgreement.Vote vote : pair.votes()) {
            ObjectNode v = votes.addObject()
                    .put("node", vote.node())
                    .put("state", vote.state().name().toLowerCase(Locale.ROOT));
            vote.lastError().ifPresent(e -> v.put("last_error", e));
        }
    }

    /** The peers' latest agreement, or null without peers (or before the first monitor). */
    HealthAgreement.Agreement agreement() {
        return peers == null ? null : peers.agreement();
    }

    /** Every node: reachable, the age of its view, whether it votes and why not. */
    private void peersSection(ObjectNode out, HealthAgreement.Agreement agreement, Instant now) {
        var settings = peers.config();
        out.put("self", settings.self())
                .put("vote_only", peers.voteOnly())
                .put("down_quorum", settings.downQuorum().toString())
                .put("required", settings.agreement().required())
                .put("stale_after_seconds", settings.staleAfter().toMillis() / 1000.0)
                .put("deciding_alone", agreement == null || agreement.decidingAlone())
                .put("voting", agreement == null ? 1 : agreement.voting());
        ArrayNode nodes = out.putArray("nodes");
        nodes.addObject()
                .put("id", settings.self())
                .put("url", settings.selfNode().url().toString())
                .put("self", true)
                .put("vote_only", peers.voteOnly())
                .put("standing", agreement == null ? "own" : standing(agreement, settings.self()));
        for (PeerExchange.PeerStatus peer : peers.peers()) {
            ObjectNode node = nodes.addObject()
                    .put("id", peer.id())
                    .put("url", peer.url().toString())
                    .put("self", false)
                    .put("vote_only", peer.voteOnly())
                    .put("reachable", peer.reachable())
                    .put("standing", agreement == null ? "none" : standing(agreement, peer.id()));
            peer.viewAge().ifPresent(a -> node.put("view_age_seconds", a.toMillis() / 1000.0));
            peer.lastError().ifPresent(e -> node.put("last_error", e));
        }
    }

    private static String standing(HealthAgreement.Agreement agreement, String node) {
        for (HealthAgreement.Voter voter : agreement.voters()) {
            if (voter.node().equals(node)) {
                return voter.standing().name().toLowerCase(Locale.ROOT).replace('_', '-');
            }
        }
        return "none";
    }

    /** The shortened TTL of the PoP's answers now (its first geo name's), or {@code OWN_TTL}. */
    private static long snapshotTtl(Snapshot snap, Pop p) {
        for (GeoName n : snap.routing().names()) {
            long ttl = snap.eligibility().ttl(p, n);
            if (ttl != Eligibility.OWN_TTL) {
                return ttl;
            }
        }
        return Eligibility.OWN_TTL;
    }

    /** Whether any PoP answers with this family (the name's families, as compiled). */
    private static boolean hasFamily(org.xbill.DNS.RRset[] byPop) {
        for (org.xbill.DNS.RRset set : byPop) {
            if (set != null) {
                return true;
            }
        }
        return false;
    }

    /** The PoP id a client at {@code location} gets for an A query now, or "none" (NODATA). */
    private static String pick(Snapshot snap, GeoName name, Location location) {
        Decision d = Router.decide(snap.routing(), name, location, Type.A, snap.eligibility());
        return d.pop() == Decision.NO_DATA
                ? "none"
                : snap.routing().pops().get(d.pop()).id();
    }
}
