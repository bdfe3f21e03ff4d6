package dev.popdns.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.popdns.served.Served;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** pops.yaml validation: every rule with its exact message and line. */
class PopsLoaderTest {
    private static final String ZONE = """
            $TTL 300
            @ SOA ns1 host 1 7200 3600 1209600 60
              NS ns1
            ns1 A 192.0.2.53
            www A 192.0.2.80
            """;
    private static final String GOOD_POPS = """
            pops:
              hq: { hq: true, location: [50.47, 12.37], addresses: [192.0.2.1] }
              eu: { location: [52.37, 4.90], addresses: [192.0.2.4] }
            checks:
              nginx: { http: "https://{address}/", host: t.test }
            names:
              t.test.: { ttl: 30, needs: [nginx] }
            """;

    record Bad(String why, String yaml, String message) {
        @Override
        public String toString() {
            return why;
        }
    }

    static List<Bad> bad() {
        return List.of(
                new Bad(
                        "latitude out of range",
                        GOOD_POPS.replace("[52.37, 4.90]", "[91.0, 4.90]"),
                        ":3: pops.eu.location: latitude 91.0 (expected: -90..90)"),
                new Bad(
                        "longitude out of range",
                        GOOD_POPS.replace("[52.37, 4.90]", "[52.37, 190]"),
                        ":3: pops.eu.location: longitude 190 (expected: -180..180)"),
                new Bad(
                        "no location",
                        GOOD_POPS.replace("location: [52.37, 4.90], ", ""),
                        ":3: pops.eu.location: missing (expected: [latitude, longitude])"),
                new Bad(
                        "no addresses",
                        GOOD_POPS.replace(", addresses: [192.0.2.4]", ""),
                        ":3: pops.eu.addresses: missing (expected: at least one IPv4 or IPv6 address)"),
                new Bad(
                        "a host name as address",
                        GOOD_POPS.replace("[192.0.2.4]", "[eu.example.org]"),
                        ":3: pops.eu.addresses: 'eu.example.org' (expected: a literal IPv4 or IPv6 address)"),
                new Bad(
                        "two HQs",
                        GOOD_POPS.replace("eu: { location", "eu: { hq: true, location"),
                        ":3: pops.eu.hq: true, but pops.hq is the HQ already (expected: exactly one PoP with hq: true)"),
                new Bad(
                        "no HQ",
                        GOOD_POPS.replace("hq: { hq: true, ", "hq: { "),
                        ":1: pops: 0 PoPs have hq: true (expected: exactly one)"),
                new Bad(
                        "bad state",
                        GOOD_POPS.replace("eu: { location", "eu: { state: off, location"),
                        ":3: pops.eu.state: 'off' (expected: active or drain)"),
                new Bad(
                        "bias out of range",
                        GOOD_POPS.replace("eu: { location", "eu: { bias: 100, location"),
                        ":3: pops.eu.bias: bias 100 (expected: -99..99)"),
                new Bad(
                        "unknown PoP key",
                        GOOD_POPS.replace("eu: { location", "eu: { weight: 3, location"),
                        ":3: pops.eu.weight: unknown key (expected one of [addresses, bias, checks, hq, location, names, probe-address, state])"),
                new Bad(
                        "unknown top-level key",
                        GOOD_POPS + "extra: 1\n",
                        ":8: extra: unknown key (expected one of [checks, names, pops])"),
                new Bad(
                        "check without a probe",
                        GOOD_POPS.replace("http: \"https://{address}/\", ", ""),
                        ":5: checks.nginx: no probe (expected: one of http, tcp, postgres-replica)"),
                new Bad(
                        "unknown check key",
                        GOOD_POPS.replace("host: t.test", "host: t.test, retries: 3"),
                        ":5: checks.nginx.retries: unknown key (expected one of [body, ca-file, expect, fall, host, http, insecure, interval, max-body, max-lag, method, password-env, password-file, postgres-replica, rise, sslmode, sslrootcert, tcp, timeout, user])"),
                new Bad(
                        "needs an undeclared check",
                        GOOD_POPS.replace("needs: [nginx]", "needs: [puma]"),
                        ":7: names.t.test..needs: no check named 'puma' (expected one of [nginx])"),
                new Bad(
                        "relative geo name",
                        GOOD_POPS.replace("t.test.: {", "t.test: {"),
                        ":7: names.t.test: 't.test' is not absolute (expected: a trailing dot, e.g. hachyderm.io.)"),
                new Bad(
                        "bad country code",
                        GOOD_POPS.replace("needs: [nginx] }", "countries: { XY: hq } }"),
                        ":7: names.t.test..countries: 'XY' is not a valid ISO 3166-1 alpha-2 country code (e.g. DE, US)"),
                new Bad(
                        "bad continent code",
                        GOOD_POPS.replace("needs: [nginx] }", "continents: { EA: hq } }"),
                        ":7: names.t.test..continents: 'EA' is not a valid continent code (expected one of AF AN AS EU NA OC SA)"),
                new Bad(
                        "override to an unknown PoP",
                        GOOD_POPS.replace("needs: [nginx] }", "countries: { CN: ap } }"),
                        ":7: names.t.test..countries.CN: no PoP named 'ap'"),
                new Bad(
                        "geo name outside the zones",
                        GOOD_POPS.replace("t.test.: {", "other.example.: {"),
                        ":7: names.other.example.: in no served zone (expected: a name inside one of [t.test.])"),
                new Bad(
                        "geo name with a static A",
                        GOOD_POPS.replace("t.test.: {", "www.t.test.: {"),
                        ":7: names.www.t.test.: DIR/t.test.zone also has a static A record for it (expected: geo names get their A/AAAA from the PoPs only)"),
                new Bad("YAML syntax", "pops: [\n", ":1: while parsing a flow node"));
    }

