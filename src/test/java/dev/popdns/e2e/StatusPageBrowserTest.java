package dev.popdns.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.popdns.e2e.web.BrowserPage;
import dev.popdns.e2e.web.Chromium;
import dev.popdns.e2e.web.ProbeTargets;
import dev.popdns.e2e.web.ProbeTargets.Answer;
import java.io.IOException;
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

/**
 * The status page in a real browser (headless Chromium over the DevTools protocol) against the
 * packaged server, whose two PoPs are probed at in-test HTTP targets on 127.0.0.2 (hq) and
 * 127.0.0.3 (eu-west). The tests run in order, each building on the state the previous one left:
 * all UP; eu-west failing shows DOWN without a reload (on the map too: NL moves to hq's colour);
 * markup in probe errors and override reasons shows as text; every PoP failing raises the prober
 * cut-off alarm; a drained PoP is marked on the map and its countries move.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class StatusPageBrowserTest {
    private static final Path DB = Path.of(System.getProperty("popdns.root", "../.."), "geoip/data/GeoLite2-City.mmdb");
    private static final Path SHOTS = Path.of(System.getProperty("popdns.root", "../.."), "src/test/target");
    private static final String HQ = "127.0.0.2";
    private static final String EU_WEST = "127.0.0.3";
    private static final String TOKEN = "status-page-test-token-0123456789";
    /** Probes every 500 ms (DOWN after 2 failures), the page every 3 s: a change shows within ~4 s; allow for a loaded machine. */
    private static final Duration CHANGE = Duration.ofSeconds(12);
    /** Markup a probe error and an override reason will carry; it must never run. */
    private static final String SCRIPT = "<script>window.injected='script'</script>";

    private static final String IMAGE = "<img src=x onerror=\"window.injected='img'\">";

    private static ProbeTargets targets;
    private static ServerProcess server;
    private static Chromium chromium;
    private static BrowserPage page;
    private static String base;

    @BeforeAll
    static void start(@TempDir Path dir) throws Exception {
        Chromium.requireInstalled();
        assertTrue(Files.isRegularFile(DB), "GeoLite2 database missing at " + DB + ": run geoip/fetch-geolite2.sh");
        targets = ProbeTargets.start(List.of(HQ, EU_WEST));
        Path zones = Files.createDirectory(dir.resolve("zones"));
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
                    probe-address: %s
                checks:
                  web: { http: "http://{address}:%d/health", expect: [200], body: "OK",
                         interval: 500ms, timeout: 500ms, rise: 1, fall: 2 }
                names:
                  geo.test.: { ttl: 30, needs: [web] }
                  media.geo.test.: { ttl: 60, countries: { CN: hq } }
                """.formatted(HQ, EU_WEST, targets.port()));
        Files.writeString(dir.resolve("admin-token"), TOKEN + "\n");
        Files.writeString(dir.resolve("popdns.yaml"), "identity: ns1.status.test\nadmin-token-file: admin-token\n");
        server = ServerProcess.start(
                zones, "--config", dir.resolve("popdns.yaml").toString(), "--geoip", DB.toString());
        base = "http://127.0.0.1:" + server.httpPort + "/";
        chromium = Chromium.start(dir);
        page = chromium.newPage();
        page.viewport(1280, 900, false);
    }

    @AfterAll
    static void stop() {
        try (ProbeTargets t = targets;
                ServerProcess s = server;
                Chromium c = chromium) {
            // closed in reverse order, each even when another fails
        }
    }

    private static String cell(String pop, String check) {
        return "tr[data-pop=\"" + pop + "\"] td[data-check=\"" + check + "\"]";
    }

    /** A JavaScript test that the element's text contains {@code text}. */
    private static String contains(String selector, String text) throws IOException {
        return "(document.querySelector(" + json(selector) + ")?.textContent ?? '').includes(" + json(text) + ")";
    }

    /** A JavaScript test that the map shows {@code country} routed to {@code pop}, in that PoP's marker colour. */
    private static String mapCountryIn(String country, String pop) {
        String path = "document.querySelector('#map-countries path[data-cc=\"" + country + "\"]')";
        String marker = "document.querySelector('#map-pops [data-pop=\"" + pop + "\"] circle')";
        return "(" + path + "?.dataset.pop === '" + pop + "' && " + marker + " !== null && " + path
                + ".getAttribute('fill') === " + marker + ".getAttribute('fill'))";
    }

    private static void chooseMapName(String name) throws IOException {
        page.evaluate("(() => { const s = document.getElementById('map-name'); s.value = " + json(name)
                + "; s.dispatchEvent(new Event('change')); })()");
    }

    private static String mapState(String country) throws IOException {
        return page.evaluate("(() => { const p = document.querySelector('#map-countries path[data-cc=\"" + country
                        + "\"]'); return p ? p.dataset.pop + ' ' + p.getAttribute('fill') : 'no path'; })()")
                .asText();
    }

    private static String json(String s) throws IOException {
        return new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(s);
    }

    @Test
    @Order(1)
    void showsEveryPopWithItsChecksUp() throws Exception {
        page.navigate(base, Duration.ofSeconds(10));
        assertTrue(
                page.awaitTrue("document.querySelectorAll('tr[data-pop]').length === 2", CHANGE),
                "PoP rows never appeared; browser log:\n" + chromium.log());
        for (String pop : List.of("hq", "eu-west")) {
            assertTrue(page.awaitTrue(contains(cell(pop, "web") + " .state", "UP"), CHANGE), pop + " web not UP");
            assertEquals(
                    "up",
                    page.evaluate("document.querySelector('" + cell(pop, "web") + "').dataset.state")
                            .asText());
            assertTrue(page.text(cell(pop, "web")).matches("(?s)UP\\s*for \\d+s.*ms.*"), page.text(cell(pop, "web")));
        }
        assertEquals("ACTIVE", page.text("tr[data-pop=\"eu-west\"] td.admin .admin-word"));
        assertEquals("ns1.status.test", page.text("#identity"));
        assertTrue(page.text("#uptime").matches("\\d+s|\\d+m \\d+s"), page.text("#uptime"));
        assertEquals("1", page.text("tr[data-zone=\"geo.test.\"] .serial"));
        assertEquals("eu-west", page.text("[data-name=\"geo.test.\"] [data-country=\"GB\"] .chip"));
        assertEquals(
                "hq", page.text("[data-name=\"media.geo.test.\"] [data-country=\"CN\"] .chip"), "country override");
        assertTrue(page.text("[data-name=\"geo.test.\"] [data-resolver]").contains("127.0.0.1"));
        assertEquals(
                6,
                page.evaluate("document.querySelectorAll('[data-name=\"geo.test.\"] [data-continent]').length")
                        .asInt());
        assertEquals(
                20,
                page.evaluate("document.querySelectorAll('[data-name=\"geo.test.\"] [data-country]').length")
                        .asInt());
        assertTrue(page.awaitTrue(contains("#timeline", "eu-west web: UNKNOWN -> "), CHANGE), page.text("#timeline"));
        // the map: every country of Natural Earth 110m, NL in eu-west's colour, both PoPs UP
        assertTrue(page.evaluate("document.querySelectorAll('#map-countries path[data-cc]').length")
                        .asInt()
                > 170);
        assertTrue(page.awaitTrue(mapCountryIn("NL", "eu-west"), CHANGE), mapState("NL"));
        assertTrue(page.awaitTrue(mapCountryIn("PL", "hq"), CHANGE), mapState("PL"));
        assertTrue(page.screenshot(SHOTS.resolve("status-map-up.png"), "#map-section") > 10_000);
        assertEquals(
                "up",
                page.evaluate("document.querySelector('#map-pops [data-pop=\"eu-west\"]').dataset.state")
                        .asText());
        assertTrue(
                page.evaluate("document.getElementById('alarm').hidden").asBoolean(),
                "no cut-off alarm while all is well");
        assertEquals(List.of(), page.errors());
    }

    @Test
    @Order(2)
    void aFailingTargetShowsDownWithoutAPageReload() throws Exception {
        page.evaluate("window.sameDocument = true");
        int refreshes = page.evaluate("Number(document.body.dataset.refreshes)").asInt();
        targets.answer(EU_WEST, Answer.status(503));
        assertTrue(
                page.awaitTrue(contains(cell("eu-west", "web") + " .state", "DOWN"), CHANGE),
                "eu-west never turned DOWN on the page: " + page.text(cell("eu-west", "web")));
        assertTrue(
                page.evaluate("window.sameDocument === true").asBoolean(), "the page must update in place, not reload");
        assertTrue(page.evaluate("Number(document.body.dataset.refreshes)").asInt() > refreshes);
        assertEquals(
                "down",
                page.evaluate("document.querySelector('" + cell("eu-west", "web") + "').dataset.state")
                        .asText());
        assertTrue(
                page.text(cell("eu-west", "web") + " .error").contains("HTTP 503 (expected: 200)"),
                page.text(cell("eu-west", "web")));
        assertTrue(page.text(cell("hq", "web")).startsWith("UP"));
        assertEquals(
                "hq",
                page.text("[data-name=\"geo.test.\"] [data-country=\"GB\"] .chip"),
                "GB moves to hq: eu-west fails web");
        assertEquals(
                "eu-west",
                page.text("[data-name=\"media.geo.test.\"] [data-country=\"GB\"] .chip"),
                "media.geo.test. needs no checks");
        assertTrue(page.text("#timeline li").contains("eu-west web: UP -> DOWN"), page.text("#timeline li"));
        // the map: NL turns to hq's colour, eu-west's marker says DOWN
        assertTrue(page.awaitTrue(mapCountryIn("NL", "hq"), CHANGE), mapState("NL"));
        assertEquals(
                "down",
                page.evaluate("document.querySelector('#map-pops [data-pop=\"eu-west\"]').dataset.state")
                        .asText());
        assertEquals("eu-west DOWN", page.text("#map-pops [data-pop=\"eu-west\"] text"));
        assertTrue(page.screenshot(SHOTS.resolve("status-map.png"), "#map-section") > 10_000);
        // the selector: media.geo.test. needs no checks, so NL stays on eu-west there
        chooseMapName("media.geo.test.");
        assertTrue(page.awaitTrue(mapCountryIn("NL", "eu-west"), CHANGE), "media: " + mapState("NL"));
        chooseMapName("geo.test.");
        assertTrue(page.awaitTrue(mapCountryIn("NL", "hq"), CHANGE), mapState("NL"));
        assertEquals(
                "down",
                page.evaluate("document.querySelector('#timeline li').dataset.to")
                        .asText());
        assertEquals("1", page.text("#summary").substring(0, 1), page.text("#summary"));
        assertEquals(List.of(), page.errors());
    }

    @Test
    @Order(2)
    void aScheduledDrainShowsItsCountdown() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> planned = http.send(
                HttpRequest.newBuilder(URI.create(base + "api/v1/pops/eu-west/drain"))
                        .header("Authorization", "Bearer " + TOKEN)
                        .timeout(Duration.ofSeconds(5))
                        .POST(HttpRequest.BodyPublishers.ofString(
                                "{\"in\": \"10m\", \"for\": \"1h\", \"reason\": \"kernel upgrade\"}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, planned.statusCode(), planned.body());
        String drain = "tr[data-pop=\"eu-west\"] td.admin [data-scheduled-drain]";
        try {
            assertTrue(
                    page.awaitTrue(contains(drain, "kernel upgrade"), CHANGE), "no countdown: " + page.text("#pops"));
            assertTrue(
                    page.text(drain).matches("(?s)drain in (9m \\d+s|10m 0s) at \\d\\d:\\d\\d:\\d\\d UTC until .*"),
                    page.text(drain));
            assertEquals(
                    "ahead",
                    page.evaluate("document.querySelector('" + drain + "').dataset.scheduledDrain")
                            .asText());
        } finally {
            HttpResponse<String> cancelled = http.send(
                    HttpRequest.newBuilder(URI.create(base + "api/v1/pops/eu-west/drain"))
                            .header("Authorization", "Bearer " + TOKEN)
                            .timeout(Duration.ofSeconds(5))
                            .DELETE()
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, cancelled.statusCode(), cancelled.body());
        }
        assertTrue(page.awaitTrue("document.querySelector('" + drain + "') === null", CHANGE), page.text("#pops"));
    }

    @Test
    @Order(3)
    void markupInProbeErrorsAndOverrideReasonsShowsAsText() throws Exception {
        targets.answer(EU_WEST, Answer.redirect(SCRIPT + IMAGE));
        assertTrue(
                page.awaitTrue(contains(cell("eu-west", "web") + " .error", "HTTP 302 to " + SCRIPT + IMAGE), CHANGE),
                "the probe error never showed the Location as text: " + page.text(cell("eu-west", "web")));
        HttpResponse<String> forced = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create(base + "api/v1/pops/eu-west/override"))
                                .header("Authorization", "Bearer " + TOKEN)
                                .timeout(Duration.ofSeconds(5))
                                .POST(HttpRequest.BodyPublishers.ofString(
                                        "{\"state\": \"force-up\", \"for\": \"30m\", \"reason\": "
                                                + json(IMAGE + " the probe is wrong") + "}"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertEquals(200, forced.statusCode(), forced.body());
        String admin = "tr[data-pop=\"eu-west\"] td.admin";
        assertTrue(
                page.awaitTrue(contains(admin, IMAGE + " the probe is wrong"), CHANGE),
                "override reason never shown: " + page.text(admin));
        assertEquals(
                "force-up",
                page.evaluate("document.querySelector('" + admin + "').dataset.admin")
                        .asText());
        assertTrue(
                page.text(admin)
                        .matches(
                                "(?s)FORCED UP.*override until \\d\\d:\\d\\d:\\d\\d UTC \\((29m \\d+s|30m 0s) left\\).*"),
                page.text(admin));
        assertTrue(page.awaitTrue(contains("#timeline", "eu-west: FORCE_UP until"), CHANGE), page.text("#timeline"));
        assertEquals(
                "eu-west",
                page.text("[data-name=\"geo.test.\"] [data-country=\"GB\"] .chip"),
                "forced up: GB back on eu-west");
        // the text is on the page, and none of it became an element or ran
        assertTrue(
                page.evaluate("window.injected === undefined").asBoolean(),
                "injected markup ran: " + page.evaluate("window.injected"));
        assertEquals(
                0,
                page.evaluate("document.querySelectorAll('main img, main script, header img, header script').length")
                        .asInt());
        assertEquals(1, page.evaluate("document.scripts.length").asInt(), "only the page's own script");
        // and the page's code has no path that parses data as markup
        HttpResponse<String> source = HttpClient.newHttpClient()
                .send(HttpRequest.newBuilder(URI.create(base)).build(), HttpResponse.BodyHandlers.ofString());
        for (String sink :
                List.of("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function")) {
            assertFalse(source.body().contains(sink), "the status page uses " + sink);
        }
        assertEquals(List.of(), page.errors());
        assertTrue(page.screenshot(SHOTS.resolve("status-page.png")) > 10_000);
        page.viewport(390, 844, true);
        assertTrue(page.awaitTrue("document.documentElement.clientWidth === 390", CHANGE));
        assertEquals(
                390,
                page.evaluate("document.documentElement.scrollWidth").asInt(),
                "on a phone nothing may stick out sideways");
        assertTrue(page.screenshot(SHOTS.resolve("status-page-phone.png")) > 10_000);
        page.viewport(1280, 900, false);
    }

    @Test
    @Order(4)
    void everyPopFailingRaisesTheProberCutOffAlarm() throws Exception {
        targets.answer(HQ, Answer.status(503));
        assertTrue(
                page.awaitTrue("!document.getElementById('alarm').hidden", CHANGE),
                "no cut-off alarm: " + page.text("#timeline"));
        assertTrue(page.text("#alarm").contains("PROBER CUT OFF"));
        assertTrue(page.evaluate("document.title").asText().contains("PROBER CUT OFF"));
        assertTrue(
                page.awaitTrue(contains("#timeline li[data-kind=\"cut-off\"]", "prober cut off"), CHANGE),
                page.text("#timeline"));
        assertTrue(page.screenshot(SHOTS.resolve("status-page-cut-off.png")) > 10_000);
        targets.answer(HQ, Answer.OK);
        assertTrue(
                page.awaitTrue("document.getElementById('alarm').hidden", CHANGE),
                "the alarm stays after hq recovered");
        assertEquals(List.of(), page.errors());
    }

    @Test
    @Order(5)
    void aDrainedPopIsMarkedOnTheMapAndItsCountriesMove() throws Exception {
        targets.answer(EU_WEST, Answer.OK);
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> cleared = http.send(override("DELETE", null), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, cleared.statusCode(), cleared.body());
        assertTrue(page.awaitTrue(mapCountryIn("NL", "eu-west"), CHANGE), mapState("NL"));
        HttpResponse<String> drained = http.send(
                override("POST", "{\"state\": \"drain\", \"for\": \"10m\", \"reason\": \"map test\"}"),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, drained.statusCode(), drained.body());
        try {
            assertTrue(page.awaitTrue(mapCountryIn("NL", "hq"), CHANGE), "drained: " + mapState("NL"));
            String marker = "#map-pops [data-pop=\"eu-west\"]";
            assertTrue(page.awaitTrue("document.querySelector('" + marker + "')?.dataset.state === 'drain'", CHANGE));
            assertEquals("eu-west DRAINED", page.text(marker + " text"));
            assertEquals(
                    "drain",
                    page.evaluate("document.querySelector('#map-legend [data-pop=\"eu-west\"]').dataset.state")
                            .asText());
        } finally {
            HttpResponse<String> undone = http.send(override("DELETE", null), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, undone.statusCode(), undone.body());
        }
        assertTrue(page.awaitTrue(mapCountryIn("NL", "eu-west"), CHANGE), "undrained: " + mapState("NL"));
        assertEquals(List.of(), page.errors());
    }

    /**
     * In a dark colour scheme the map goes dark with the page: a dark sea, light labels, a DOWN
     * marker in a light red that reads on it (before, the map stayed a light-blue block).
     */
    @Test
    @Order(6)
    void theMapFollowsTheDarkColourScheme() throws Exception {
        targets.answer(EU_WEST, Answer.status(503));
        try {
            String marker = "#map-pops [data-pop=\"eu-west\"]";
            assertTrue(page.awaitTrue("document.querySelector('" + marker + "')?.dataset.state === 'down'", CHANGE));
            page.colorScheme("dark");
            assertEquals("rgb(22, 39, 58)", style("#world-map .sea", "fill"));
            assertEquals("rgb(255, 138, 128)", style(marker + " text", "fill"));
            assertEquals("rgb(23, 30, 40)", style("#map-section", "background-color"), "the card is dark too");
            assertTrue(page.screenshot(SHOTS.resolve("status-map-dark.png"), "#map-section") > 10_000);
            page.colorScheme("light");
            assertEquals("rgb(221, 232, 242)", style("#world-map .sea", "fill"));
            assertEquals("rgb(204, 0, 0)", style(marker + " text", "fill"));
        } finally {
            page.colorScheme("");
            targets.answer(EU_WEST, Answer.OK);
        }
        assertEquals(List.of(), page.errors());
    }

    private static String style(String selector, String property) throws IOException {
        return page.evaluate("getComputedStyle(document.querySelector('" + selector + "'))['" + property + "']")
                .asText();
    }

    private static HttpRequest override(String method, String body) {
        return HttpRequest.newBuilder(URI.create(base + "api/v1/pops/eu-west/override"))
                .header("Authorization", "Bearer " + TOKEN)
                .timeout(Duration.ofSeconds(5))
                .method(
                        method,
                        body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .build();
    }
}
