package dev.popdns.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.popdns.config.CheckFields.Timing;
import dev.popdns.config.HttpCheck;
import dev.popdns.config.PopsConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How routing policies and health checks map, and every reason a record set cannot. */
class Route53MapperTest {
    private static final String APEX = """
            {"Name": "t.test.", "Type": "SOA", "TTL": 900, "ResourceRecords": [{"Value": "ns1.example.net. h.example.net. 1 7200 900 1209600 86400"}]},
            {"Name": "t.test.", "Type": "NS", "TTL": 3600, "ResourceRecords": [{"Value": "ns1.example.net."}]},
            """;

    @TempDir
    Path dir;

    private Route53Mapper.Result map(String sets, String checks) throws Exception {
        Path records =
                Files.writeString(dir.resolve("records.json"), "{\"ResourceRecordSets\": [" + APEX + sets + "]}");
        Path health = checks == null
                ? null
                : Files.writeString(dir.resolve("checks.json"), "{\"HealthChecks\": [" + checks + "]}");
        return Route53Mapper.map(
                Route53Input.recordSets(records), health == null ? null : Route53Input.healthChecks(health));
    }

    private static String set(String name, String type, String id, String policy, String value, String extra) {
        return "{\"Name\": \"" + name + "\", \"Type\": \"" + type + "\", \"SetIdentifier\": \"" + id + "\", " + policy
                + ", \"TTL\": 60, \"ResourceRecords\": [{\"Value\": \"" + value + "\"}]" + extra + "}";
    }

    private static List<String> pops(Route53Mapper.Result r) {
        List<String> out = new ArrayList<>();
        for (PopsConfig.Pop p : r.pops().pops()) {
            out.add(p.id() + (p.hq() ? " hq" : "") + " [" + p.latitude() + ", " + p.longitude() + "] "
                    + p.addresses().size() + " address(es) bias " + p.bias()
                    + (p.probeAddress() == null
                            ? ""
                            : " probe " + p.probeAddress().getHostAddress()));
        }
        return out;
    }

    @Test
    void geoproximityKeepsItsBiasAndCoordinates() throws Exception {
        Route53Mapper.Result r = map(
                String.join(
                        ",\n",
                        set(
                                "app.t.test.",
                                "A",
                                "Virginia",
                                "\"GeoProximityLocation\": {\"AWSRegion\": \"us-east-1\", \"Bias\": 20}",
                                "192.0.2.1",
                                ""),
                        set(
                                "app.t.test.",
                                "A",
                                "Amsterdam",
                                "\"GeoProximityLocation\": {\"Coordinates\": {\"Latitude\": \"52.37\", \"Longitude\": \"4.90\"}, \"Bias\": -10}",
                                "192.0.2.2",
                                "")),
                null);
        assertEquals(List.of(), r.unmapped());
        assertEquals(
                List.of(
                        "virginia hq [39.04, -77.49] 1 address(es) bias 20",
                        "amsterdam [52.37, 4.9] 1 address(es) bias -10"),
                pops(r));
        PopsConfig.GeoName n = r.pops().names().get("app.t.test.");
        assertEquals(
                List.of(Map.of(), Map.of(), List.of(), 60L),
                List.of(n.countries(), n.continents(), n.needs(), n.ttl()));
        assertEquals(
                "HQ: the first PoP: Route 53 has no default or primary to take it from",
                r.comments().get("pops.virginia"));
    }

    @Test
    void aLatencyNameMustAnswerFromEveryPop() throws Exception {
        Route53Mapper.Result r = map(
                String.join(
                        ",\n",
                        set("a.t.test.", "A", "us", "\"Region\": \"us-east-1\"", "192.0.2.1", ""),
                        set("a.t.test.", "A", "eu", "\"Region\": \"eu-west-1\"", "192.0.2.2", ""),
                        set("b.t.test.", "A", "default", "\"GeoLocation\": {\"CountryCode\": \"*\"}", "192.0.2.1", ""),
                        set("b.t.test.", "A", "asia", "\"GeoLocation\": {\"ContinentCode\": \"AS\"}", "192.0.2.3", "")),
                null);
        assertEquals(
                List.of(
                        "a.t.test. A: latency record sets cover 2 of the 3 PoPs (not asia): popdns routes a name among all"
                                + " PoPs by distance, so clients near those would get them"),
                r.unmapped());
        assertEquals(
                List.of(
                        "us hq [39.04, -77.49] 1 address(es) bias 0",
                        "eu [53.35, -6.26] 1 address(es) bias 0",
                        "asia [1.35, 103.82] 1 address(es) bias 0"),
                pops(r));
        assertEquals(
                List.of(
                        "PoP asia: Route 53 has no location for it; [1.35, 103.82] is guessed from geolocation AS (Singapore):"
                                + " it only orders the fallback when a pinned PoP is down, but set the real one"),
                r.notes());
        assertEquals(
                Map.of("AF", "us", "AN", "us", "AS", "asia", "EU", "us", "NA", "us", "OC", "us", "SA", "us"),
                r.pops().names().get("b.t.test.").continents());
        assertEquals(
                "geolocation records; continents without one go to the default's PoP",
                r.comments().get("names.b.t.test."));
        assertEquals(
                "latency records in us-east-1, eu-west-1: nearest PoP by distance\n"
                        + "NOT equivalent to the Route 53 records: see the import's errors",
                r.comments().get("names.a.t.test."));
    }