    /** The block style of the bundled pops.yaml: every key on a line of its own. */
    private static final String BLOCK = """
            pops:
              hq:
                hq: true
                location: [50.47, 12.37]
                addresses: [192.0.2.1]
              eu:
                location: [52.37, 4.90]
                addresses: [192.0.2.4]
                checks:
                  web:
                    http: "http://127.0.0.1:5660/health"
            checks:
              web:
                http: "http://{address}:3000/health"
                body: OK
                interval: 2s
                timeout: 1s
                rise: 2
                fall: 3
            names:
              t.test.:
                ttl: 30
                needs: [web]
            """;

    /** {@code BLOCK} with line {@code line} (1-based) replaced by {@code text} (several lines allowed, or none). */
    private static String block(int line, String text) {
        List<String> lines = new java.util.ArrayList<>(BLOCK.lines().toList());
        String old = lines.remove(line - 1);
        if (!text.isEmpty()) {
            lines.add(line - 1, text.replace("$", old));
        }
        return String.join("\n", lines) + "\n";
    }

    /** One rule each: the line named is the line of the key or value at fault (for a missing key, its parent's). */
    static List<Bad> lines() {
        return List.of(
                new Bad(
                        "interval out of range",
                        block(16, "    interval: 0s"),
                        ":16: checks.web: interval: 0s (expected: 100ms..1h)"),
                new Bad(
                        "interval not a duration",
                        block(16, "    interval: soon"),
                        ":16: checks.web: interval: duration: 'soon' (expected: a whole number and ms, s, m or h, like 2s or 100ms)"),
                new Bad(
                        "timeout above interval",
                        block(17, "    timeout: 5s"),
                        ":17: checks.web: timeout: 5s (expected: 10ms..2s)"),
                new Bad("rise out of range", block(18, "    rise: 0"), ":18: checks.web: rise: 0 (expected: 1..100)"),
                new Bad(
                        "fall not a number",
                        block(19, "    fall: x"),
                        ":19: checks.web: fall: x (expected: a whole number)"),
                new Bad(
                        "method",
                        block(15, "$\n    method: PUT"),
                        ":16: checks.web: method: 'PUT' (expected: GET or HEAD)"),
                new Bad(
                        "expect out of range",
                        block(15, "$\n    expect: [200, 600]"),
                        ":16: checks.web: expect: 600 (expected: 100..599)"),
                new Bad(
                        "shared check without {address}",
                        block(14, "    http: \"http://127.0.0.1/\""),
                        ":14: checks.web.http: 'http://127.0.0.1/' (expected: a template containing {address}, shared by every PoP; a literal URL belongs in pops.ID.checks.web)"),
                new Bad(
                        "PoP override out of range",
                        block(11, "$\n        interval: 0s"),
                        ":12: pops.eu.checks.web: interval: 0s (expected: 100ms..1h)"),
                new Bad(
                        "PoP override URL",
                        block(11, "        http: \"ftp://127.0.0.1/\""),
                        ":11: pops.eu.checks.web: http: 'ftp://127.0.0.1/' (expected: an http:// or https:// URL)"),
                new Bad(
                        "PoP override not a number",
                        block(11, "$\n        rise: x"),
                        ":12: pops.eu.checks.web: rise: x (expected: a whole number)"),
                new Bad(
                        "a field of another kind",
                        block(15, "$\n    user: popdns"),
                        ":16: checks.web.user: not a field of http checks (expected one of [body, ca-file, expect, fall, host, http, insecure, interval, max-body, method, rise, timeout])"),
                new Bad(
                        "PoP override of another kind",
                        block(11, "$\n        tcp: \"{address}:22\""),
                        ":12: pops.eu.checks.web.tcp: not a field of http checks (expected one of [body, ca-file, expect, fall, host, http, insecure, interval, max-body, method, rise, timeout])"),
                new Bad(
                        "override of an undeclared check",
                        block(10, "      db:"),
                        ":10: pops.eu.checks.db: no such check (expected one of [web])"),
                new Bad(
                        "second HQ",
                        block(6, "$\n    hq: true"),
                        ":7: pops.eu.hq: true, but pops.hq is the HQ already (expected: exactly one PoP with hq: true)"),
                new Bad(
                        "hq not a boolean",
                        block(3, "    hq: yes please"),
                        ":3: pops.hq.hq: 'yes please' (expected: true or false)"),
                new Bad(
                        "missing location",
                        block(7, ""),
                        ":6: pops.eu.location: missing (expected: [latitude, longitude])"),
                new Bad(
                        "missing addresses",
                        block(8, ""),
                        ":6: pops.eu.addresses: missing (expected: at least one IPv4 or IPv6 address)"),
                new Bad(
                        "latitude",
                        block(7, "    location: [91, 4.90]"),
                        ":7: pops.eu.location: latitude 91 (expected: -90..90)"),
                new Bad(
                        "address",
                        block(8, "    addresses: [192.0.2.4, eu.example.org]"),
                        ":8: pops.eu.addresses: 'eu.example.org' (expected: a literal IPv4 or IPv6 address)"),
                new Bad(
                        "PoP id",
                        block(6, "  EU:"),
                        ":6: pops.EU: id 'EU' (expected: lower-case letters, digits and '-', up to 63)"),
                new Bad("unknown PoP key", block(8, "$\n    weight: 3"), ":9: pops.eu.weight: unknown key"),
                new Bad(
                        "two probes",
                        block(14, "$\n    tcp: \"{address}:22\""),
                        ":15: checks.web: both http and tcp (expected: exactly one of http, tcp, postgres-replica)"),
                new Bad(
                        "no probe",
                        block(14, ""),
                        ":13: checks.web: no probe (expected: one of http, tcp, postgres-replica)"),
                new Bad(
                        "ttl out of range",
                        block(22, "    ttl: 86401"),
                        ":22: names.t.test..ttl: ttl 86401 (expected: 0..86400)"),
                new Bad(
                        "ttl not a number",
                        block(22, "    ttl: [1]"),
                        ":22: names.t.test..ttl: not a number (expected: 0..86400)"),
                new Bad(
                        "needs an undeclared check",
                        block(23, "    needs: [web, db]"),
                        ":23: names.t.test..needs: no check named 'db' (expected one of [web])"),
                new Bad(
                        "override to an unknown PoP",
                        block(23, "$\n    countries:\n      CN: ap"),
                        ":25: names.t.test..countries.CN: no PoP named 'ap'"),
                new Bad(
                        "families",
                        block(23, "$\n    families: [A, MX]"),
                        ":24: names.t.test..families: 'MX' (expected: A or AAAA)"),
                new Bad(
                        "own addresses of an undeclared name",
                        block(8, "$\n    names:\n      media.t.test.: { addresses: [192.0.2.44] }"),
                        ":10: pops.eu.names.media.t.test.: no geo name 'media.t.test.' (expected one of [t.test.])"),
                new Bad(
                        "own address of a family the name does not answer",
                        block(8, "$\n    names:\n      t.test.: { addresses: [\"2001:db8::44\"] }")
                                .replace("    needs: [web]", "    needs: [web]\n    families: [A]"),
                        ":10: pops.eu.names.t.test..addresses: 2001:db8::44 is an AAAA address, but names.t.test..families is [A]"),
                new Bad(
                        "own addresses missing",
                        block(8, "$\n    names:\n      t.test.: { }"),
                        ":10: pops.eu.names.t.test..addresses: missing (expected: at least one IPv4 or IPv6 address)"),
                new Bad(
                        "no PoPs",
                        "pops:\n" + BLOCK.substring(BLOCK.indexOf("checks:\n  web:\n    http")),
                        ":1: pops: missing (expected: at least one PoP, one of them with hq: true)"));
    }

