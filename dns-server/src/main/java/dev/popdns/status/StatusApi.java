package dev.popdns.status;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.popdns.config.AddressLiteral;
import dev.popdns.config.AddressRange;
import dev.popdns.geoip.GeoLocator;
import dev.popdns.health.AdminOverride;
import dev.popdns.health.Durations;
import dev.popdns.health.HealthMonitor;
import dev.popdns.metrics.Metrics;
import dev.popdns.routing.DrainSchedule;
import dev.popdns.status.HttpServer.Request;
import dev.popdns.status.HttpServer.Response;
import dev.popdns.wire.Snapshot;
import io.netty.util.NetUtil;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.Name;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * The HTTP surface of docs/DESIGN.md "HTTP surface": {@code /} (status page), {@code /api/v1/status},
 * {@code /api/v1/explain}, {@code /metrics}, {@code /healthz}, {@code /readyz}, and the admin calls
 * {@code POST|DELETE /api/v1/pops/{id}/override} and {@code POST /api/v1/reload}, which need the
 * bearer token from the admin token file (compared in constant time; 401 when missing or wrong,
 * 403 when no token file is configured) and a peer address in {@code admin-from} (loopback unless
 * configured; 403 otherwise, before the token is looked at). No response, log line or metric
 * carries a secret.
 */
public final class StatusApi implements HttpServer.Handler {
    private static final Logger LOG = LoggerFactory.getLogger(StatusApi.class);
    private static final Pattern OVERRIDE = Pattern.compile("/api/v1/pops/([a-z0-9-]+)/override");
    private static final Pattern DRAIN = Pattern.compile("/api/v1/pops/([a-z0-9-]+)/drain");
    private static final String JSON = "application/json";
    private static final Duration MAX_OVERRIDE = Duration.ofDays(7);

    private final StatusReport report;
    private final Metrics metrics;
    private final Supplier<Snapshot> snapshot;
    private final Supplier<HealthMonitor> health;
    private final GeoLocator geo;
    private final Supplier<Boolean> ready;
    private final Runnable reload;
    private final AdminToken adminToken;
    private final List<AddressRange> adminFrom;
    private final Clock clock;
    private final String page;
    private final String pagePolicy;
    private final ObjectMapper mapper = new ObjectMapper();
    private final DrainSchedule drains;
    private final Timeline timeline;

    /**
     * @param adminToken the admin bearer token, or null when admin calls are disabled
     * @param adminFrom  the networks admin calls may come from
     * @param drains     the scheduled drains the admin calls set
     * @param timeline   where scheduled and cancelled drains are recorded
     */
    public StatusApi(
            StatusReport report,
            Metrics metrics,
            Supplier<Snapshot> snapshot,
            Supplier<HealthMonitor> health,
            GeoLocator geo,
            Supplier<Boolean> ready,
            Runnable reload,
            AdminToken adminToken,
            List<AddressRange> adminFrom,
            Clock clock,
            DrainSchedule drains,
            Timeline timeline) {
        this.drains = drains;
        this.timeline = timeline;
        this.report = report;
        this.metrics = metrics;
        this.snapshot = snapshot;
        this.health = health;
        this.geo = geo;
        this.ready = ready;
        this.reload = reload;
        this.adminToken = adminToken;
        this.adminFrom = List.copyOf(adminFrom);
        this.clock = clock;
        this.page = resource("/status/index.html").replace("<!-- world-map -->", WorldMap.SVG);
        this.pagePolicy = contentSecurityPolicy(page);
    }

    /**
     * A Content-Security-Policy that lets the page run only its own inline script and style (by
     * hash) and talk only to this server: a second line of defence behind the page's escaping.
     */
    static String contentSecurityPolicy(String html) {
        return "default-src 'none'; script-src " + hash(html, "<script>", "</script>") + "; style-src "
                + hash(html, "<style>", "</style>") + " 'unsafe-hashes'; connect-src 'self'; img-src 'self' data:; "
                + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
    }

    private static String hash(String html, String open, String close) {
        int start = html.lastIndexOf(open);
        int end = html.indexOf(close, start);
        if (start < 0 || end < 0) {
            return "'none'";
        }
        byte[] digest = sha256(html.substring(start + open.length(), end));
        return "'sha256-" + java.util.Base64.getEncoder().encodeToString(digest) + "'";
    }