    @Test
    void policyConflicts() throws Exception {
        Route53Mapper.Result r = map(
                String.join(
                        ",\n",
                        set("a.t.test.", "A", "us", "\"Region\": \"us-east-1\"", "192.0.2.1", ""),
                        set("a.t.test.", "AAAA", "us", "\"Region\": \"us-east-1\"", "2001:db8::1", ""),
                        set("a.t.test.", "A", "mars", "\"Region\": \"xx-mars-1\"", "192.0.2.9", ""),
                        set("b.t.test.", "A", "us", "\"Region\": \"us-east-1\"", "192.0.2.1", ""),
                        set("c.t.test.", "A", "x", "\"GeoLocation\": {\"CountryCode\": \"*\"}", "192.0.2.1", ""),
                        set("c.t.test.", "AAAA", "x", "\"GeoLocation\": {\"CountryCode\": \"*\"}", "2001:db8::1", ""),
                        set("d.t.test.", "A", "p", "\"Failover\": \"PRIMARY\"", "192.0.2.5", ""),
                        set(
                                "e.t.test.",
                                "A",
                                "near",
                                "\"GeoProximityLocation\": {\"AWSRegion\": \"us-east-1\", \"Bias\": 30}",
                                "192.0.2.1",
                                ""),
                        set(
                                "e.t.test.",
                                "AAAA",
                                "near",
                                "\"GeoProximityLocation\": {\"AWSRegion\": \"us-east-1\", \"Bias\": 30}",
                                "2001:db8::1",
                                ""),
                        set("f.t.test.", "A", "x", "\"GeoLocation\": {\"ContinentCode\": \"EU\"}", "192.0.2.1", ""),
                        set("f.t.test.", "AAAA", "x", "\"Region\": \"us-east-1\"", "2001:db8::1", ""),
                        "{\"Name\": \"f.t.test.\", \"Type\": \"MX\", \"TTL\": 60, \"ResourceRecords\": [{\"Value\": \"10 mx.t.test.\"}]}",
                        "{\"Name\": \"c.t.test.\", \"Type\": \"TXT\", \"TTL\": 60, \"ResourceRecords\": [{\"Value\": \"\\\"geo names keep other types\\\"\"}]}",
                        "{\"Name\": \"d.t.test.\", \"Type\": \"AAAA\", \"TTL\": 60, \"ResourceRecords\": [{\"Value\": \"2001:db8::5\"}]}"),
                null);
        assertEquals(
                List.of(
                        "a.t.test. A: latency record sets cover 1 of the 2 PoPs (not p): popdns routes a name among all PoPs by distance, so"
                                + " clients near those would get them",
                        "a.t.test. A (set \"mars\"): latency region xx-mars-1 is not in popdns's table of AWS regions: add a PoP with its location by hand",
                        // b's IPv4-only set shares PoP us's address: mapped, with families [A] (no longer refused)
                        "b.t.test. A: latency record sets cover 1 of the 2 PoPs (not p): popdns routes a name among all PoPs by distance, so"
                                + " clients near those would get them",
                        "d.t.test. A (set \"p\"): needs PoP p as the HQ (the answer for clients of unknown location and the last resort), but"
                                + " the HQ is us, the geolocation default of c.t.test.",
                        "e.t.test. A (set \"near\"): bias 30 for PoP us, which has bias 0 from a.t.test. A (set \"us\"): popdns has one bias"
                                + " per PoP for all names",
                        "e.t.test. A: geoproximity record sets cover 1 of the 2 PoPs (not p): popdns routes a name among all PoPs by distance,"
                                + " so clients near those would get them",
                        "e.t.test. AAAA (set \"near\"): bias 30 for PoP us, which has bias 0 from a.t.test. A (set \"us\"): popdns has one bias"
                                + " per PoP for all names",
                        // f's AAAA is refused first; its A alone is a part of PoP us's addresses, mapped as such
                        "f.t.test. A: no default (*) geolocation record set: Route 53 gives clients elsewhere no answer; popdns sends them to"
                                + " the HQ, us",
                        "f.t.test. AAAA (set \"x\"): latency routing, but f.t.test. A (set \"x\") uses geolocation: popdns routes both address"
                                + " families of a name alike",
                        "d.t.test. AAAA: a plain AAAA record set at a name whose other address family has a routing policy: popdns routes both"
                                + " families of a geo name"),
                r.unmapped());
        assertEquals(
                List.of("us hq [39.04, -77.49] 2 address(es) bias 0", "p [0.0, 0.0] 1 address(es) bias 0"), pops(r));
        assertEquals(
                List.of(
                        "b.t.test.: answered at PoP us with its own addresses [192.0.2.1] (they share 192.0.2.1 with the PoP's"
                                + " [192.0.2.1, 2001:db8::1])",
                        "f.t.test.: answered at PoP us with its own addresses [192.0.2.1] (they share 192.0.2.1 with the PoP's"
                                + " [192.0.2.1, 2001:db8::1])",
                        "PoP p: Route 53 has no location for it; [0, 0] is a placeholder: it only orders the fallback"
                                + " when a pinned PoP is down, but set the real one"),
                r.notes());
        assertEquals(
                "unknown to Route 53: set the PoP's real location", r.comments().get("pops.p.location"));
    }

