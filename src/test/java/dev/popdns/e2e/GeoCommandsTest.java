package dev.popdns.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** {@code popdns explain}, and a geo config without a GeoIP database, as an operator runs them. */
class GeoCommandsTest {
    private static final Path ROOT = Path.of(System.getProperty("popdns.root", "../.."));
    private static final String DB =
            ROOT.resolve("geoip/data/GeoLite2-City.mmdb").toString();

    /** Offline on purpose: the answer as the files alone give it, announced as such. */
    @Test
    void explainShowsLocationRankingChoiceRecordsAndScope() throws Exception {
        JarCommand.Result r = JarCommand.run(
                "explain", "geo.test.", "AAAA", "133.11.1.1", "--offline", "--zones", "resources/geo", "--geoip", DB);
        assertEquals(0, r.exit(), r.err());
        assertEquals("""
                *** OFFLINE (--offline): live health and overrides unknown;
                *** every PoP is assumed UP, only pops.yaml's state counts. Zones from resources/geo.
                question:  geo.test. AAAA
                client:    133.11.1.1 (as the resolver address or the ECS source)
                database:  GeoLite2-City %s built 2019-12-24T17:41:41Z
                location:  35.7174, 139.7473, country JP, continent AS, network /21
                candidates (best first):
                  1. ap-southeast       5321 km, eligible, no AAAA records
                  2. us-west            8310 km, eligible
                  3. hq                 9135 km, HQ, eligible
                  4. eu-west            9288 km, eligible
                  5. us-east           10866 km, eligible
                  6. sa-east           18529 km, NOT eligible (drained in pops.yaml)
                answer:    us-west (nearest)
                           geo.test.		30	IN	AAAA	2001:db8:20:0:0:0:0:1
                ttl:       30 s
                ecs scope: /14 for a client subnet of /24
                """.formatted(DB), r.out());
    }

    @Test
    void explainAPrivateClient() throws Exception {
        JarCommand.Result r = JarCommand.run(
                "explain",
                "media.geo.test",
                "A",
                "192.168.1.10",
                "--offline",
                "--zones",
                "resources/geo",
                "--geoip",
                DB);
        assertEquals(0, r.exit(), r.err());
        assertTrue(
                r.out().contains("location:  unknown (private, reserved or unlisted address): HQ first, then by id\n"),
                r.out());
        assertTrue(r.out().contains("answer:    hq (unknown location)\n"), r.out());
    }

    @Test
    void geoNamesWithoutAGeoIpDatabaseIsAClearStartError() throws Exception {
        JarCommand.Result r = JarCommand.run(
                "serve",
                "--zones",
                "resources/geo",
                "--listen",
                "127.0.0.1:" + ServerProcess.freePort(),
                "--http",
                "127.0.0.1:" + ServerProcess.freePort());
        assertEquals(1, r.exit(), r.out() + r.err());
        assertTrue(
                r.err()
                        .contains(
                                "resources/geo/pops.yaml: declares geo names geo.test., media.geo.test., which need a GeoIP "
                                        + "database: give --geoip FILE (a GeoLite2/GeoIP2 City or Country mmdb)"),
                r.err());
    }

    @Test
    void aMissingGeoIpFileIsNamed() throws Exception {
        JarCommand.Result r = JarCommand.run(
                "serve",
                "--zones",
                "resources/geo",
                "--geoip",
                "/nonexistent/City.mmdb",
                "--listen",
                "127.0.0.1:" + ServerProcess.freePort(),
                "--http",
                "127.0.0.1:" + ServerProcess.freePort());
        assertEquals(1, r.exit(), r.out() + r.err());
        assertTrue(r.err().contains("/nonexistent/City.mmdb"), r.err());
    }
}
