package dev.popdns.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code popdns diff}: the Markdown for the pair of directories in {@code src/test/resources/diff},
 * pinned whole; the traffic shift on the real GeoLite2 City database (fetched by
 * {@code geoip/fetch-geolite2.sh} at a pinned version, so its figures are stable).
 */
class DiffTest {
    private static final Path ROOT = Path.of(System.getProperty("popdns.root", ".."));
    private static final String DB =
            ROOT.resolve("geoip/data/GeoLite2-City.mmdb").toString();
    private static final String OLD = "src/test/resources/diff/old";
    private static final String NEW = "src/test/resources/diff/new";
    private static final String ZONE = """
            $TTL 300
            @ SOA ns1 host %d 7200 3600 1209600 60
              NS ns1
            ns1 A 192.0.2.1
            """;

    /** Records, serials, zones added and removed, pops.yaml; no GeoIP database in this module's directory. */
    static final String CHANGES = """
            ## popdns diff `src/test/resources/diff/old` -> `src/test/resources/diff/new`

            ### Zone `example.test.`

            Serial 2026010101 -> 2026010102; 1 RRset added, 1 RRset removed, 1 RRset changed.

            Added:

            ```diff
            + status.example.test. 300 IN AAAA 2001:db8::90
            ```

            Removed:

            ```diff
            - old.example.test. 300 IN TXT "to be removed"
            ```

            Changed:

            ```diff
            - api.example.test. 300 IN A 192.0.2.80
            - api.example.test. 300 IN A 192.0.2.81
            + api.example.test. 60 IN A 192.0.2.80
            + api.example.test. 60 IN A 192.0.2.82
            ```

            ### Zone `other.test.`

            Serial 7 -> 7; 1 RRset changed.

            > [!WARNING]
            > Records changed but the serial did not increase (7 -> 7, RFC 1982): anything that compares serials (secondaries, monitoring) misses the change.

            Changed:

            ```diff
            - other.test. 3600 IN TXT "v=spf1 -all"
            + other.test. 3600 IN TXT "v=spf1 include:example.test -all"
            ```

            ### Zone `added.test.` added

            Serial 1, 3 RRsets.

            ```diff
            + added.test. 3600 IN SOA ns1.example.test. hostmaster.example.test. 1 7200 3600 1209600 300
            + added.test. 3600 IN NS ns1.example.test.
            + www.added.test. 3600 IN CNAME example.test.
            ```

            ### Zone `gone.test.` removed

            It had serial 3.

            ### pops.yaml

            - PoP `eu-west` added: location [52.37, 4.9], addresses [192.0.2.4, 2001:db8::4]
            - PoP `us-east`: bias 0 -> 20
            - PoP `ap-southeast`: state active -> drain
            - check `nginx`: expect [200] -> [200, 204]
            - check `puma` added: http http://{address}:3000/health, body OK
            - name `example.test.`: ttl 30 -> 60; needs [nginx] -> [nginx, puma]
            - name `media.example.test.`: countries +BR: us-east; continents +OC: eu-west

            """;

    @Test
    void recordsSerialsZonesAndPopsAsMarkdown() {
        Result r = run(OLD, NEW);
        assertEquals(0, r.exit, r.err);
        assertEquals("", r.err);
        assertEquals(CHANGES + """
                ### Traffic shift

                Skipped: no GeoIP database at geoip/data/GeoLite2-City.mmdb (give --geoip FILE, a GeoLite2/GeoIP2 City mmdb).
                """, r.out);
    }

