package dev.popdns.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/** {@code popdns check DIR}: one line on success; every error as {@code file:line: message [rule]}. */
class CheckCommandTest {
    private static final String HEAD = """
            $TTL 300
            @ SOA ns1 host 1 7200 3600 1209600 60
              NS ns1
            ns1 A 192.0.2.1
            """;

    record Broken(String rule, String body, String expected) {
        @Override
        public String toString() {
            return rule;
        }
    }

    static List<Broken> broken() {
        return List.of(
                new Broken("syntax", "www A 300.1.1.1", "bad.test.zone:5: Invalid address: 300.1.1.1 [syntax]"),
                new Broken("unknown type", "www FOO 1", "bad.test.zone:5: unknown record type 'FOO' [syntax]"),
                new Broken("class", "www CH TXT \"x\"", "bad.test.zone:5: class CH is not served (only IN) [syntax]"),
                new Broken(
                        "include",
                        "$INCLUDE other.zone",
                        "bad.test.zone:5: $INCLUDE is not supported (one self-contained file per zone) [syntax]"),
                new Broken(
                        "ttl range",
                        "www 2147483648 A 192.0.2.2",
                        "bad.test.zone:5: TTL 2147483648 (expected: 0..2147483647, RFC 2181 §8) [syntax]"),
                new Broken(
                        "cname-exclusive",
                        "www CNAME ns1\nwww A 192.0.2.2",
                        "bad.test.zone:5: www.bad.test. has a CNAME and other data: A (line 6) (RFC 1034 §3.6.2: a CNAME stands alone) [cname-exclusive]"),
                new Broken(
                        "out-of-zone",
                        "www.example.org. A 192.0.2.2",
                        "bad.test.zone:5: www.example.org. is outside the zone bad.test. [out-of-zone]"),
                new Broken(
                        "glue-missing",
                        "sub NS ns.sub\nsub NS ns.elsewhere.org.",
                        "bad.test.zone:5: name server ns.sub.bad.test. is inside bad.test. but has no A or AAAA record (glue) [glue-missing]"),
                new Broken(
                        "duplicate",
                        "www A 192.0.2.2\nwww A 192.0.2.2",
                        "bad.test.zone:6: duplicate record www.bad.test. A (first at line 5) [duplicate]"),
                new Broken(
                        "ttl-mismatch",
                        "www 300 A 192.0.2.2\nwww 600 A 192.0.2.3",
                        "bad.test.zone:6: www.bad.test. A TTL 600 differs from 300 at line 5 (RFC 2181 §5.2: one TTL per RRset) [ttl-mismatch]"),
                new Broken(
                        "occluded",
                        "sub NS ns.example.org.\nwww.sub TXT \"x\"",
                        "bad.test.zone:6: www.sub.bad.test. TXT lies below the delegation sub.bad.test. and would never be served (only glue A/AAAA belongs there) [occluded]"),
                new Broken(
                        "dname-occluded",
                        "d DNAME example.org.\nx.d A 192.0.2.9",
                        "bad.test.zone:6: x.d.bad.test. lies below the DNAME at d.bad.test. (RFC 6672 §2.4) [dname-occluded]"),
                new Broken(
                        "soa-multiple",
                        "@ SOA ns1 host 2 7200 3600 1209600 60",
                        "bad.test.zone:5: more than one SOA record at the apex [soa-multiple]"),
                new Broken(
                        "cname-single",
                        "www CNAME ns1\nwww CNAME host",
                        "bad.test.zone:6: www.bad.test. has more than one CNAME record [cname-single]"),
                new Broken(
                        "dname-single",
                        "d DNAME example.org.\nd DNAME example.net.",
                        "bad.test.zone:6: d.bad.test. has more than one DNAME record (RFC 6672 §2.4) [dname-single]"),
                new Broken(
                        "soa-not-apex",
                        "www SOA ns1 host 1 7200 3600 1209600 60",
                        "bad.test.zone:5: SOA record at www.bad.test. is not at the apex bad.test. [soa-not-apex]"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("broken")
    void reportsFileLineAndRule(Broken c, @TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("bad.test.zone"), HEAD + c.body() + "\n");
        JarCommand.Result r = JarCommand.run("check", dir.toString());
        assertEquals(1, r.exit(), r.err());
        assertEquals(dir + "/" + c.expected() + "\nfailed: 1 error(s) in " + dir + "\n", r.err());
        assertEquals("", r.out());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            value = {
                "retry above refresh | 3600 7200 1209600 | SOA retry 7200 is above refresh 3600",
                "expire below refresh + retry | 7200 3600 10000 | SOA expire 10000 is below refresh + retry"
            })
    void soaTimers(String what, String timers, String message, @TempDir Path dir) throws Exception {
        Files.writeString(
                dir.resolve("bad.test.zone"), HEAD.replace("7200 3600 1209600", timers) + "www A 192.0.2.2\n");
        JarCommand.Result r = JarCommand.run("check", dir.toString());
        assertEquals(1, r.exit(), r.err());
        assertEquals(
                dir + "/bad.test.zone:2: " + message + " [soa-timers]\nfailed: 1 error(s) in " + dir + "\n", r.err());
    }

    @Test
    void apexWithoutSoaOrNs(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("bad.test.zone"), "$TTL 300\nns1 A 192.0.2.1\n");
        JarCommand.Result r = JarCommand.run("check", dir.toString());
        assertEquals(1, r.exit());
        assertEquals(
                dir + "/bad.test.zone: no SOA record at the apex bad.test. [soa-missing]\n"
                        + dir + "/bad.test.zone: no NS records at the apex bad.test. [ns-missing]\n"
                        + "failed: 2 error(s) in " + dir + "\n",
                r.err());
    }

    @Test
    void everyFileIsCheckedNotOnlyTheFirstBrokenOne(@TempDir Path dir) throws Exception {
        Files.writeString(
                dir.resolve("a.test.zone"),
                HEAD.replace("ns1 A 192.0.2.1", "ns1 A 192.0.2.1\nx CNAME ns1\nx TXT \"t\""));
        Files.writeString(dir.resolve("b.test.zone"), HEAD + "y A 1.2.3\n");
        JarCommand.Result r = JarCommand.run("check", dir.toString());
        assertEquals(1, r.exit());
        assertEquals(3, r.err().lines().count(), r.err());
    }

    @Test
    void goodDirectoryPrintsOneLine() throws Exception {
        JarCommand.Result r = JarCommand.run("check", "resources/zones");
        assertEquals(0, r.exit(), r.err());
        assertEquals(
                "ok: 3 zone(s), 47 RRsets in resources/zones (example.test. serial 2026112201, "
                        + "deep.example.test. serial 7, other.test. serial 1)\n",
                r.out());
        assertEquals("", r.err());
    }

    @Test
    void theBundledZonesPassThroughTheLauncher() throws Exception {
        Path zones = JarCommand.root().resolve("zones");
        JarCommand.Result r = JarCommand.launcher(env -> {}, "check", zones.toString());
        assertEquals(0, r.exit(), r.out());
        assertEquals(
                "ok: 1 zone(s), 20 RRsets in " + zones
                        + " (hachyderm.io. serial 2026112201); 5 PoP(s), 2 geo name(s)\n",
                r.out());
    }

    /**
     * The bundled pops.yaml with a second HQ (line 10), a check in block style whose interval
     * (line 27) and rise (line 29) are out of range, and a PoP override with a literal URL (line
     * 15, accepted): every error names the line of its own key, and the server refuses to start
     * with the same lines.
     */
    @Test
    void popsYamlErrorsNameTheLineOfTheKeyAtFault(@TempDir Path dir) throws Exception {
        Path root = Path.of(System.getProperty("popdns.root", "../.."));
        Files.copy(root.resolve("zones/hachyderm.io.zone"), dir.resolve("hachyderm.io.zone"));
        String pops = Files.readString(root.resolve("zones/pops.yaml"))
                .replace("  eu-west:\n", "  eu-west:\n    hq: true\n")
                .replace(
                        "    addresses: [198.51.100.10, \"2001:db8:10::1\"]\n",
                        "    addresses: [198.51.100.10, \"2001:db8:10::1\"]\n"
                                + "    checks:\n      puma: { http: \"http://127.0.0.1:5660/health\" }\n")
                .replace(
                        "  puma:    { http: \"http://{address}:3000/health\", body: \"OK\" }\n",
                        "  puma:\n    http: \"http://{address}:3000/health\"\n    body: OK\n"
                                + "    interval: 0s\n    timeout: 1s\n    rise: 0\n");
        Files.writeString(dir.resolve("pops.yaml"), pops);
        List<String> lines = pops.lines().toList();
        assertEquals("    hq: true", lines.get(10 - 1));
        assertEquals("      puma: { http: \"http://127.0.0.1:5660/health\" }", lines.get(17 - 1));
        assertEquals("    interval: 0s", lines.get(30 - 1));
        assertEquals("    rise: 0", lines.get(32 - 1));
        String file = dir.resolve("pops.yaml").toString();
        String expected = file + ":10: pops.eu-west.hq: true, but pops.hq is the HQ already (expected: exactly one PoP"
                + " with hq: true)\n"
                + "failed: 1 error(s) in " + dir + "\n";
        JarCommand.Result r = JarCommand.run("check", dir.toString());
        assertEquals(1, r.exit(), r.err());
        assertEquals(expected, r.err());

        Files.writeString(dir.resolve("pops.yaml"), pops.replace("  eu-west:\n    hq: true\n", "  eu-west:\n"));
        r = JarCommand.run("check", dir.toString());
        assertEquals(1, r.exit(), r.err());
        assertEquals(
                file + ":29: checks.puma: interval: 0s (expected: 100ms..1h)\n" + "failed: 1 error(s) in " + dir + "\n",
                r.err());
        Files.writeString(
                dir.resolve("pops.yaml"),
                pops.replace("  eu-west:\n    hq: true\n", "  eu-west:\n").replace("interval: 0s", "interval: 2s"));
        r = JarCommand.run("check", dir.toString());
        assertEquals(
                file + ":31: checks.puma: rise: 0 (expected: 1..100)\nfailed: 1 error(s) in " + dir + "\n", r.err());
    }

    /** popdns.yaml: a value out of range stops {@code serve} with the line of its key. */
    @Test
    void popdnsYamlRangeErrorsNameTheLine(@TempDir Path dir) throws Exception {
        Path config = dir.resolve("popdns.yaml");
        Files.writeString(config, "# test\nzones: zones\ntcp-idle-timeout: 0\n");
        JarCommand.Result r = JarCommand.run("serve", "--config", config.toString());
        assertEquals(1, r.exit(), r.err());
        assertEquals("popdns: " + config + ":3: tcp-idle-timeout: 0 (expected: 1..3600)\n", r.err());
    }

    /** {@code check --config}: the peers of popdns.yaml are checked as serve would, with their lines. */
    @Test
    void checkWithConfigValidatesThePeers(@TempDir Path dir) throws Exception {
        Path zones = Files.createDirectory(dir.resolve("zones"));
        Files.writeString(zones.resolve("ok.test.zone"), "$ORIGIN ok.test.\n" + HEAD);
        Path config = dir.resolve("popdns.yaml");
        Files.writeString(dir.resolve("peer-token"), "0123456789abcdef0123\n");
        String good = """
                zones: zones
                peers:
                  self: ns1
                  token-file: peer-token
                  nodes:
                    ns1: { url: "http://198.18.0.1:8054" }
                    ns2: { url: "http://198.18.0.2:8054" }
                    probe: { url: "http://198.18.0.9:8054", vote-only: true }
                health-agreement: { down-quorum: 2, stale-after: 5s }
                """;
        Files.writeString(config, good);
        JarCommand.Result r = JarCommand.run("check", "--config", config.toString());
        assertEquals(0, r.exit(), r.err());
        assertEquals(
                "ok: " + config + "; peers: 3 node(s) as ns1, down-quorum 2 (2 view(s)), stale after 5s\n"
                        + "ok: 1 zone(s), 3 RRsets in " + zones + " (ok.test. serial 1)\n",
                r.out());

        Files.writeString(
                config, good.replace("down-quorum: 2", "down-quorum: 4").replace("ns2: { url", "ns2: { uri"));
        r = JarCommand.run("check", "--config", config.toString());
        assertEquals(1, r.exit(), r.err());
        assertEquals(
                config + ":7: peers.nodes.ns2.uri: unknown key (expected: one of [url, vote-only])\n"
                        + config + ":7: peers.nodes.ns2.url: missing (expected: http:// or https://HOST:PORT)\n"
                        + config + ":9: health-agreement.down-quorum: 4 (expected: 1..2, the number of nodes)\n"
                        + "failed: 3 error(s) in " + config + "\n",
                r.err());

        Files.writeString(config, good);
        r = JarCommand.run("probe", "--config", config.toString(), "--listen", "127.0.0.1:53");
        assertEquals(2, r.exit(), r.err());
        r = JarCommand.run("probe", "--config", config.toString());
        assertEquals(1, r.exit(), r.err());
        assertEquals(
                "popdns: peers.nodes.ns1 is not vote-only: give the prober's node vote-only: true, so its peers know"
                        + " it answers no queries\n",
                r.err());
    }
}
