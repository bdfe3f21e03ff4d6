package dev.popdns.status;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.popdns.geoip.GeoLocator;
import dev.popdns.geoip.Location;
import dev.popdns.health.AdminOverride;
import dev.popdns.health.CheckHealth;
import dev.popdns.health.HealthAgreement;
import dev.popdns.health.HealthView;
import dev.popdns.health.PopHealth;
import dev.popdns.routing.ClientRankings;
import dev.popdns.routing.DrainSchedule;
import dev.popdns.routing.Eligibility;
import dev.popdns.routing.Explanation;
import dev.popdns.routing.GeoName;
import dev.popdns.routing.Pop;
import dev.popdns.routing.Router;
import dev.popdns.routing.RoutingTable;
import java.net.InetAddress;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Type;

/**
 * The JSON of {@code GET /api/v1/explain}, which {@code popdns explain} prints: the client's
 * location, every PoP ranked with its distance, its live checks and override and why it may or may
 * not serve, the answer with its TTL and the ECS scope. The server builds it from the live health
 * view; the command line builds the same document offline (no view: every PoP assumed UP, the
 * config's {@code state} alone), marked {@code "live": false}.
 */
public final class ExplainReport {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private ExplainReport() {}

    /**
     * Explains {@code name type} for {@code client}.
     *
     * @param rankings the client table built for {@code table} (gives the ECS scope)
     * @param view the live health, or null when no probes run (offline, or {@code --no-probes})
     * @param agreement the peers' agreement whose votes each check shows, or null without peers;
     *     when given, its agreed view (what routing reads) replaces {@code view}
     * @param drains the scheduled drains by PoP id (empty offline)
     * @param live whether this is the running server's view (false: the command line offline)
     * @param now the time a scheduled drain is judged against: the server's clock, as the status
     *     page's
     */
    public static ObjectNode build(
            RoutingTable table,
            ClientRankings rankings,
            Eligibility eligibility,
            HealthView view,
            HealthAgreement.Agreement agreement,
            Map<String, DrainSchedule.Drain> drains,
            boolean live,
            Instant now,
            GeoLocator geo,
            Name name,
            int type,
            InetAddress client) {
        if (agreement != null) {
            view = agreement.agreed();
        }
        ObjectNode root = MAPPER.createObjectNode();
        root.put("name", name.toString()).put("type", Type.string(type)).put("client", client.getHostAddress());
        root.put("live", live).put("probes", view != null);
        byte[] wire = name.toWireCanonical();
        GeoName geoName = table.routed(wire, wire.length);
        if (geoName == null) {
            root.put("routed", false).put("note", "not geo-routed: every client gets the zone's static records");
            return root;
        }
        if (geo != null) {
            database(root, geo);
        }
        Location location = geo == null ? null : geo.locate(client);
        Explanation e = Explanation.of(table, geoName, type, location, client, rankings, eligibility);
        root.put("routed", true).put("routed_as", geoName.name().toString());
        location(root, location);
        ArrayNode candidates = root.putArray("candidates");
        for (Router.Candidate c : e.candidates()) {
            PopHealth health = view == null ? null : view.pop(c.pop().id()).orElse(null);
            candidate(
                    candidates.addObject(),
                    c,
                    geoName,
                    health,
                    agreement,
                    drains.get(c.pop().id()),
                    live,
                    now);
        }
        answer(root, table, eligibility, e, geoName, drains);
        root.put("ecs_source_prefix", e.subnetPrefix()).put("ecs_scope", e.scope());
        return root;
    }

    /** The GeoIP database the location comes from. */
    private static void database(ObjectNode root, GeoLocator geo) {
        root.putObject("database")
                .put("type", geo.database().type())
                .put("path", geo.database().path().toString())
                .put("build_date", geo.database().buildDate().toString());
    }

    /** The client's location, or null where the database has none. */
    private static void location(ObjectNode root, Location location) {
        if (location == null) {
            root.putNull("location");
            return;
        }
        ObjectNode loc = root.putObject("location")
                .put("country", location.countryCode())
                .put("continent", location.continentCode())
                .put("network_prefix", location.networkPrefixLength());
        if (location.hasCoordinates()) {
            loc.put("latitude", location.latitude()).put("longitude", location.longitude());
        }
    }