    @Test
    void aliases() throws Exception {
        Route53Mapper.Result r = map(
                String.join(
                        ",\n",
                        set("t.test.", "A", "us", "\"Region\": \"us-east-1\"", "192.0.2.1", ""),
                        "{\"Name\": \"www.t.test.\", \"Type\": \"A\", \"AliasTarget\": {\"HostedZoneId\": \"Z1\", \"DNSName\": \"t.test.\", \"EvaluateTargetHealth\": false}}",
                        "{\"Name\": \"mx.t.test.\", \"Type\": \"A\", \"AliasTarget\": {\"HostedZoneId\": \"Z1\", \"DNSName\": \"t.test.\", \"EvaluateTargetHealth\": false}}",
                        "{\"Name\": \"mx.t.test.\", \"Type\": \"TXT\", \"TTL\": 60, \"ResourceRecords\": [{\"Value\": \"\\\"x\\\"\"}]}",
                        "{\"Name\": \"old.t.test.\", \"Type\": \"AAAA\", \"AliasTarget\": {\"HostedZoneId\": \"Z1\", \"DNSName\": \"gone.t.test.\", \"EvaluateTargetHealth\": false}}",
                        "{\"Name\": \"t.test.\", \"Type\": \"AAAA\", \"AliasTarget\": {\"HostedZoneId\": \"Z1\", \"DNSName\": \"www.t.test.\", \"EvaluateTargetHealth\": false}}",
                        "{\"Name\": \"lb.t.test.\", \"Type\": \"AAAA\", \"AliasTarget\": {\"HostedZoneId\": \"Z1\", \"DNSName\": \"example.com.\", \"EvaluateTargetHealth\": false}}",
                        "{\"Name\": \"api.t.test.\", \"Type\": \"A\", \"AliasTarget\": {\"HostedZoneId\": \"Z1\", \"DNSName\": \"abc.execute-api.us-east-1.amazonaws.com\", \"EvaluateTargetHealth\": false}}",
                        "{\"Name\": \"chain.t.test.\", \"Type\": \"A\", \"AliasTarget\": {\"HostedZoneId\": \"Z1\", \"DNSName\": \"smtp.t.test.\", \"EvaluateTargetHealth\": false}}",
                        "{\"Name\": \"smtp.t.test.\", \"Type\": \"A\", \"AliasTarget\": {\"HostedZoneId\": \"Z1\", \"DNSName\": \"mail.t.test.\", \"EvaluateTargetHealth\": false}}",
                        "{\"Name\": \"mail.t.test.\", \"Type\": \"A\", \"TTL\": 120, \"ResourceRecords\": [{\"Value\": \"192.0.2.25\"}]}"),
                null);
        assertEquals(
                List.of(
                        "mx.t.test. A: alias to the geo-routed t.test. at a name with other records (TXT): it would need a CNAME, which must"
                                + " stand alone (RFC 1034 §3.6.2)",
                        "old.t.test. AAAA: alias to gone.t.test., which has no AAAA records in this import",
                        "t.test. AAAA: an alias AAAA record set at a geo-routed name: popdns routes both families of a geo name",
                        "lb.t.test. AAAA: alias to a name outside the zone example.com.: only Route 53 knows its current addresses; use a CNAME"
                                + " (not at the apex) or the resource's fixed addresses",
                        "api.t.test. A: alias to an API Gateway endpoint abc.execute-api.us-east-1.amazonaws.com.: only Route 53 knows its"
                                + " current addresses; use a CNAME (not at the apex) or the resource's fixed addresses"),
                r.unmapped());
        assertEquals(
                List.of(
                        "www.t.test. A: alias to the geo-routed t.test.: written as a CNAME, which popdns routes like its target"),
                r.notes());
        List<String> lines = new ArrayList<>();
        for (Route53Mapper.ZoneLine l : r.zone()) {
            lines.add(l.owner() + " " + l.ttl() + " " + org.xbill.DNS.Type.string(l.type()) + " " + l.rdata());
        }
        assertEquals(
                List.of(
                        "t.test. 900 SOA ns1.example.net. h.example.net. 1 7200 900 1209600 86400",
                        "t.test. 3600 NS ns1.example.net.",
                        "chain.t.test. 120 A 192.0.2.25",
                        "mail.t.test. 120 A 192.0.2.25",
                        "mx.t.test. 60 TXT \"x\"",
                        "smtp.t.test. 120 A 192.0.2.25",
                        "www.t.test. 60 CNAME t.test."),
                lines);
    }