    @Test
    void trafficShiftWeightedByTheAddressSpaceOfTheRealDatabase() {
        long start = System.nanoTime();
        Result r = run(OLD, NEW, "--geoip", DB);
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertEquals(0, r.exit, r.err);
        assertEquals(CHANGES + """
                ### Traffic shift

                A queries from each IPv4 network of GeoLite2-City (built 2019-12-24; 2,990,797 networks, 3,687,697,813 addresses), routed by location, overrides, bias and drain state before and after; health is not known offline and IPv6 is not counted. A share is the part of that country's or continent's addresses.

                #### `example.test.`

                35.1% of the address space moves (1,295,990,466 addresses).

                | continent | share | from | to |
                |---|---:|---|---|
                | AF | 12.4% | hq | eu-west |
                | AF | 10.7% | ap-southeast | hq |
                | AN | 57.7% | ap-southeast | us-east |
                | AN | 31.6% | ap-southeast | hq |
                | AS | 70.6% | ap-southeast | hq |
                | AS | 22.0% | ap-southeast | us-east |
                | EU | 48.2% | hq | eu-west |
                | EU | 0.2% | ap-southeast | hq |
                | OC | 95.9% | ap-southeast | us-east |
                | OC | 4.0% | ap-southeast | hq |

                ...and 4 smaller continent moves (294,936 addresses).

                | country | share | from | to |
                |---|---:|---|---|
                | CN | 100.0% | ap-southeast | hq |
                | JP | 95.8% | ap-southeast | us-east |
                | GB | 100.0% | hq | eu-west |
                | KR | 100.0% | ap-southeast | hq |
                | FR | 89.8% | hq | eu-west |
                | NL | 100.0% | hq | eu-west |
                | AU | 95.4% | ap-southeast | us-east |
                | IN | 100.0% | ap-southeast | hq |
                | TW | 100.0% | ap-southeast | hq |
                | ES | 98.4% | hq | eu-west |
                | BE | 100.0% | hq | eu-west |
                | DE | 14.9% | hq | eu-west |
                | ID | 99.0% | ap-southeast | hq |
                | VN | 100.0% | ap-southeast | hq |
                | HK | 100.0% | ap-southeast | hq |

                ...and 98 smaller country moves (138,807,894 addresses).

                #### `media.example.test.`

                25.8% of the address space moves (951,241,287 addresses).

                | continent | share | from | to |
                |---|---:|---|---|
                | AF | 12.4% | hq | eu-west |
                | AF | 10.7% | ap-southeast | hq |
                | AN | 57.7% | ap-southeast | us-east |
                | AN | 31.6% | ap-southeast | hq |
                | AS | 32.7% | ap-southeast | hq |
                | AS | 22.0% | ap-southeast | us-east |
                | EU | 48.2% | hq | eu-west |
                | EU | 0.2% | ap-southeast | hq |
                | OC | 99.9% | ap-southeast | eu-west |
                | OC | 0.1% | us-east | eu-west |

                ...and 4 smaller continent moves (294,936 addresses).

                | country | share | from | to |
                |---|---:|---|---|
                | JP | 95.8% | ap-southeast | us-east |
                | GB | 100.0% | hq | eu-west |
                | KR | 100.0% | ap-southeast | hq |
                | FR | 89.8% | hq | eu-west |
                | NL | 100.0% | hq | eu-west |
                | AU | 100.0% | ap-southeast | eu-west |
                | IN | 100.0% | ap-southeast | hq |
                | TW | 100.0% | ap-southeast | hq |
                | ES | 98.4% | hq | eu-west |
                | BE | 100.0% | hq | eu-west |
                | DE | 14.9% | hq | eu-west |
                | ID | 99.0% | ap-southeast | hq |
                | VN | 100.0% | ap-southeast | hq |
                | HK | 100.0% | ap-southeast | hq |
                | NO | 100.0% | hq | eu-west |

                ...and 100 smaller country moves (120,653,254 addresses).
                """, r.out);
        // a hang guard, not a speed target: on a shared 2-core machine at load 20 this took 21.8 s
        // (speed belongs to benchmarks, never to a timed test)
        assertTrue(millis < 300_000, "took " + millis + " ms");
    }

    @Test
    void geoNamesAddedAndRemoved(@TempDir Path dir) throws Exception {
        Path b = copy(Path.of(OLD), dir.resolve("b"));
        Files.writeString(
                b.resolve("pops.yaml"),
                Files.readString(b.resolve("pops.yaml"))
                        .replace(
                                "media.example.test.: { ttl: 30, countries: { CN: hq } }",
                                "cdn.example.test.: { ttl: 30 }"));
        Result r = run(OLD, b.toString(), "--geoip", DB);
        assertEquals(0, r.exit, r.err);
        String shift = r.out.substring(r.out.indexOf("### pops.yaml"));
        assertEquals("""
                ### pops.yaml

                - name `cdn.example.test.` added: ttl 30
                - name `media.example.test.` removed: its A/AAAA queries get the zone's answer (or NXDOMAIN/NODATA)

                ### Traffic shift

                A queries from each IPv4 network of GeoLite2-City (built 2019-12-24; 2,990,797 networks, 3,687,697,813 addresses), \
                routed by location, overrides, bias and drain state before and after; health is not known offline and IPv6 is not \
                counted. A share is the part of that country's or continent's addresses.

                #### `example.test.`

                No client moves.

                #### `cdn.example.test.`

                Newly geo-routed: before, its A/AAAA queries got the zone's answer.

                #### `media.example.test.`

                No longer geo-routed: its A/AAAA queries get the zone's answer.
                """, shift);
    }

    @Test
    void identicalDirectoriesHaveNoChanges() {
        Result r = run(OLD, OLD, "--geoip", "/nonexistent/never-read.mmdb");
        assertEquals(0, r.exit, r.err);
        assertEquals(
                "## popdns diff `" + OLD + "` -> `" + OLD
                        + "`\n\nNo changes: the zones and pops.yaml serve the same answers.\n",
                r.out);
    }

