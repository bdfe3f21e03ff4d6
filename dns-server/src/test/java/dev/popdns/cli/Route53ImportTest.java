package dev.popdns.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.popdns.served.Served;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code popdns import route53} on the example exports in {@code src/test/resources/route53}:
 * one that maps whole (simple records, latency, geolocation, failover, aliases, health checks),
 * one full of what popdns cannot express; every file and message pinned, and the written
 * directory loaded as the server loads it.
 */
class Route53ImportTest {
    private static final String RESOURCES = "src/test/resources/route53/";

    @Test
    void aZoneThatMapsWhole(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("zones");
        Result r = run(
                "route53",
                RESOURCES + "records.json",
                "--health-checks",
                RESOURCES + "healthchecks.json",
                "--out",
                out.toString());
        assertEquals("", r.err);
        assertEquals(0, r.exit);
        assertEquals("""
                wrote {out}/hachyderm.io.zone: 19 records
                wrote {out}/pops.yaml: 5 PoP(s), 3 check(s), 3 geo name(s)
                note: media.hachyderm.io.: PoP hq had no health check in Route 53 (always healthy there); popdns probes it with https-media too
                note: status.hachyderm.io.: when the primary is down popdns sends clients to the nearest eligible PoP, which need not be the SECONDARY (Route 53 would send them to the secondary)
                note: status.hachyderm.io.: PoP eu-west had no health check in Route 53 (always healthy there); popdns probes it with tcp too
                note: www.hachyderm.io. A: alias to the geo-routed hachyderm.io.: written as a CNAME, which popdns routes like its target
                note: www.hachyderm.io. AAAA: alias to the geo-routed hachyderm.io.: written as a CNAME, which popdns routes like its target
                ok: {out} loads as the server loads it (1 zone(s), 5 PoP(s), 3 geo name(s))
                """.replace("{out}", out.toString()), r.out);
        assertEquals("""
                ; hachyderm.io. imported from Route 53 (records.json, healthchecks.json) by `popdns import route53`.
                ; Geo names (hachyderm.io., media.hachyderm.io., status.hachyderm.io.) take their A/AAAA from pops.yaml.
                $ORIGIN hachyderm.io.
                @                   900 IN SOA   ns-223.awsdns-27.com. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400
                                 172800 IN NS    ns-1283.awsdns-32.org.
                                 172800 IN NS    ns-1850.awsdns-39.co.uk.
                                 172800 IN NS    ns-223.awsdns-27.com.
                                 172800 IN NS    ns-803.awsdns-36.net.
                                   3600 IN MX    10 mail.hachyderm.io.
                                    300 IN TXT   "v=spf1 include:mailgun.org ~all"
                                    300 IN TXT   "google-site-verification=Hk3Qz0b9mN2"
                                   3600 IN CAA   0 issue "letsencrypt.org"
                                   3600 IN CAA   0 iodef "mailto:security@hachyderm.io"
                _dmarc              300 IN TXT   "v=DMARC1; p=quarantine; rua=mailto:dmarc@hachyderm.io"
                k1._domainkey       300 IN TXT   "k=rsa; t=s; " "p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC7\\"quoted\\""
                _submission._tcp   3600 IN SRV   0 1 587 mail.hachyderm.io.
                blog                300 IN CNAME hachyderm.github.io.
                mail                300 IN A     192.0.2.25
                                    300 IN AAAA  2001:db8::25
                *.preview           300 IN A     192.0.2.50
                smtp                300 IN A     192.0.2.25
                www                  60 IN CNAME hachyderm.io.
                """, Files.readString(out.resolve("hachyderm.io.zone")));
        assertEquals("""
                # PoPs, checks and geo names imported from Route 53 (records.json, healthchecks.json) by `popdns import route53`.
                # Review every comment, then `popdns check` this directory.
                pops:
                  # HQ: the geolocation default of media.hachyderm.io.
                  hq:
                    hq: true
                    location: [50.11, 8.68]           # AWS eu-central-1 (Frankfurt)
                    addresses: [192.0.2.1, "2001:db8::1"]
                  eu-west:
                    location: [53.35, -6.26]          # AWS eu-west-1 (Ireland)
                    addresses: [192.0.2.4, "2001:db8::4"]
                  us-east:
                    location: [39.04, -77.49]         # AWS us-east-1 (N. Virginia)
                    addresses: [198.51.100.10, "2001:db8:10::1"]
                  us-west:
                    location: [37.35, -121.96]        # AWS us-west-1 (N. California)
                    addresses: [198.51.100.20, "2001:db8:20::1"]
                  ap-southeast:
                    location: [1.35, 103.82]          # AWS ap-southeast-1 (Singapore)
                    addresses: [203.0.113.30, "2001:db8:30::1"]
                    checks:
                      https-media: { http: "https://{address}:8443/" }
                checks:
                  # Route 53 HTTPS_STR_MATCH health check: any 2xx/3xx passes, the string in the first 5,120 bytes, certificate not verified
                  https:       { http: "https://{address}/health", host: hachyderm.io, expect: [200, 201, 202, 203, 204, 205, 206, 300, 301, 302, 303, 304, 307, 308], body: OK, max-body: 5120, insecure: true, interval: 10s, timeout: 4s, rise: 3, fall: 3 }
                  # Route 53 HTTPS health check: any 2xx/3xx passes, certificate not verified
                  https-media: { http: "https://{address}/", host: media.hachyderm.io, expect: [200, 201, 202, 203, 204, 205, 206, 300, 301, 302, 303, 304, 307, 308], insecure: true, interval: 30s, timeout: 4s, rise: 3, fall: 3 }
                  # Route 53 TCP health check: connected within 10 s
                  tcp:         { tcp: "{address}:443", interval: 30s, timeout: 10s, rise: 2, fall: 2 }
                names:
                  # latency records in eu-central-1, eu-west-1, us-east-1, us-west-1, ap-southeast-1: nearest PoP by distance
                  hachyderm.io.:        { ttl: 60, needs: [https] }
                  # geolocation records; continents without one go to the default's PoP
                  media.hachyderm.io.:  { ttl: 60, needs: [https-media], countries: { CN: hq }, continents: { AF: hq, AN: hq, AS: ap-southeast, EU: eu-west, NA: us-east, OC: ap-southeast, SA: us-east } }
                  # failover records: every continent pinned to the PRIMARY (the HQ)
                  status.hachyderm.io.: { ttl: 60, needs: [tcp], continents: { AF: hq, AN: hq, AS: hq, EU: hq, NA: hq, OC: hq, SA: hq } }
                """, Files.readString(out.resolve("pops.yaml")));
        Served served = Served.load(out, null);
        assertEquals(
                List.of("hq", "eu-west", "us-east", "us-west", "ap-southeast"),
                served.pops().pops().stream().map(p -> p.id()).toList());
        assertEquals(3, served.routing().names().size());
    }