    @Test
    void healthChecksBecomeChecksWithPerPopOverrides() throws Exception {
        String hc = """
                {"Id": "%s", "HealthCheckConfig": {%s "Port": %d, "Type": "%s", "ResourcePath": "%s", "FullyQualifiedDomainName": "t.test",
                 "SearchString": "%s", "RequestInterval": 10, "FailureThreshold": %d, "Inverted": %s, "Disabled": %s}}""";
        Route53Mapper.Result r = map(
                String.join(
                        ",\n",
                        set(
                                "t.test.",
                                "A",
                                "us",
                                "\"Region\": \"us-east-1\"",
                                "192.0.2.1",
                                ", \"HealthCheckId\": \"h1\""),
                        set(
                                "t.test.",
                                "A",
                                "eu",
                                "\"Region\": \"eu-central-1\"",
                                "192.0.2.2",
                                ", \"HealthCheckId\": \"h2\""),
                        set(
                                "t.test.",
                                "A",
                                "ap",
                                "\"Region\": \"ap-southeast-1\"",
                                "192.0.2.3",
                                ", \"HealthCheckId\": \"h3\""),
                        set(
                                "t.test.",
                                "A",
                                "sa",
                                "\"Region\": \"sa-east-1\"",
                                "192.0.2.4",
                                ", \"HealthCheckId\": \"h4\""),
                        set(
                                "t.test.",
                                "A",
                                "af",
                                "\"Region\": \"af-south-1\"",
                                "192.0.2.5",
                                ", \"HealthCheckId\": \"h5\""),
                        set(
                                "t.test.",
                                "A",
                                "au",
                                "\"Region\": \"ap-southeast-2\"",
                                "192.0.2.6",
                                ", \"HealthCheckId\": \"h6\""),
                        set(
                                "t.test.",
                                "A",
                                "me",
                                "\"Region\": \"me-south-1\"",
                                "192.0.2.7",
                                ", \"HealthCheckId\": \"gone\"")),
                String.join(
                        ",\n",
                        hc.formatted(
                                "h1",
                                "\"IPAddress\": \"192.0.2.1\",",
                                80,
                                "HTTP_STR_MATCH",
                                "/health",
                                "OK",
                                3,
                                false,
                                false),
                        hc.formatted(
                                "h2",
                                "\"IPAddress\": \"10.0.0.2\",",
                                8080,
                                "HTTP_STR_MATCH",
                                "/health",
                                "ok",
                                3,
                                false,
                                false),
                        hc.formatted("h3", "", 80, "HTTP_STR_MATCH", "/health", "OK", 3, false, false),
                        hc.formatted("h4", "\"IPAddress\": \"192.0.2.4\",", 80, "HTTP", "/health", "", 3, false, false),
                        hc.formatted(
                                "h5",
                                "\"IPAddress\": \"192.0.2.5\",",
                                80,
                                "HTTP_STR_MATCH",
                                "/health",
                                "OK",
                                3,
                                true,
                                false),
                        hc.formatted(
                                "h6",
                                "\"IPAddress\": \"192.0.2.6\",",
                                80,
                                "HTTP_STR_MATCH",
                                "/health",
                                "OK",
                                3,
                                false,
                                true)));
        assertEquals(
                List.of(
                        "t.test. A (set \"sa\"): health check h4 has no body, max-body but check http has: a PoP can override a check's fields, not remove one",
                        "t.test. A (set \"af\"): health check h5 is inverted: popdns has no inverted checks",
                        "t.test. A (set \"me\"): health check gone is not in the health checks file"),
                r.unmapped());
        assertEquals(
                List.of(
                        "t.test. A (set \"ap\"): health check h3 checks t.test as Route 53 resolves it; popdns probes PoP ap's address with that Host",
                        "t.test. A (set \"au\"): health check h6 is disabled (Route 53 treats the endpoint as healthy): no check",
                        "t.test.: PoP af had no health check in Route 53 (always healthy there); popdns probes it with http too",
                        "t.test.: PoP au had no health check in Route 53 (always healthy there); popdns probes it with http too",
                        "t.test.: PoP me had no health check in Route 53 (always healthy there); popdns probes it with http too"),
                r.notes());
        assertEquals(
                new HttpCheck(
                        "http://{address}/health",
                        null,
                        "t.test",
                        List.of(200, 201, 202, 203, 204, 205, 206, 300, 301, 302, 303, 304, 307, 308),
                        "OK",
                        5120,
                        null,
                        null,
                        new Timing(Duration.ofSeconds(10), Duration.ofSeconds(4), 3, 3)),
                r.pops().checks().get("http").fields());
        PopsConfig.Pop eu = r.pops().pops().get(1);
        assertEquals("10.0.0.2", eu.probeAddress().getHostAddress());
        assertEquals(
                Map.of(
                        "http",
                        new HttpCheck("http://{address}:8080/health", null, null, null, "ok", null, null, null, null)),
                eu.checkOverrides());
        assertEquals(List.of("http"), r.pops().names().get("t.test.").needs());
    }