    @Test
    void checksAloneMoveNoClientsSoNoDatabaseIsRead(@TempDir Path dir) throws Exception {
        Path a = copy(Path.of(OLD), dir.resolve("a"));
        Path b = copy(Path.of(OLD), dir.resolve("b"));
        Files.writeString(
                b.resolve("pops.yaml"),
                Files.readString(b.resolve("pops.yaml")).replace("expect: [200]", "expect: [200, 204]"));
        Result r = run(a.toString(), b.toString(), "--geoip", "/nonexistent/never-read.mmdb");
        assertEquals(0, r.exit, r.err);
        assertEquals(
                "## popdns diff `" + a + "` -> `" + b + "`\n\n"
                        + "Unchanged: `example.test.` (serial 2026010101), `gone.test.` (serial 3), `other.test.` (serial 7).\n\n"
                        + "### pops.yaml\n\n"
                        + "- check `nginx`: expect [200] -> [200, 204]\n",
                r.out);
    }

    @Test
    void aSerialThatGoesBackIsAWarning(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("a"));
        Files.createDirectories(dir.resolve("b"));
        Files.writeString(dir.resolve("a/t.test.zone"), ZONE.formatted(5));
        Files.writeString(dir.resolve("b/t.test.zone"), ZONE.formatted(3) + "www TXT \"new\"\n");
        Result r = run(dir.resolve("a").toString(), dir.resolve("b").toString());
        assertEquals(0, r.exit, r.err);
        assertEquals(
                "## popdns diff `" + dir.resolve("a") + "` -> `" + dir.resolve("b") + "`\n\n"
                        + "### Zone `t.test.`\n\n"
                        + "Serial 5 -> 3; 1 RRset added.\n\n"
                        + "> [!WARNING]\n"
                        + "> The serial went back (5 -> 3, RFC 1982): a popdns server serving the old zone rejects this one on reload"
                        + " [serial-decreased], and secondaries ignore it.\n\n"
                        + "Added:\n\n"
                        + "```diff\n"
                        + "+ www.t.test. 300 IN TXT new\n"
                        + "```\n",
                r.out);
    }

    @Test
    void aSerialBumpAloneIsReported(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("a"));
        Files.createDirectories(dir.resolve("b"));
        Files.writeString(dir.resolve("a/t.test.zone"), ZONE.formatted(4294967295L));
        Files.writeString(dir.resolve("b/t.test.zone"), ZONE.formatted(1));
        Result r = run(dir.resolve("a").toString(), dir.resolve("b").toString());
        assertEquals(0, r.exit, r.err);
        // RFC 1982: 1 follows 4294967295
        assertEquals(
                "## popdns diff `" + dir.resolve("a") + "` -> `" + dir.resolve("b") + "`\n\n"
                        + "### Zone `t.test.`\n\nSerial 4294967295 -> 1; no record changed.\n",
                r.out);
    }

    @Test
    void aDirectoryThatDoesNotLoadIsExitOneWithEveryError(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("t.test.zone"), ZONE.formatted(1) + "www CNAME ns1\nwww TXT \"x\"\n");
        Files.writeString(dir.resolve("pops.yaml"), "pops:\n  hq: { location: [91, 0], addresses: [192.0.2.1] }\n");
        Result r = run(OLD, dir.toString());
        assertEquals(1, r.exit);
        assertEquals("", r.out);
        assertEquals(
                dir
                        + "/t.test.zone:5: www.t.test. has a CNAME and other data: TXT (line 6) (RFC 1034 §3.6.2: a CNAME stands alone) [cname-exclusive]\n"
                        + dir + "/pops.yaml:2: pops.hq.location: latitude 91 (expected: -90..90)\n"
                        + dir + "/pops.yaml:1: pops: 0 PoPs have hq: true (expected: exactly one)\n"
                        + "popdns diff: " + dir + " does not load: 3 error(s)\n",
                r.err);
    }

    @Test
    void anUnusableGeoIpFileIsExitOne() {
        Result r = run(OLD, NEW, "--geoip", "/nonexistent/City.mmdb");
        assertEquals(1, r.exit);
        assertEquals(
                "popdns diff: GeoIP database /nonexistent/City.mmdb: file not found"
                        + " (expected: a MaxMind GeoIP2/GeoLite2 City or Country .mmdb file)\n",
                r.err);
    }

    @Test
    void usage() {
        assertEquals(2, run().exit);
        assertEquals(2, run(OLD).exit);
        assertEquals(2, run(OLD, NEW, NEW).exit);
        Result r = run(OLD, NEW, "--color");
        assertEquals(2, r.exit);
        assertTrue(r.err.startsWith("popdns diff: unknown flag --color\n"), r.err);
    }

    private static Path copy(Path from, Path to) throws Exception {
        Files.createDirectories(to);
        try (var files = Files.list(from)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.copy(f, to.resolve(f.getFileName()));
            }
        }
        return to;
    }

    record Result(int exit, String out, String err) {}

    static Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = Diff.run(
                List.of(args),
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}