    @Test
    void whatCannotBeMappedIsListedAndTheRestWritten(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("zones");
        Result r = run(
                "route53",
                RESOURCES + "records-unmappable.json",
                "--health-checks",
                RESOURCES + "healthchecks-unmappable.json",
                "--out",
                out.toString());
        assertEquals(1, r.exit);
        assertEquals("""
                example.org. A: alias to a CloudFront distribution d111111abcdef8.cloudfront.net.: only Route 53 knows its current addresses; use a CNAME (not at the apex) or the resource's fixed addresses
                api.example.org. A: alias to an Elastic Load Balancer dualstack.api-lb-1234567890.us-east-1.elb.amazonaws.com.: only Route 53 knows its current addresses; use a CNAME (not at the apex) or the resource's fixed addresses
                app.example.org. A (set "eu"): health check 9a8b7c6d-0000-4000-8000-00000000ca1c is CALCULATED: popdns probes endpoints itself (http, tcp), it cannot follow CloudWatch alarms, combine checks or read recovery controls
                app.example.org. A (set "california"): geolocation subdivision US-CA: popdns overrides countries and continents, not subdivisions; clients there get the US (else continent, else default) answer
                app.example.org. TXT (set "eu-txt"): geolocation routing on a TXT record set: popdns routes A and AAAA only
                assets.example.org. A: alias to an S3 website endpoint s3-website-us-east-1.amazonaws.com.: only Route 53 knows its current addresses; use a CNAME (not at the apex) or the resource's fixed addresses
                cidr.example.org. A (set "office"): IP-based (CIDR) routing: popdns routes by the GeoIP location of the client
                mv.example.org. A (set "mv-1"): multivalue answer with a health check or an alias: popdns has no per-record health checks; make the values PoPs or a plain record set
                mv.example.org. A (set "mv-2"): multivalue answer with a health check or an alias: popdns has no per-record health checks; make the values PoPs or a plain record set
                status.example.org. A (set "primary"): health check 9a8b7c6d-0000-4000-8000-000000000c1d is CLOUDWATCH_METRIC: popdns probes endpoints itself (http, tcp), it cannot follow CloudWatch alarms, combine checks or read recovery controls
                www.example.org. A (set "blue"): weighted routing (Weight 70): popdns answers by client location, not by weight
                www.example.org. A (set "green"): weighted routing (Weight 30): popdns answers by client location, not by weight
                popdns import: 12 record set(s) not mapped (listed above); {out} holds everything else
                """.replace("{out}", out.toString()), r.err);
        assertEquals("""
                wrote {out}/example.org.zone: 7 records
                wrote {out}/pops.yaml: 2 PoP(s), 0 check(s), 3 geo name(s)
                note: pool.example.org. A (set "pool-1"): multivalue answer without health checks: written as a plain record set (all values, where Route 53 returns up to eight at random)
                note: pool.example.org. A (set "pool-2"): multivalue answer without health checks: written as a plain record set (all values, where Route 53 returns up to eight at random)
                ok: {out} loads as the server loads it (1 zone(s), 2 PoP(s), 3 geo name(s))
                """.replace("{out}", out.toString()), r.out);
        assertEquals("""
                ; example.org. imported from Route 53 (records-unmappable.json, healthchecks-unmappable.json) by `popdns import route53`.
                ; Geo names (app.example.org., status.example.org., svc.example.org.) take their A/AAAA from pops.yaml.
                $ORIGIN example.org.
                @       900 IN SOA   ns-2048.awsdns-64.com. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400
                     172800 IN NS    ns-2048.awsdns-64.com.
                     172800 IN NS    ns-512.awsdns-00.net.
                        300 IN MX    10 inbound-smtp.us-east-1.amazonaws.com.
                        300 IN TXT   "caf\\195\\169 * menu"
                pool     60 IN A     192.0.2.81
                         60 IN A     192.0.2.82
                """, Files.readString(out.resolve("example.org.zone")));
        assertEquals("""
                # PoPs, checks and geo names imported from Route 53 (records-unmappable.json, healthchecks-unmappable.json) by `popdns import route53`.
                # Review every comment, then `popdns check` this directory.
                pops:
                  # HQ: the geolocation default of app.example.org.
                  origin:
                    hq: true
                    location: [39.04, -77.49]         # AWS us-east-1 (N. Virginia)
                    addresses: [192.0.2.1]
                  eu:
                    location: [50.11, 8.68]           # AWS eu-central-1 (Frankfurt)
                    addresses: [192.0.2.2]
                names:
                  # geolocation records; continents without one go to the default's PoP
                  app.example.org.:    { ttl: 60, continents: { AF: origin, AN: origin, AS: origin, EU: eu, NA: origin, OC: origin, SA: origin } }
                  # failover records: every continent pinned to the PRIMARY (the HQ)
                  status.example.org.: { ttl: 60, continents: { AF: origin, AN: origin, AS: origin, EU: origin, NA: origin, OC: origin, SA: origin } }
                  # latency records in us-east-1, eu-central-1: nearest PoP by distance
                  svc.example.org.:    { ttl: 60 }
                """, Files.readString(out.resolve("pops.yaml")));
        Served.load(out, null);
    }