    @Test
    void twoNamesCannotProbeOnePopDifferentlyWithOneCheck() throws Exception {
        String hc = """
                {"Id": "%s", "HealthCheckConfig": {"IPAddress": "%s", "Port": %d, "Type": "TCP", "RequestInterval": 30, "FailureThreshold": 3}}""";
        Route53Mapper.Result r = map(
                String.join(
                        ",\n",
                        set(
                                "a.t.test.",
                                "A",
                                "us",
                                "\"Region\": \"us-east-1\"",
                                "192.0.2.1",
                                ", \"HealthCheckId\": \"a-us\""),
                        set(
                                "a.t.test.",
                                "A",
                                "eu",
                                "\"Region\": \"eu-central-1\"",
                                "192.0.2.2",
                                ", \"HealthCheckId\": \"a-eu\""),
                        set(
                                "b.t.test.",
                                "A",
                                "us",
                                "\"Region\": \"us-east-1\"",
                                "192.0.2.1",
                                ", \"HealthCheckId\": \"b-us\""),
                        set(
                                "b.t.test.",
                                "A",
                                "eu",
                                "\"Region\": \"eu-central-1\"",
                                "192.0.2.2",
                                ", \"HealthCheckId\": \"b-eu\"")),
                String.join(
                        ",\n",
                        hc.formatted("a-us", "192.0.2.1", 443),
                        hc.formatted("a-eu", "192.0.2.2", 443),
                        hc.formatted("b-us", "192.0.2.1", 443),
                        hc.formatted("b-eu", "192.0.2.2", 8443)));
        assertEquals(
                List.of(
                        "b.t.test. A (set \"eu\"): health check b-eu differs from the one PoP eu already has for check tcp"),
                r.unmapped());
        assertEquals(List.of("tcp"), r.pops().names().get("a.t.test.").needs());
        assertEquals(List.of("tcp"), r.pops().names().get("b.t.test.").needs());
        assertEquals(Map.of(), r.pops().pops().get(1).checkOverrides());
    }
}
