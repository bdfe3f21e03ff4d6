package dev.popdns.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import java.util.List;
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
 * The operator's commands against the packaged server (issue 13): {@code popdns explain} asks the
 * running server and shows live health and overrides, or says loudly that it is offline;
 * {@code popdns status} prints the PoP x check matrix, overrides and timeline. eu-west's check is
 * a per-PoP override with a literal URL (on 127.0.0.13) while its probe address (127.0.0.14)
 * serves nothing: eu-west is UP only because the literal URL is what gets probed.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OperatorCommandsTest {
    private static final Path DB = Path.of(System.getProperty("popdns.root", "../.."), "geoip/data/GeoLite2-City.mmdb");
    private static final String TOKEN = "operator-test-secret-0c94d1e7b2";
    private static final String HQ_TARGET = "127.0.0.11";
    private static final String US_EAST_TARGET = "127.0.0.12";
    private static final String EU_WEST_LITERAL = "127.0.0.13";
    /** TU Delft (NL): nearest eu-west, then hq. */
    private static final String DUTCH = "131.180.1.1";

    private static final Duration CHANGE = Duration.ofSeconds(20);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static ProbeTargets targets;
    private static ServerProcess server;
    private static Path cliConfig;
    private static Path zonesDir;

    @BeforeAll
    static void start(@TempDir Path dir) throws Exception {
        assertTrue(Files.isRegularFile(DB), "GeoLite2 database missing at " + DB + ": run geoip/fetch-geolite2.sh");
        targets = ProbeTargets.start(List.of(HQ_TARGET, US_EAST_TARGET, EU_WEST_LITERAL));
        Path zones = Files.createDirectory(dir.resolve("zones"));
        zonesDir = zones;
        Files.copy(Path.of("resources/geo/geo.test.zone"), zones.resolve("geo.test.zone"));
        Files.writeString(zones.resolve("pops.yaml"), """
                pops:
                  hq:
                    hq: true
                    location: [50.47, 12.37]
                    addresses: [192.0.2.1]
                    probe-address: %s
                  eu-west:
                    location: [52.37, 4.90]
                    addresses: [192.0.2.4]
                    probe-address: 127.0.0.14
                    checks:
                      web: { http: "http://%s:%d/health" }
                  us-east:
                    location: [39.04, -77.49]
                    addresses: [198.51.100.10]
                    probe-address: %s
                checks:
                  web: { http: "http://{address}:%d/health", expect: [200], body: "OK",
                         interval: 500ms, timeout: 500ms, rise: 1, fall: 2 }
                names:
                  geo.test.: { ttl: 30, needs: [web] }
                """.formatted(
                        HQ_TARGET, EU_WEST_LITERAL, targets.port(), US_EAST_TARGET, targets.port()));
        Files.writeString(dir.resolve("admin-token"), TOKEN + "\n");
        Files.writeString(dir.resolve("popdns.yaml"), "identity: ns1.operator.test\nadmin-token-file: admin-token\n");
        server = ServerProcess.start(
                zones, "--config", dir.resolve("popdns.yaml").toString(), "--geoip", DB.toString());
        // what an operator's config on the same host says: where the server's HTTP side is, and the token
        cliConfig = dir.resolve("cli.yaml");
        Files.writeString(
                cliConfig, "http: 127.0.0.1:" + server.httpPort + "\nadmin-token-file: admin-token\nzones: zones\n");
    }

    @AfterAll
    static void stop() {
        try (ProbeTargets t = targets;
                ServerProcess s = server) {
            // both closed, each even when the other fails
        }
    }

    @Test
    @Order(1)
    void aLiteralPerPopUrlIsWhatGetsProbed() throws Exception {
        JsonNode status = server.awaitStatus(CHANGE, s -> state(s, "eu-west").equals("up"));
        assertEquals("up", state(status, "eu-west"), status.toString());
        assertEquals("192.0.2.4", answer(DUTCH));
        targets.answer(EU_WEST_LITERAL, Answer.status(503));
        try {
            server.awaitStatus(CHANGE, s -> state(s, "eu-west").equals("down"));
            assertEquals("192.0.2.1", answer(DUTCH), "eu-west DOWN at its literal URL: the Dutch client gets hq");
        } finally {
            targets.answer(EU_WEST_LITERAL, Answer.OK);
        }
        server.awaitStatus(CHANGE, s -> state(s, "eu-west").equals("up"));
        assertEquals("192.0.2.4", answer(DUTCH));
    }

    @Test
    @Order(2)
    void explainAndStatusShowLiveHealth() throws Exception {
        targets.answer(EU_WEST_LITERAL, Answer.status(503));
        try {
            server.awaitStatus(CHANGE, s -> state(s, "eu-west").equals("down"));
            JarCommand.Result r = JarCommand.run("explain", "geo.test.", "A", DUTCH, "--config", cliConfig.toString());
            assertEquals(0, r.exit(), r.err());
            String out = r.out();
            assertTrue(
                    out.startsWith("server:    http://127.0.0.1:" + server.httpPort
                            + " (live: health and overrides as the server sees them now)\n"),
                    out);
            assertTrue(
                    out.contains(
                            "  1. eu-west              53 km, NOT eligible (web DOWN (HTTP 503 (expected: 200)))\n"),
                    out);
            assertTrue(
                    out.contains("  2. hq                  582 km, HQ, eligible (every needed check UP: web)\n"), out);
            assertTrue(out.contains("answer:    hq (nearest)\n"), out);
            assertTrue(out.contains("ttl:       30 s\n"), out);
            assertTrue(!out.contains("OFFLINE"), out);

            JarCommand.Result st = JarCommand.run("status", "--server", "http://127.0.0.1:" + server.httpPort);
            assertEquals(0, st.exit(), st.err());
            // columns are padded to the widest cell: compare with runs of spaces as one
            List<String> lines =
                    st.out().lines().map(l -> l.replaceAll(" +", " ")).toList();
            assertTrue(lines.get(0).startsWith("popdns ns1.operator.test ("), st.out());
            assertTrue(lines.contains("PoP state web override / drain"), st.out());
            assertTrue(lines.contains("hq (HQ) active UP -"), st.out());
            assertTrue(lines.contains("eu-west active DOWN HTTP 503 (expected: 200) -"), st.out());
            assertTrue(st.out().contains(" state eu-west web: UP -> DOWN ("), st.out());
            assertTrue(st.out().contains("name geo.test. ttl 30: "), st.out());
        } finally {
            targets.answer(EU_WEST_LITERAL, Answer.OK);
        }
        server.awaitStatus(CHANGE, s -> state(s, "eu-west").equals("up"));
    }

    @Test
    @Order(3)
    void anOverrideShowsInExplainAndStatusAndOfflineExplainSaysSoLoudly() throws Exception {
        HttpResponse<String> drained = HTTP.send(
                HttpRequest.newBuilder(
                                URI.create("http://127.0.0.1:" + server.httpPort + "/api/v1/pops/eu-west/override"))
                        .header("Authorization", "Bearer " + TOKEN)
                        .POST(HttpRequest.BodyPublishers.ofString(
                                "{\"state\": \"drain\", \"for\": \"10m\", \"reason\": \"kernel upgrade\"}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, drained.statusCode(), drained.body());
        try {
            JarCommand.Result r = JarCommand.run("explain", "geo.test.", "A", DUTCH, "--config", cliConfig.toString());
            assertEquals(0, r.exit(), r.err());
            assertTrue(
                    r.out().contains("  1. eu-west              53 km, NOT eligible (drained by override until "),
                    r.out());
            assertTrue(r.out().contains(" (kernel upgrade))\n"), r.out());
            assertTrue(r.out().contains("answer:    hq (nearest)\n"), r.out());

            JarCommand.Result st = JarCommand.run("status", "--config", cliConfig.toString());
            assertEquals(0, st.exit(), st.err());
            assertTrue(
                    st.out()
                            .lines()
                            .anyMatch(l -> l.replaceAll(" +", " ").startsWith("eu-west active UP drain until ")
                                    && l.endsWith(" (kernel upgrade)")),
                    st.out());

            JarCommand.Result json = JarCommand.run("status", "--json", "--config", cliConfig.toString());
            assertEquals(0, json.exit(), json.err());
            JsonNode parsed = JSON.readTree(json.out());
            assertEquals(
                    "kernel upgrade",
                    ServerProcess.pop(parsed, "eu-west")
                            .path("override")
                            .path("reason")
                            .asText());

            // no server there: offline, loudly, with every PoP assumed UP (the drain is unknown)
            int nobody = ServerProcess.freePort();
            JarCommand.Result offline = JarCommand.run(
                    "explain",
                    "geo.test.",
                    "A",
                    DUTCH,
                    "--server",
                    "http://127.0.0.1:" + nobody,
                    "--zones",
                    zonesDir.toString(),
                    "--geoip",
                    DB.toString());
            assertEquals(0, offline.exit(), offline.err());
            assertTrue(
                    offline.out()
                            .startsWith(
                                    "*** OFFLINE (no server at http://127.0.0.1:" + nobody
                                            + ": connection refused (is popdns serve running there?)): live health and"
                                            + " overrides unknown;\n*** every PoP is assumed UP, only pops.yaml's state counts."),
                    offline.out());
            assertTrue(offline.err().contains("OFFLINE"), offline.err());
            assertTrue(offline.out().contains("answer:    eu-west (nearest)\n"), offline.out());

            JarCommand.Result down = JarCommand.run("status", "--server", "http://127.0.0.1:" + nobody);
            assertEquals(1, down.exit());
            assertTrue(
                    down.err().startsWith("popdns status: OFFLINE: no server at http://127.0.0.1:" + nobody),
                    down.err());
        } finally {
            HTTP.send(
                    HttpRequest.newBuilder(
                                    URI.create("http://127.0.0.1:" + server.httpPort + "/api/v1/pops/eu-west/override"))
                            .header("Authorization", "Bearer " + TOKEN)
                            .DELETE()
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
        }
    }

    private static String state(JsonNode status, String pop) {
        return ServerProcess.pop(status, pop)
                .path("checks")
                .path("web")
                .path("state")
                .asText();
    }

    /** The A record a client in {@code client}'s /24 gets (ECS). */
    private static String answer(String client) throws IOException {
        Message q = DnsClient.query("geo.test.", Type.A);
        q.addRecord(
                new OPTRecord(
                        1232,
                        0,
                        0,
                        0,
                        List.of(new ClientSubnetOption(
                                24, InetAddress.getByName(client.replaceAll("\\.\\d+$", ".0"))))),
                Section.ADDITIONAL);
        Message reply = DnsClient.ask(Transport.UDP, server.v4(), q);
        assertEquals(Rcode.NOERROR, reply.getRcode(), reply.toString());
        List<org.xbill.DNS.Record> records = reply.getSection(Section.ANSWER);
        assertEquals(1, records.size(), reply.toString());
        return records.get(0).rdataToString();
    }
}