    @Override
    public Response handle(Request r) {
        String path = r.path();
        Matcher override = OVERRIDE.matcher(path);
        if (override.matches()) {
            return switch (r.method()) {
                case "POST" -> admin(r, () -> setOverride(override.group(1), r.body()));
                case "DELETE" -> admin(r, () -> clearOverride(override.group(1), r.param("reason")));
                default -> notAllowed("POST, DELETE");
            };
        }
        Matcher drain = DRAIN.matcher(path);
        if (drain.matches()) {
            return switch (r.method()) {
                case "POST" -> admin(r, () -> scheduleDrain(drain.group(1), r.body()));
                case "DELETE" -> admin(r, () -> undrain(drain.group(1), r.param("reason")));
                default -> notAllowed("POST, DELETE");
            };
        }
        if (path.equals("/api/v1/reload")) {
            return r.method().equals("POST") ? admin(r, this::reload) : notAllowed("POST");
        }
        if (!r.method().equals("GET")) {
            return isKnown(path) ? notAllowed("GET, HEAD") : Response.text(404, "not found\n");
        }
        return switch (path) {
            case "/", "/index.html" ->
                new Response(
                        200,
                        "text/html; charset=utf-8",
                        page,
                        Map.of(
                                "Content-Security-Policy",
                                pagePolicy,
                                "X-Frame-Options",
                                "DENY",
                                "Referrer-Policy",
                                "no-referrer"));
            case "/healthz" -> Response.text(200, "ok\n");
            case "/readyz" -> ready.get() ? Response.text(200, "ready\n") : Response.text(503, "not ready\n");
            case "/metrics" -> Response.of(200, "text/plain; version=0.0.4; charset=utf-8", metrics.scrape());
            case "/api/v1/status" -> Response.of(200, JSON, report.json(r.remote()));
            case "/api/v1/explain" -> explain(r);
            default -> Response.text(404, "not found\n");
        };
    }

    private static boolean isKnown(String path) {
        return switch (path) {
            case "/", "/index.html", "/healthz", "/readyz", "/metrics", "/api/v1/status", "/api/v1/explain" -> true;
            default -> false;
        };
    }

    private Response explain(Request r) {
        String nameText = r.param("name");
        String typeText = r.param("type") == null ? "A" : r.param("type");
        String clientText = r.param("client") == null ? r.remote().getHostAddress() : r.param("client");
        if (nameText == null) {
            return error(400, "name: missing (expected: ?name=hachyderm.io&type=A&client=IP)");
        }
        int type = Type.value(typeText.toUpperCase(Locale.ROOT));
        if (type != Type.A && type != Type.AAAA) {
            return error(400, "type: " + typeText + " (expected: A or AAAA)");
        }
        InetAddress client;
        Name name;
        try {
            name = Name.fromString(nameText, Name.root);
            client = AddressLiteral.parse(clientText);
            if (client == null) {
                throw new UnknownHostException(
                        "client: '" + clientText + "' (expected: a literal IPv4 or IPv6 address)");
            }
        } catch (TextParseException | UnknownHostException e) {
            return error(400, e.getMessage());
        }
        Snapshot snap = snapshot.get();
        HealthMonitor monitor = health.get();
        ObjectNode root = ExplainReport.build(
                snap.routing(),
                snap.rankings(),
                snap.eligibility(),
                monitor == null ? null : monitor.view(),
                monitor == null ? null : report.agreement(),
                drains.current(),
                true,
                clock.instant(),
                geo,
                name,
                type,
                client);
        return Response.of(200, JSON, root.toPrettyString() + "\n");
    }

    private Response admin(Request r, Supplier<Response> action) {
        if (!fromAdminNetwork(r.remote())) {
            LOG.warn(
                    "http: refused {} {} from {}: not in admin-from",
                    r.method(),
                    r.path(),
                    NetUtil.toAddressString(r.remote()));
            return error(403, "admin calls are not accepted from this address (admin-from in popdns.yaml)");
        }
        if (adminToken == null) {
            return error(403, "admin calls are disabled (set admin-token-file in popdns.yaml)");
        }
        String auth = r.authorization();
        String presented = auth != null && auth.startsWith("Bearer ")
                ? auth.substring("Bearer ".length()).trim()
                : null;
        return switch (adminToken.check(presented)) {
            case VALID -> action.get();
            case UNAVAILABLE -> error(503, "the admin token file cannot be read or holds no valid token (see the log)");
            case WRONG -> {
                LOG.warn(
                        "http: refused {} {} from {}: missing or wrong bearer token",
                        r.method(),
                        r.path(),
                        NetUtil.toAddressString(r.remote()));
                yield new Response(
                        401,
                        JSON,
                        "{\"error\": \"missing or wrong bearer token\"}\n",
                        Map.of("WWW-Authenticate", "Bearer"));
            }
        };
    }