    /** One ranked PoP: its config, distance, why it may or may not serve, drain, checks and override. */
    private static void candidate(
            ObjectNode o,
            Router.Candidate c,
            GeoName geoName,
            PopHealth health,
            HealthAgreement.Agreement agreement,
            DrainSchedule.Drain drain,
            boolean live,
            Instant now) {
        o.put("pop", c.pop().id())
                .put("hq", c.pop().hq())
                .put("state", c.pop().drained() ? "drain" : "active")
                .put("bias", c.pop().bias())
                .put("pinned", c.pinned())
                .put("eligible", c.eligible())
                .put("has_records", c.hasRecords());
        if (!Double.isNaN(c.distanceKm())) {
            o.put("distance_km", Math.round(c.distanceKm())).put("scaled_km", Math.round(c.scaledKm()));
        }
        boolean drainedBySchedule = drain != null
                && !c.eligible()
                && !c.pop().drained()
                && !drain.at().isAfter(now);
        o.put("why", drainedBySchedule ? planned(drain) : why(c, geoName, health, live));
        if (drain != null) {
            StatusReport.scheduledDrain(o, drain);
        }
        if (health != null) {
            checks(o, c.pop().id(), geoName, health, agreement);
            health.override().ifPresent(ov -> StatusReport.override(o, ov));
        }
    }

    /** The state of each check the name needs, with the peers' votes on it when they agree on health. */
    private static void checks(
            ObjectNode o, String pop, GeoName geoName, PopHealth health, HealthAgreement.Agreement agreement) {
        ObjectNode checks = o.putObject("checks");
        for (String needed : geoName.needs()) {
            CheckHealth check = health.check(needed).orElse(null);
            checks.put(needed, check == null ? "unknown" : check.state().name().toLowerCase(Locale.ROOT));
            HealthAgreement.PairVotes pair =
                    agreement == null ? null : agreement.pair(pop, needed).orElse(null);
            if (pair != null) {
                ObjectNode votes = o.has("votes") ? (ObjectNode) o.get("votes") : o.putObject("votes");
                StatusReport.votes(votes.putObject(needed), pair);
            }
        }
    }

    /** The PoP answered, why, its records and their TTL (shortened ahead of a scheduled drain). */
    private static void answer(
            ObjectNode root,
            RoutingTable table,
            Eligibility eligibility,
            Explanation e,
            GeoName geoName,
            Map<String, DrainSchedule.Drain> drains) {
        root.put(
                        "answer",
                        e.records() == null
                                ? "none"
                                : table.pops().get(e.decision().pop()).id())
                .put("reason", e.decision().reason().name().toLowerCase(Locale.ROOT));
        ArrayNode records = root.putArray("records");
        if (e.records() == null) {
            return;
        }
        Pop answered = table.pops().get(e.decision().pop());
        long shortened = eligibility.ttl(answered, geoName);
        root.put("ttl", shortened == Eligibility.OWN_TTL ? e.records().getTTL() : shortened);
        DrainSchedule.Drain ahead = drains.get(answered.id());
        if (shortened != Eligibility.OWN_TTL && ahead != null) {
            root.put("ttl_shortened_for_drain_at", ahead.at().toString());
        }
        for (Record rec : e.records().rrs(false)) {
            records.add(rec.toString());
        }
    }

    private static String planned(DrainSchedule.Drain d) {
        return "drained since " + d.at() + (d.until().equals(Instant.MAX) ? " until undrained" : " until " + d.until())
                + " (" + d.reason() + ")";
    }

    /** Why the PoP may or may not serve the name, in words, for the operator. */
    private static String why(Router.Candidate c, GeoName name, PopHealth health, boolean live) {
        if (health == null) {
            if (c.pop().drained()) {
                return "drained in pops.yaml";
            }
            return live ? "no probes run: eligible by config" : "assumed UP (offline: live health unknown)";
        }
        AdminOverride override = health.override().orElse(null);
        if (override != null && override.action() == AdminOverride.Action.FORCE_UP) {
            return "forced up by override until " + override.expires() + " (" + override.reason() + ")";
        }
        if (override != null) {
            return "drained by override until " + override.expires() + " (" + override.reason() + ")";
        }
        if (c.pop().drained()) {
            return "drained in pops.yaml";
        }
        StringBuilder down = new StringBuilder();
        for (String needed : name.needs()) {
            CheckHealth check = health.check(needed).orElse(null);
            if (check == null || !check.up()) {
                down.append(down.isEmpty() ? "" : ", ")
                        .append(needed)
                        .append(" DOWN")
                        .append(
                                check == null
                                        ? ""
                                        : check.lastError()
                                                .map(r -> " (" + r + ")")
                                                .orElse(""));
            }
        }
        if (!down.isEmpty()) {
            return down.toString();
        }
        return name.needs().isEmpty() ? "needs no check" : "every needed check UP: " + String.join(", ", name.needs());
    }
}
