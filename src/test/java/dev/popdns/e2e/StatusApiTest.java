package dev.popdns.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.popdns.e2e.DnsClient.Transport;
import dev.popdns.e2e.web.ProbeTargets;
import dev.popdns.e2e.web.ProbeTargets.Answer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.ClientSubnetOption;
import org.xbill.DNS.Message;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * The HTTP surface end to end (issue 5): the packaged server with three PoPs probed at in-test
 * HTTP targets on 127.0.0.2-4, located in Falkenstein (hq), Amsterdam and Ashburn; clients
 * located by EDNS Client Subnet in the pinned GeoLite2 City database. A failing target shows in
 * the JSON status and the metrics and moves DNS answers; the admin calls need the bearer token,
 * which no response and no log line ever contains. A second server without a token file refuses
 * admin calls with 403.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class StatusApiTest {
    private static final Path DB = Path.of(System.getProperty("popdns.root", "../.."), "geoip/data/GeoLite2-City.mmdb");
    private static final String TOKEN = "api-test-secret-7f3a9c2e51d84b06";
    private static final String HQ_TARGET = "127.0.0.2";
    private static final String EU_WEST_TARGET = "127.0.0.3";
    private static final String US_EAST_TARGET = "127.0.0.4";
    private static final String HQ_A = "192.0.2.1";
    private static final String EU_WEST_A = "192.0.2.4";
    private static final String US_EAST_A = "198.51.100.10";
    /** TU Delft (NL): nearest eu-west, then hq. */
    private static final String DUTCH = "131.180.1.0";
    /** MIT (US east): nearest us-east, then eu-west. */
    private static final String AMERICAN = "128.30.1.0";
    /** Probes run every 500 ms, DOWN after 2 failures, UP after 1 success: a change shows within ~1 s; allow for a loaded machine. */
    private static final Duration CHANGE = Duration.ofSeconds(10);

    private static final ObjectMapper JSON = new ObjectMapper();

    private static ProbeTargets targets;
    private static ServerProcess server;
    private static ServerProcess withoutAdmin;
    private static Path zonesDir;
    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    /** Every response any test got, to show the token is in none of them. */
    private static final List<HttpResponse<String>> RESPONSES = new ArrayList<>();

    @BeforeAll
    static void start(@TempDir Path dir) throws Exception {
        assertTrue(Files.isRegularFile(DB), "GeoLite2 database missing at " + DB + ": run geoip/fetch-geolite2.sh");
        targets = ProbeTargets.start(List.of(HQ_TARGET, EU_WEST_TARGET, US_EAST_TARGET));
        Path zones = Files.createDirectory(dir.resolve("zones"));
        zonesDir = zones;
        Files.copy(Path.of("resources/geo/geo.test.zone"), zones.resolve("geo.test.zone"));
        Files.writeString(zones.resolve("pops.yaml"), """
                pops:
                  hq:
                    hq: true
                    location: [50.47, 12.37]
                    addresses: [%s]
                    probe-address: %s
                  eu-west:
                    location: [52.37, 4.90]
                    addresses: [%s]
                    probe-address: %s
                  us-east:
                    location: [39.04, -77.49]
                    addresses: [%s]
                    probe-address: %s
                checks:
                  web: { http: "http://{address}:%d/health", expect: [200], body: "OK",
                         interval: 500ms, timeout: 500ms, rise: 1, fall: 2 }
                names:
                  geo.test.: { ttl: 30, needs: [web] }
                """.formatted(
                        HQ_A, HQ_TARGET, EU_WEST_A, EU_WEST_TARGET, US_EAST_A, US_EAST_TARGET, targets.port()));
        Files.writeString(dir.resolve("admin-token"), TOKEN + "\n");
        Files.writeString(dir.resolve("popdns.yaml"), "identity: ns1.api.test\nadmin-token-file: admin-token\n");
        server = ServerProcess.start(
                zones, "--config", dir.resolve("popdns.yaml").toString(), "--geoip", DB.toString());
        Path plain = Files.createDirectory(dir.resolve("plain"));
        Files.copy(Path.of("resources/geo/geo.test.zone"), plain.resolve("geo.test.zone"));
        withoutAdmin = ServerProcess.start(plain);
    }

    @AfterAll
    static void stop() {
        try (ProbeTargets t = targets;
                ServerProcess s = server;
                ServerProcess w = withoutAdmin) {
            // closed in reverse order, each even when another fails
        }
    }

    @Test
    @Order(1)
    void aFailingTargetIsDownInTheStatusAndTheMetricsAndMovesAnswers() throws Exception {
        assertEquals(US_EAST_A, answer(AMERICAN));
        targets.answer(US_EAST_TARGET, Answer.status(503));
        try {
            JsonNode status = server.awaitStatus(
                    CHANGE,
                    s -> check(s, "us-east").path("state").asText().equals("down")
                            && timeline(s).contains("us-east web: UP -> DOWN"));
            JsonNode web = check(status, "us-east");
            assertEquals("HTTP 503 (expected: 200)", web.path("last_error").asText(), web.toString());
            assertFalse(Instant.parse(web.path("since").asText())
                    .isAfter(Instant.parse(status.path("server").path("now").asText())));
            assertTrue(web.path("for_seconds").asLong() >= 0, web.toString());
            assertTrue(web.path("latency_ms").isNumber(), web.toString());
            assertEquals("up", check(status, "hq").path("state").asText());
            assertFalse(status.path("prober_cut_off").asBoolean());
            assertTrue(
                    timeline(status)
                            .contains(
                                    "us-east web: UP -> DOWN (2 consecutive failures (fall 2), last: HTTP 503 (expected: 200))"),
                    timeline(status));
            String metrics = get(server, "/metrics").body();
            assertTrue(metrics.contains("popdns_health_up{check=\"web\",pop=\"us-east\"} 0.0"), metrics);
            assertTrue(metrics.contains("popdns_health_up{check=\"web\",pop=\"hq\"} 1.0"), metrics);
            assertTrue(
                    sample(metrics, "popdns_probe_results_total{check=\"web\",pop=\"us-east\",result=\"down\"}") >= 1,
                    metrics);
            assertTrue(
                    sample(metrics, "popdns_probe_results_total{check=\"web\",pop=\"us-east\",result=\"up\"}") >= 1,
                    metrics);
            assertTrue(
                    sample(metrics, "popdns_probe_duration_seconds_count{check=\"web\",pop=\"us-east\"}") >= 2,
                    metrics);
            assertEquals(0.0, sample(metrics, "popdns_prober_cut_off"));
            // the answers above located their ECS subnets in the client table; the table's size; the pinned database's
            // build date
            assertTrue(sample(metrics, "popdns_geoip_lookups_total{result=\"located\"}") >= 1, metrics);
            assertTrue(sample(metrics, "popdns_geoip_table_networks") > 10_000, metrics);
            assertTrue(sample(metrics, "popdns_geoip_table_classes") >= 2, metrics);
            assertTrue(sample(metrics, "popdns_geoip_table_build_seconds") > 0, metrics);
            assertEquals(
                    1577209301.0,
                    sample(metrics, "popdns_geoip_build_timestamp_seconds"),
                    "GeoLite2 of 2019-12-24T17:41:41Z");
            assertEquals(EU_WEST_A, answer(AMERICAN), "us-east fails web: the next nearest, eu-west");
        } finally {
            targets.answer(US_EAST_TARGET, Answer.OK);
        }
        JsonNode recovered = server.awaitStatus(
                CHANGE,
                s -> check(s, "us-east").path("state").asText().equals("up")
                        && timeline(s).contains("us-east web: DOWN -> UP"));
        assertTrue(timeline(recovered).contains("us-east web: DOWN -> UP"), timeline(recovered));
        assertEquals(US_EAST_A, answer(AMERICAN));
        assertTrue(get(server, "/metrics").body().contains("popdns_health_up{check=\"web\",pop=\"us-east\"} 1.0"));
    }

    @Test
    @Order(2)
    void anOverrideWithTheTokenDrainsAPopAndDeleteBringsItBack() throws Exception {
        assertEquals(EU_WEST_A, answer(DUTCH));
        HttpResponse<String> drained = call(
                server,
                "POST",
                "/api/v1/pops/eu-west/override",
                "Bearer " + TOKEN,
                "{\"state\": \"drain\", \"for\": \"10m\", \"reason\": \"kernel upgrade\"}");
        assertEquals(200, drained.statusCode(), drained.body());
        JsonNode set = JSON.readTree(drained.body());
        assertEquals("eu-west", set.path("pop").asText());
        assertEquals("drain", set.path("state").asText());
        Duration left = Duration.between(
                Instant.now(), Instant.parse(set.path("expires").asText()));
        assertTrue(
                left.compareTo(Duration.ofMinutes(9)) > 0 && left.compareTo(Duration.ofMinutes(11)) < 0,
                left.toString());
        assertEquals(HQ_A, answer(DUTCH), "eu-west drained: the next query goes to the next nearest, hq");
        JsonNode status = JSON.readTree(get(server, "/api/v1/status").body());
        JsonNode override = ServerProcess.pop(status, "eu-west").path("override");
        assertEquals("drain", override.path("action").asText(), status.toString());
        assertEquals("kernel upgrade", override.path("reason").asText());
        assertEquals(set.path("expires").asText(), override.path("expires").asText());
        assertTrue(timeline(status).contains("eu-west: DRAIN until"), timeline(status));
        JsonNode explained = JSON.readTree(get(server, "/api/v1/explain?name=geo.test.&type=A&client=131.180.1.1")
                .body());
        assertEquals("hq", explained.path("answer").asText(), explained.toString());
        assertEquals("NL", explained.path("location").path("country").asText());

        HttpResponse<String> cleared = call(server, "DELETE", "/api/v1/pops/eu-west/override", "Bearer " + TOKEN, null);
        assertEquals(200, cleared.statusCode(), cleared.body());
        assertTrue(JSON.readTree(cleared.body()).path("cleared").asBoolean(), cleared.body());
        assertEquals(EU_WEST_A, answer(DUTCH), "override cleared: back to eu-west");
        JsonNode after = JSON.readTree(get(server, "/api/v1/status").body());
        assertTrue(ServerProcess.pop(after, "eu-west").path("override").isMissingNode(), after.toString());
        assertTrue(timeline(after).contains("eu-west: override cleared"), timeline(after));
    }

    @Test
    @Order(3)
    void aMissingOrWrongTokenIs401AndChangesNothing() throws Exception {
        String drain = "{\"state\": \"drain\", \"for\": \"10m\", \"reason\": \"should not happen\"}";
        int mark = server.logSize();
        for (String authorization : new String[] {
            null,
            "Bearer wrong-token-of-enough-length",
            "Bearer " + TOKEN + "x",
            "Bearer " + TOKEN.substring(1),
            "Basic " + TOKEN,
            TOKEN
        }) {
            HttpResponse<String> refused = call(server, "POST", "/api/v1/pops/eu-west/override", authorization, drain);
            assertEquals(401, refused.statusCode(), authorization + ": " + refused.body());
            assertEquals(
                    "Bearer", refused.headers().firstValue("WWW-Authenticate").orElse(null));
            assertEquals("{\"error\": \"missing or wrong bearer token\"}\n", refused.body());
        }
        assertEquals(
                401,
                call(server, "DELETE", "/api/v1/pops/eu-west/override", "Bearer nope", null)
                        .statusCode());
        assertEquals(401, call(server, "POST", "/api/v1/reload", null, "").statusCode());
        JsonNode status = JSON.readTree(get(server, "/api/v1/status").body());
        assertTrue(ServerProcess.pop(status, "eu-west").path("override").isMissingNode(), status.toString());
        assertEquals(EU_WEST_A, answer(DUTCH));
        assertTrue(
                server.awaitLogAfter(
                        mark,
                        l -> l.contains(
                                "refused POST /api/v1/pops/eu-west/override from 127.0.0.1: missing or wrong bearer token"),
                        Duration.ofSeconds(5)),
                server.logText());
    }

    @Test
    @Order(4)
    void withoutATokenFileAdminCallsAre403() throws Exception {
        String drain = "{\"state\": \"drain\", \"for\": \"10m\", \"reason\": \"x\"}";
        for (HttpResponse<String> r : List.of(
                call(withoutAdmin, "POST", "/api/v1/pops/hq/override", "Bearer " + TOKEN, drain),
                call(withoutAdmin, "DELETE", "/api/v1/pops/hq/override", null, null),
                call(withoutAdmin, "POST", "/api/v1/reload", "Bearer " + TOKEN, ""))) {
            assertEquals(403, r.statusCode(), r.body());
            assertTrue(r.body().contains("admin calls are disabled"), r.body());
        }
        assertTrue(
                withoutAdmin.logText().contains("http: admin calls disabled (no admin-token-file)"),
                withoutAdmin.logText());
    }

    @Test
    @Order(5)
    void reloadWithTheTokenIs202AndLandsInTheTimeline() throws Exception {
        long before = JSON.readTree(get(server, "/api/v1/status").body())
                .path("reloads")
                .path("ok")
                .asLong();
        HttpResponse<String> accepted = call(server, "POST", "/api/v1/reload", "Bearer " + TOKEN, "");
        assertEquals(202, accepted.statusCode(), accepted.body());
        assertEquals("{\"reload\": \"requested\"}\n", accepted.body());
        JsonNode status =
                server.awaitStatus(CHANGE, s -> s.path("reloads").path("ok").asLong() > before);
        assertTrue(
                status.path("reloads").path("last").asText().matches("ok after .*: serials geo\\.test\\.=1"),
                status.toString());
        JsonNode newest = status.path("timeline").get(0);
        assertEquals(
                "reload", newest.path("kind").asText(), status.path("timeline").toString());
        assertEquals(
                status.path("reloads").path("last").asText(),
                newest.path("text").asText());
        assertTrue(server.logText().contains("reload: requested by admin API"), server.logText());
        assertTrue(sample(get(server, "/metrics").body(), "popdns_config_reloads_total{result=\"ok\"}") >= 1);
        assertEquals(EU_WEST_A, answer(DUTCH), "still routed after the reload");
    }

    @Test
    @Order(6)
    void unknownPathsAndWrongMethodsGetShortAnswers() throws Exception {
        HttpResponse<String> missing = get(server, "/no/such/page");
        assertEquals(404, missing.statusCode());
        assertEquals("not found\n", missing.body());
        assertEquals(404, call(server, "DELETE", "/no/such/page", null, null).statusCode());
        String[][] wrong = {
            {"POST", "/api/v1/status", "GET, HEAD"},
            {"PUT", "/", "GET, HEAD"},
            {"DELETE", "/metrics", "GET, HEAD"},
            {"GET", "/api/v1/reload", "POST"},
            {"PUT", "/api/v1/pops/eu-west/override", "POST, DELETE"},
            {"GET", "/api/v1/pops/eu-west/override", "POST, DELETE"},
        };
        for (String[] w : wrong) {
            HttpResponse<String> r = call(server, w[0], w[1], "Bearer " + TOKEN, w[0].equals("GET") ? null : "");
            assertEquals(405, r.statusCode(), w[0] + " " + w[1]);
            assertEquals("method not allowed\n", r.body());
            assertEquals(w[2], r.headers().firstValue("Allow").orElse(null), w[0] + " " + w[1]);
        }
        HttpResponse<String> nowhere = call(
                server,
                "POST",
                "/api/v1/pops/nowhere/override",
                "Bearer " + TOKEN,
                "{\"state\": \"drain\", \"for\": \"10m\", \"reason\": \"x\"}");
        assertEquals(404, nowhere.statusCode(), nowhere.body());
        assertTrue(nowhere.body().length() < 200, nowhere.body());
        HttpResponse<String> noReason = call(
                server,
                "POST",
                "/api/v1/pops/eu-west/override",
                "Bearer " + TOKEN,
                "{\"state\": \"drain\", \"for\": \"10m\"}");
        assertEquals(400, noReason.statusCode(), noReason.body());
        assertTrue(noReason.body().contains("reason: missing"), noReason.body());
        assertEquals(200, get(server, "/healthz").statusCode());
        assertEquals("ready\n", get(server, "/readyz").body());
        HttpResponse<String> page = get(server, "/");
        assertEquals(200, page.statusCode());
        assertTrue(page.headers().firstValue("Content-Type").orElse("").startsWith("text/html"));
        assertTrue(page.body().contains("/api/v1/status"), "the page reads the status API");
    }

    @Test
    @Order(7)
    void theTokenIsInNoResponseAndNoLogLine() throws Exception {
        for (String path : List.of(
                "/",
                "/api/v1/status",
                "/metrics",
                "/api/v1/explain?name=geo.test.&client=128.30.1.1",
                "/healthz",
                "/readyz")) {
            get(server, path);
        }
        assertTrue(RESPONSES.size() > 30, "responses seen: " + RESPONSES.size());
        for (HttpResponse<String> r : RESPONSES) {
            assertFalse(r.body().contains(TOKEN), r.request().uri() + " answered with the token");
            assertFalse(r.headers().toString().contains(TOKEN), r.request().uri() + " has the token in a header");
        }
        assertFalse(server.logText().contains(TOKEN), "the token is in the server log");
        assertFalse(server.logText().contains(TOKEN.substring(0, 12)), "a part of the token is in the server log");
    }

    @Test
    @Order(8)
    void anOverrideOutlivesAReloadThatChangesTheChecks() throws Exception {
        HttpResponse<String> drained = call(
                server,
                "POST",
                "/api/v1/pops/eu-west/override",
                "Bearer " + TOKEN,
                "{\"state\": \"drain\", \"for\": \"10m\", \"reason\": \"rack move\"}");
        assertEquals(200, drained.statusCode(), drained.body());
        assertEquals(HQ_A, answer(DUTCH));
        long before = JSON.readTree(get(server, "/api/v1/status").body())
                .path("reloads")
                .path("ok")
                .asLong();
        Path pops = zonesDir.resolve("pops.yaml");
        String original = Files.readString(pops);
        // a pull request that changes a check: the reload starts a new health monitor
        Files.writeString(pops, original.replace("rise: 1, fall: 2", "rise: 1, fall: 3"));
        try {
            JsonNode status =
                    server.awaitStatus(CHANGE, s -> s.path("reloads").path("ok").asLong() > before);
            assertTrue(server.logText().contains("health: override of eu-west (DRAIN until "), server.logText());
            JsonNode override = ServerProcess.pop(status, "eu-west").path("override");
            assertEquals("drain", override.path("action").asText(), status.toString());
            assertEquals("rack move", override.path("reason").asText());
            assertEquals(
                    JSON.readTree(drained.body()).path("expires").asText(),
                    override.path("expires").asText());
            assertEquals(HQ_A, answer(DUTCH), "still drained after the reload");
        } finally {
            HttpResponse<String> cleared =
                    call(server, "DELETE", "/api/v1/pops/eu-west/override", "Bearer " + TOKEN, null);
            assertEquals(200, cleared.statusCode(), cleared.body());
            restore(pops, original);
        }
        assertEquals(EU_WEST_A, answer(DUTCH), "the override was cleared on the new monitor");
    }

    @Test
    @Order(9)
    void addingAPopKeepsTheStateOfEveryOtherCheck() throws Exception {
        JsonNode before = JSON.readTree(get(server, "/api/v1/status").body());
        String hqSince = check(before, "hq").path("since").asText();
        String usEastSince = check(before, "us-east").path("since").asText();
        long reloads = before.path("reloads").path("ok").asLong();
        Path pops = zonesDir.resolve("pops.yaml");
        String original = Files.readString(pops);
        // a pull request that adds a PoP: a new health monitor, same checks for the others
        Files.writeString(pops, original.replace("""
                checks:
                """, """
                  ap-southeast:
                    location: [1.35, 103.82]
                    addresses: [203.0.113.30]
                    probe-address: %s
                checks:
                """.formatted(HQ_TARGET)));
        try {
            JsonNode after =
                    server.awaitStatus(CHANGE, s -> s.path("reloads").path("ok").asLong() > reloads);
            assertEquals("up", check(after, "ap-southeast").path("state").asText(), after.toString());
            assertEquals(hqSince, check(after, "hq").path("since").asText(), "hq web kept its state and since");
            assertEquals(
                    usEastSince,
                    check(after, "us-east").path("since").asText(),
                    "us-east web kept its state and since");
            assertEquals(EU_WEST_A, answer(DUTCH));
        } finally {
            restore(pops, original);
        }
    }

    @Test
    @Order(10)
    void aPopRemovedByAReloadLeavesTheMetrics() throws Exception {
        long reloads = JSON.readTree(get(server, "/api/v1/status").body())
                .path("reloads")
                .path("ok")
                .asLong();
        Path pops = zonesDir.resolve("pops.yaml");
        String original = Files.readString(pops);
        Files.writeString(pops, original.replace("""
                checks:
                """, """
                  ap-southeast:
                    location: [1.35, 103.82]
                    addresses: [203.0.113.30]
                    probe-address: %s
                checks:
                """.formatted(HQ_TARGET)));
        try {
            server.awaitStatus(CHANGE, s -> s.path("reloads").path("ok").asLong() > reloads);
            String metrics = get(server, "/metrics").body();
            assertEquals(1, sample(metrics, "popdns_health_up{check=\"web\",pop=\"ap-southeast\"}"), metrics);
            assertEquals(0, sample(metrics, "popdns_answers_total{name=\"geo.test.\",pop=\"ap-southeast\"}"), metrics);
        } finally {
            restore(pops, original);
        }
        // the PoP is gone: none of its series stays behind to keep an alert firing
        String metrics = get(server, "/metrics").body();
        assertFalse(metrics.contains("pop=\"ap-southeast\""), metrics);
        // answers after the reload count under the labels of the table that answered them
        String series = "popdns_answers_total{name=\"geo.test.\",pop=\"eu-west\"}";
        double before = sample(metrics, series);
        assertEquals(EU_WEST_A, answer(DUTCH));
        assertEquals(before + 1, sample(get(server, "/metrics").body(), series));
    }

    /** Writes the original pops.yaml back and waits for the reload that takes it. */
    private static void restore(Path pops, String original) throws Exception {
        long reloads = JSON.readTree(get(server, "/api/v1/status").body())
                .path("reloads")
                .path("ok")
                .asLong();
        Files.writeString(pops, original);
        server.awaitStatus(CHANGE, s -> s.path("reloads").path("ok").asLong() > reloads);
    }

    private static HttpResponse<String> get(ServerProcess target, String path)
            throws IOException, InterruptedException {
        return call(target, "GET", path, null, null);
    }

    /** One request; {@code body} null sends none. */
    private static HttpResponse<String> call(
            ServerProcess target, String method, String path, String authorization, String body)
            throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + target.httpPort + path))
                .timeout(Duration.ofSeconds(5))
                .method(
                        method,
                        body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        HttpResponse<String> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
        synchronized (RESPONSES) {
            RESPONSES.add(response);
        }
        return response;
    }

    private static JsonNode check(JsonNode status, String pop) {
        return ServerProcess.pop(status, pop).path("checks").path("web");
    }

    private static String timeline(JsonNode status) {
        StringBuilder text = new StringBuilder();
        for (JsonNode e : status.path("timeline")) {
            text.append(e.path("kind").asText())
                    .append(": ")
                    .append(e.path("text").asText())
                    .append('\n');
        }
        return text.toString();
    }

    /** The value of one Prometheus sample line, e.g. {@code name{label="x"} 3.0}. */
    private static double sample(String metrics, String series) {
        Matcher m =
                Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(metrics);
        assertTrue(m.find(), "no sample " + series + " in:\n" + metrics);
        return Double.parseDouble(m.group(1));
    }

    /** The A record geo.test. gets for a client in {@code subnet}/24 (over UDP, with ECS). */
    private static String answer(String subnet) throws IOException {
        Message q = DnsClient.query("geo.test.", Type.A);
        q.addRecord(
                new OPTRecord(1232, 0, 0, 0, List.of(new ClientSubnetOption(24, InetAddress.getByName(subnet)))),
                Section.ADDITIONAL);
        Message reply = DnsClient.ask(Transport.UDP, server.v4(), q);
        assertEquals(Rcode.NOERROR, reply.getRcode(), reply.toString());
        List<org.xbill.DNS.Record> records = reply.getSection(Section.ANSWER);
        assertEquals(1, records.size(), reply.toString());
        return records.get(0).rdataToString();
    }
}
