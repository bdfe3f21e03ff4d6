package dev.popdns.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.popdns.e2e.web.BrowserPage;
import dev.popdns.e2e.web.Chromium;
import dev.popdns.e2e.web.ProbeTargets;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The status page of a node with peers, in headless Chromium: two packaged servers on loopback
 * that vote with each other and name a third node that never runs. The page shows the peers
 * panel (reachable, view age, standing), the votes in each check cell ("UP 2 of 2"), and the
 * "deciding alone" banner once the second server stops.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class PeersStatusPageBrowserTest {
    private static final Path DB = Path.of(System.getProperty("popdns.root", "../.."), "geoip/data/GeoLite2-City.mmdb");
    private static final String HQ = "127.0.0.4";
    private static final String EU_WEST = "127.0.0.5";
    /** Probes every 500 ms, pulls every 500 ms, stale after 2 s, the page every 3 s; allow for a loaded machine. */
    private static final Duration CHANGE = Duration.ofSeconds(15);

    @Test
    void showsPeersVotesAndDecidingAlone(@TempDir Path dir) throws Exception {
        Chromium.requireInstalled();
        assertTrue(Files.isRegularFile(DB), "GeoLite2 database missing at " + DB + ": run geoip/fetch-geolite2.sh");
        int[] ports = {ServerProcess.freePort(), ServerProcess.freePort(), ServerProcess.freePort()};
        try (ProbeTargets targets = ProbeTargets.start(List.of(HQ, EU_WEST))) {
            Path zones = Files.createDirectory(dir.resolve("zones"));
            Files.copy(Path.of("resources/geo/geo.test.zone"), zones.resolve("geo.test.zone"));
            Files.writeString(zones.resolve("pops.yaml"), """
                    pops:
                      hq: { hq: true, location: [50.47, 12.37], addresses: [192.0.2.1], probe-address: %s }
                      eu-west: { location: [52.37, 4.90], addresses: [192.0.2.4], probe-address: %s }
                    checks:
                      web: { http: "http://{address}:%d/health", body: "OK", interval: 500ms, timeout: 500ms, rise: 1, fall: 2 }
                    names:
                      geo.test.: { ttl: 30, needs: [web] }
                    """.formatted(HQ, EU_WEST, targets.port()));
            Files.writeString(dir.resolve("peer-token"), "peer-token-0123456789abcdef\n");
            try (ServerProcess ns1 = start(dir, zones, "ns1", ports);
                    ServerProcess ns2 = start(dir, zones, "ns2", ports);
                    Chromium chromium = Chromium.start(dir)) {
                BrowserPage page = chromium.newPage();
                page.viewport(1280, 1200, false);
                page.navigate("http://127.0.0.1:" + ports[0] + "/", Duration.ofSeconds(10));
                assertTrue(
                        page.awaitTrue("document.querySelectorAll('#peers tr[data-node]').length === 3", CHANGE),
                        "peers panel never filled; browser log:\n" + chromium.log());
                assertTrue(page.awaitTrue(
                        "document.querySelector('#peers tr[data-node=\"ns2\"]').dataset.standing === 'fresh'", CHANGE));
                assertEquals(
                        "own",
                        page.evaluate("document.querySelector('#peers tr[data-node=\"ns1\"]').dataset.standing")
                                .asText());
                assertEquals(
                        "false",
                        page.evaluate("document.querySelector('#peers tr[data-node=\"ns3\"]').dataset.reachable")
                                .asText());
                assertEquals(
                        "none",
                        page.evaluate("document.querySelector('#peers tr[data-node=\"ns3\"]').dataset.standing")
                                .asText());
                String cell = "tr[data-pop=\"eu-west\"] td[data-check=\"web\"] .votes";
                assertTrue(
                        page.awaitTrue(
                                "(document.querySelector('" + cell + "')?.textContent ?? '') === 'UP 2 of 2'", CHANGE),
                        "votes line: " + page.evaluate("document.querySelector('" + cell + "')?.textContent"));
                assertTrue(
                        page.evaluate("document.getElementById('alone').hidden").asBoolean(),
                        "no banner while agreeing");
                assertTrue(
                        page.text("#peers-rule").contains("down-quorum majority (2 DOWN views make a check DOWN)"),
                        page.text("#peers-rule"));

                ns2.stop();
                assertTrue(
                        page.awaitTrue("!document.getElementById('alone').hidden", CHANGE),
                        "no deciding-alone banner after ns2 stopped");
                assertTrue(
                        page.text("#alone").contains("1 of 3 views vote and down-quorum needs 2"), page.text("#alone"));
                assertTrue(page.awaitTrue(
                        "document.querySelector('#peers tr[data-node=\"ns2\"]').dataset.reachable === 'false'",
                        CHANGE));
                assertTrue(page.errors().isEmpty(), "browser errors: " + page.errors());
            }
        }
    }

    private static ServerProcess start(Path dir, Path zones, String self, int[] ports) throws IOException {
        int index = Integer.parseInt(self.substring(2)) - 1;
        Path config = dir.resolve(self + ".yaml");
        Files.writeString(config, """
                identity: %s
                peers:
                  self: %s
                  token-file: peer-token
                  nodes:
                    ns1: { url: "http://127.0.0.1:%d" }
                    ns2: { url: "http://127.0.0.1:%d" }
                    ns3: { url: "http://127.0.0.1:%d" }
                health-agreement: { stale-after: 2s }
                """.formatted(self, self, ports[0], ports[1], ports[2]));
        return ServerProcess.start(
                zones, "--config", config.toString(), "--geoip", DB.toString(), "--http", "127.0.0.1:" + ports[index]);
    }
}