    @Test
    void healthCheckIdsWithoutTheHealthChecksFile(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("zones");
        Result r = run("route53", RESOURCES + "records.json", "--out", out.toString());
        assertEquals(1, r.exit);
        assertTrue(
                r.err.startsWith(
                        "hachyderm.io. A (set \"hq\"): health check 3f1e9a52-6c1d-4d4e-9a0b-2c7d5e8f1a01: no --health-checks"
                                + " file given (aws route53 list-health-checks)\n"),
                r.err);
        assertTrue(
                r.err.endsWith("popdns import: 22 record set(s) not mapped (listed above); " + out
                        + " holds everything else\n"),
                r.err);
        Served.load(out, null);
    }

    @Test
    void inputThatIsNotARoute53Export(@TempDir Path tmp) throws Exception {
        Path notJson = Files.writeString(tmp.resolve("a.json"), "{\"ResourceRecordSets\": [\n  {\"Name\": }\n]}\n");
        Result r = run("route53", notJson.toString(), "--out", tmp.resolve("o1").toString());
        assertEquals(1, r.exit);
        assertEquals(
                "popdns import: " + notJson
                        + ":2: not JSON: Unexpected character ('}' (code 125)): expected a valid value (JSON String, Number, Array,"
                        + " Object or token 'null', 'true' or 'false')\n",
                r.err);

        Path wrongShape = Files.writeString(tmp.resolve("b.json"), "{\"HostedZones\": []}");
        r = run("route53", wrongShape.toString(), "--out", tmp.resolve("o2").toString());
        assertEquals(1, r.exit);
        assertEquals(
                "popdns import: " + wrongShape + ": no \"ResourceRecordSets\" array (expected: the JSON of aws route53"
                        + " list-resource-record-sets)\n",
                r.err);

        Path noSoa = Files.writeString(
                tmp.resolve("c.json"),
                "{\"ResourceRecordSets\": [{\"Name\": \"x.test.\", \"Type\": \"A\", \"TTL\": 60, \"ResourceRecords\": [{\"Value\": \"192.0.2.1\"}]}]}");
        r = run("route53", noSoa.toString(), "--out", tmp.resolve("o3").toString());
        assertEquals(1, r.exit);
        assertEquals(
                "popdns import: " + noSoa
                        + ": 0 SOA record sets (expected: exactly one, the hosted zone's: the output of"
                        + " aws route53 list-resource-record-sets for one zone)\n",
                r.err);

        r = run(
                "route53",
                tmp.resolve("missing.json").toString(),
                "--out",
                tmp.resolve("o4").toString());
        assertEquals(1, r.exit);
        assertEquals("popdns import: " + tmp.resolve("missing.json") + ": file not found\n", r.err);
        assertTrue(Files.notExists(tmp.resolve("o1")) && Files.notExists(tmp.resolve("o3")));
    }

    @Test
    void nothingIsOverwritten(@TempDir Path tmp) throws Exception {
        Files.writeString(tmp.resolve("pops.yaml"), "mine\n");
        Result r = run("route53", RESOURCES + "records.json", "--out", tmp.toString());
        assertEquals(1, r.exit);
        assertEquals(
                "popdns import: " + tmp
                        + " is not empty (expected: a new or empty directory; nothing is overwritten)\n",
                r.err);
        assertEquals("mine\n", Files.readString(tmp.resolve("pops.yaml")));
    }

    @Test
    void usage() {
        assertEquals(2, run().exit);
        assertEquals(2, run("route53", RESOURCES + "records.json").exit);
        assertEquals(2, run("route53", "--out", "x").exit);
        assertEquals(2, run("route53", "a.json", "b.json", "--out", "x").exit);
        Result r = run("bind", "zone.db", "--out", "x");
        assertEquals(2, r.exit);
        assertEquals("popdns import: unknown source 'bind' (expected: route53)\n" + Route53Import.USAGE, r.err);
    }

    record Result(int exit, String out, String err) {}

    static Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = Route53Import.run(
                List.of(args),
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}