    private boolean fromAdminNetwork(InetAddress peer) {
        for (AddressRange range : adminFrom) {
            if (range.contains(peer)) {
                return true;
            }
        }
        return false;
    }

    private Response setOverride(String pop, String body) {
        HealthMonitor monitor = health.get();
        if (monitor == null) {
            return error(
                    409, "no health probes are running (no checks in pops.yaml, or --no-probes): overrides need them");
        }
        JsonNode json;
        try {
            json = mapper.readTree(body.isBlank() ? "{}" : body);
        } catch (IOException e) {
            return error(
                    400, "body: not JSON (expected: {\"state\": \"drain\", \"for\": \"30m\", \"reason\": \"...\"})");
        }
        String state = json.path("state").asText("");
        AdminOverride.Action action = switch (state) {
            case "drain" -> AdminOverride.Action.DRAIN;
            case "force-up" -> AdminOverride.Action.FORCE_UP;
            default -> null;
        };
        if (action == null) {
            return error(400, "state: '" + state + "' (expected: drain or force-up)");
        }
        String reason = json.path("reason").asText("").strip();
        if (reason.isEmpty()) {
            return error(400, "reason: missing (expected: why, for the log and the status page)");
        }
        Instant now = clock.instant();
        Instant expires;
        try {
            if (json.hasNonNull("expires")) {
                expires = Instant.parse(json.get("expires").asText());
            } else if (json.hasNonNull("for")) {
                expires = now.plus(Durations.parse(json.get("for").asText()));
            } else {
                return error(400, "expires or for: missing (expected: an ISO-8601 instant or a duration like 30m)");
            }
        } catch (DateTimeParseException | IllegalArgumentException e) {
            return error(400, "expires/for: " + e.getMessage());
        }
        if (!expires.isAfter(now) || expires.isAfter(now.plus(MAX_OVERRIDE))) {
            return error(400, "expires: " + expires + " (expected: in the future, at most 7d ahead)");
        }
        try {
            monitor.override(pop, new AdminOverride(action, expires, reason));
        } catch (IllegalArgumentException e) {
            return error(monitor.view().indexOf(pop) < 0 ? 404 : 400, e.getMessage());
        }
        LOG.info("admin: {} {} until {} ({})", pop, state, expires, reason);
        return Response.of(
                200,
                JSON,
                mapper.createObjectNode()
                                .put("pop", pop)
                                .put("state", state)
                                .put("expires", expires.toString())
                                .put("reason", reason)
                                .toPrettyString()
                        + "\n");
    }

    private Response clearOverride(String pop, String reason) {
        HealthMonitor monitor = health.get();
        if (monitor == null) {
            return error(409, "no health probes are running: there are no overrides");
        }
        if (monitor.view().indexOf(pop) < 0) {
            return error(404, "pop: no PoP named '" + pop + "'");
        }
        boolean cleared = monitor.clearOverride(pop, reason == null ? "cleared by the admin API" : reason);
        LOG.info("admin: {} override {}", pop, cleared ? "cleared" : "was not set");
        return Response.of(
                200,
                JSON,
                mapper.createObjectNode()
                                .put("pop", pop)
                                .put("cleared", cleared)
                                .toPrettyString() + "\n");
    }

