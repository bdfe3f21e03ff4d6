package dev.popdns.status;

import dev.popdns.health.HealthMonitor;
import dev.popdns.health.PeerView;
import dev.popdns.peers.PeerExchange;
import dev.popdns.peers.PeerViewJson;
import dev.popdns.status.HttpServer.Request;
import dev.popdns.status.HttpServer.Response;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /api/v1/health}: this node's own probe view as its peers read it ({@link
 * PeerViewJson}), in front of another handler (the status API) or alone (the {@code peer-listen}
 * listener, which answers nothing else). With a peer token configured the request needs it as a
 * bearer token (compared in constant time; 401 otherwise); without one the endpoint is open, like
 * the status page.
 */
public final class PeerApi implements HttpServer.Handler {
    private static final Logger LOG = LoggerFactory.getLogger(PeerApi.class);
    static final String PATH = "/api/v1/health";
    private static final String JSON = "application/json";

    private final Supplier<HealthMonitor> monitor;
    private final Supplier<PeerExchange> exchange;
    private final String self;
    private final Supplier<String> digest;
    private final byte[] tokenDigest;
    private final HttpServer.Handler next;
    private final Clock clock;

    /**
     * @param monitor the running monitor, or null when nothing is probed
     * @param exchange the exchange when peers are configured, else null (the view is then the
     *     monitor's own, under {@code self})
     * @param self this node's id when there is no exchange
     * @param digestOfChecks the digest of the checks when there is no exchange
     * @param token the peer bearer token, or null for an open endpoint
     * @param next the handler of every other path, or null to answer 404
     */
    public PeerApi(
            Supplier<HealthMonitor> monitor,
            Supplier<PeerExchange> exchange,
            String self,
            Supplier<String> digestOfChecks,
            String token,
            HttpServer.Handler next,
            Clock clock) {
        this.monitor = monitor;
        this.exchange = exchange;
        this.self = self;
        this.digest = digestOfChecks;
        this.tokenDigest = token == null ? null : sha256(token);
        this.next = next;
        this.clock = clock;
    }

    @Override
    public Response handle(Request r) {
        if (!r.path().equals(PATH)) {
            return next != null
                    ? next.handle(r)
                    : Response.text(404, "not found (this listener serves only " + PATH + ")\n");
        }
        if (!r.method().equals("GET")) {
            return new Response(405, "text/plain; charset=utf-8", "method not allowed\n", Map.of("Allow", "GET, HEAD"));
        }
        if (tokenDigest != null) {
            String auth = r.authorization();
            if (auth == null
                    || !auth.startsWith("Bearer ")
                    || !MessageDigest.isEqual(
                            tokenDigest,
                            sha256(auth.substring("Bearer ".length()).trim()))) {
                LOG.warn(
                        "http: refused GET {} from {}: missing or wrong peer token",
                        PATH,
                        r.remote().getHostAddress());
                return new Response(
                        401,
                        JSON,
                        "{\"error\": \"missing or wrong bearer token\"}\n",
                        Map.of("WWW-Authenticate", "Bearer"));
            }
        }
        PeerExchange peers = exchange.get();
        PeerView view;
        boolean voteOnly = false;
        if (peers != null && peers.ownView() != null) {
            view = peers.ownView();
            voteOnly = peers.voteOnly();
        } else {
            HealthMonitor running = monitor.get();
            if (running == null) {
                return Response.of(503, JSON, "{\"error\": \"no health probes are running\"}\n");
            }
            view = PeerView.of(self, digest.get(), running.view(), clock.instant());
        }
        return Response.of(200, JSON, PeerViewJson.write(view, voteOnly) + "\n");
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