    @Test
    void theBlockFixtureLoadsWithALiteralUrlInAPoPOverride(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("t.test.zone"), ZONE);
        Files.writeString(dir.resolve("pops.yaml"), BLOCK);
        Served served = Served.load(dir, null);
        assertEquals(
                "http://127.0.0.1:5660/health",
                ((dev.popdns.health.HttpSpec)
                                served.health().pops().get(1).checks().get(0).spec())
                        .url());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("lines")
    void namesTheLineOfTheKeyAtFault(Bad c, @TempDir Path dir) throws Exception {
        rejectsWithFileLineAndExpectation(c, dir);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("bad")
    void rejectsWithFileLineAndExpectation(Bad c, @TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("t.test.zone"), ZONE);
        Files.writeString(dir.resolve("pops.yaml"), c.yaml());
        Served.Invalid e = assertThrows(Served.Invalid.class, () -> Served.load(dir, null));
        String expected = dir.resolve("pops.yaml") + c.message().replace("DIR", dir.toString());
        assertEquals(
                true,
                e.problems().stream().anyMatch(p -> p.startsWith(expected)),
                "expected " + expected + "\ngot " + e.problems());
    }

    /** The response cache keys a routing decision in one byte: 254 PoPs load, the 255th is named at its line. */
    @Test
    void atMost254PoPs(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("t.test.zone"), ZONE);
        StringBuilder yaml = new StringBuilder("pops:\n  hq: { hq: true, location: [0, 0], addresses: [192.0.2.1] }\n");
        for (int i = 1; i < PopsConfig.MAX_POPS; i++) {
            yaml.append("  p").append(i).append(": { location: [0, 0], addresses: [192.0.2.1] }\n");
        }
        Files.writeString(dir.resolve("pops.yaml"), yaml);
        assertEquals(254, PopsLoader.load(dir).pops().size());
        yaml.append("  p254: { location: [0, 0], addresses: [192.0.2.1] }\n");
        Files.writeString(dir.resolve("pops.yaml"), yaml);
        ConfigException e = assertThrows(ConfigException.class, () -> PopsLoader.load(dir));
        assertEquals(
                dir.resolve("pops.yaml") + ":256: pops.p254: PoP number 255 of 255 (expected: at most 254 PoPs)",
                e.getMessage());
    }

    @Test
    void goodConfigLoads(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("t.test.zone"), ZONE);
        Files.writeString(dir.resolve("pops.yaml"), GOOD_POPS);
        Served served = Served.load(dir, null);
        assertEquals(2, served.routing().pops().size());
        assertEquals("hq", served.routing().pops().get(served.routing().hq()).id());
        assertEquals(30, served.pops().names().get("t.test.").ttl());
    }

    @Test
    void theBundledZonesLoad() throws Exception {
        Served served =
                Served.load(Path.of(System.getProperty("popdns.root", "..")).resolve("zones"), null);
        assertEquals(5, served.routing().pops().size());
        assertEquals(2, served.routing().names().size());
    }
}