    /**
     * {@code POST /api/v1/pops/ID/drain} {@code {"at": "2026-12-07T10:00:00Z" or "in": "10m", "for":
     * "2h" (optional: until undrained), "reason": "..."}}: plans a drain (see {@link DrainSchedule}).
     */
    private Response scheduleDrain(String pop, String body) {
        if (!knownPop(pop)) {
            return error(404, "pop: no PoP named '" + pop + "'");
        }
        JsonNode json;
        try {
            json = mapper.readTree(body.isBlank() ? "{}" : body);
        } catch (IOException e) {
            return error(400, "body: not JSON (expected: {\"in\": \"10m\", \"reason\": \"...\"})");
        }
        String reason = json.path("reason").asText("").strip();
        if (reason.isEmpty()) {
            return error(400, "reason: missing (expected: why, for the log and the status page)");
        }
        Instant now = clock.instant();
        Instant at;
        Instant until;
        try {
            if (json.hasNonNull("at") == json.hasNonNull("in")) {
                return error(400, "at or in: give exactly one (an ISO-8601 instant, or a duration like 10m)");
            }
            at = json.hasNonNull("at")
                    ? Instant.parse(json.get("at").asText())
                    : now.plus(Durations.parse(json.get("in").asText()));
            until = json.hasNonNull("for")
                    ? at.plus(Durations.parse(json.get("for").asText()))
                    : Instant.MAX;
        } catch (DateTimeParseException | IllegalArgumentException e) {
            return error(400, "at/in/for: " + e.getMessage());
        }
        if (at.isBefore(now.minusSeconds(1)) || at.isAfter(now.plus(MAX_OVERRIDE))) {
            return error(400, "at: " + at + " (expected: from now to at most 7d ahead)");
        }
        if (!until.isAfter(at)) {
            return error(400, "for: " + json.path("for").asText() + " (expected: a duration above 0, like 2h)");
        }
        DrainSchedule.Drain d = new DrainSchedule.Drain(pop, at, until, reason);
        drains.schedule(d);
        String text = pop + ": drain scheduled at " + at
                + (until.equals(Instant.MAX) ? " until undrained" : " until " + until) + " (" + reason + ")";
        LOG.info("admin: {}", text);
        timeline.add("drain", text);
        ObjectNode out = mapper.createObjectNode().put("pop", pop).put("at", at.toString());
        if (!until.equals(Instant.MAX)) {
            out.put("until", until.toString());
        } else {
            out.putNull("until");
        }
        out.put("reason", reason);
        return Response.of(200, JSON, out.toPrettyString() + "\n");
    }

    /** {@code DELETE /api/v1/pops/ID/drain}: cancels a scheduled drain and clears a drain override. */
    private Response undrain(String pop, String reason) {
        if (!knownPop(pop)) {
            return error(404, "pop: no PoP named '" + pop + "'");
        }
        String why = reason == null ? "undrained by the admin API" : reason;
        boolean cancelled = drains.cancel(pop) != null;
        boolean cleared = false;
        HealthMonitor monitor = health.get();
        if (monitor != null && monitor.view().indexOf(pop) >= 0) {
            boolean drainOverride = monitor.view()
                    .pop(pop)
                    .flatMap(p -> p.override())
                    .filter(o -> o.action() == AdminOverride.Action.DRAIN)
                    .isPresent();
            if (drainOverride) {
                cleared = monitor.clearOverride(pop, why);
            }
        }
        if (cancelled) {
            timeline.add("drain", pop + ": scheduled drain cancelled (" + why + ")");
        }
        LOG.info(
                "admin: {} undrain: scheduled drain {}, drain override {}",
                pop,
                cancelled ? "cancelled" : "none",
                cleared ? "cleared" : "none");
        return Response.of(
                200,
                JSON,
                mapper.createObjectNode()
                                .put("pop", pop)
                                .put("cancelled", cancelled)
                                .put("cleared", cleared)
                                .toPrettyString()
                        + "\n");
    }

    private boolean knownPop(String pop) {
        for (dev.popdns.routing.Pop p : snapshot.get().routing().pops()) {
            if (p.id().equals(pop)) {
                return true;
            }
        }
        return false;
    }

    private Response reload() {
        reload.run();
        return Response.of(202, JSON, "{\"reload\": \"requested\"}\n");
    }

    private Response error(int status, String message) {
        return Response.of(
                status, JSON, mapper.createObjectNode().put("error", message).toPrettyString() + "\n");
    }

    private static Response notAllowed(String allow) {
        return new Response(405, "text/plain; charset=utf-8", "method not allowed\n", Map.of("Allow", allow));
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    private static String resource(String path) {
        try (InputStream in = StatusApi.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + path);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read resource " + path, e);
        }
    }
}
