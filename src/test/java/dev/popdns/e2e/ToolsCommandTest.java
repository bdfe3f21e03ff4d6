package dev.popdns.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.popdns.e2e.DnsClient.Transport;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.ClientSubnetOption;
import org.xbill.DNS.Message;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * {@code popdns diff} and {@code popdns import route53} through the packaged jar, as CI and an
 * operator run them; the imported directory is then checked and served, and answers per client
 * location as the Route 53 records did. Inputs are the dns-server module's test data (its unit
 * tests pin every line of output; here the commands, exit codes and the served result).
 */
class ToolsCommandTest {
    private static final Path ROOT = Path.of(System.getProperty("popdns.root", "../.."));
    private static final Path DB = ROOT.resolve("geoip/data/GeoLite2-City.mmdb");
    private static final Path DATA = ROOT.resolve("dns-server/src/test/resources");

    @Test
    void diffPrintsMarkdownForAPullRequestComment() throws Exception {
        String old = DATA.resolve("diff/old").toString();
        String now = DATA.resolve("diff/new").toString();
        long start = System.nanoTime();
        JarCommand.Result r = JarCommand.run("diff", old, now, "--geoip", DB.toString());
        long seconds = (System.nanoTime() - start) / 1_000_000_000;
        assertEquals(0, r.exit(), r.err());
        assertEquals("", r.err());
        assertTrue(
                r.out()
                        .startsWith(
                                "## popdns diff `" + old + "` -> `" + now + "`\n\n### Zone `example.test.`\n\n"
                                        + "Serial 2026010101 -> 2026010102; 1 RRset added, 1 RRset removed, 1 RRset changed.\n"),
                r.out());
        for (String line : List.of(
                "+ status.example.test. 300 IN AAAA 2001:db8::90\n",
                "> Records changed but the serial did not increase (7 -> 7, RFC 1982)",
                "### Zone `gone.test.` removed\n",
                "- PoP `ap-southeast`: state active -> drain\n",
                "#### `example.test.`\n\n35.1% of the address space moves (1,295,990,466 addresses).\n",
                "| NL | 100.0% | hq | eu-west |\n",
                "| AU | 100.0% | ap-southeast | eu-west |\n")) {
            assertTrue(r.out().contains(line), line + " missing in:\n" + r.out());
        }
        // a figure, not an assertion: the machine's load decides it (about 4 s on an idle 2-core machine)
        System.out.println("ToolsCommandTest: diff with the traffic shift took " + seconds + " s");
    }

    @Test
    void diffOfADirectoryThatDoesNotLoadIsExitOne(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("bad.test.zone"), "$TTL 300\nns1 A 192.0.2.1\n");
        JarCommand.Result r = JarCommand.run("diff", DATA.resolve("diff/old").toString(), dir.toString());
        assertEquals(1, r.exit(), r.out());
        assertEquals(
                dir + "/bad.test.zone: no SOA record at the apex bad.test. [soa-missing]\n"
                        + dir + "/bad.test.zone: no NS records at the apex bad.test. [ns-missing]\n"
                        + "popdns diff: " + dir + " does not load: 2 error(s)\n",
                r.err());
        assertEquals(2, JarCommand.run("diff", dir.toString()).exit());
    }

    @Test
    void anImportedZoneChecksAndAnswersPerLocation(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("zones");
        JarCommand.Result r = JarCommand.run(
                "import",
                "route53",
                DATA.resolve("route53/records.json").toString(),
                "--health-checks",
                DATA.resolve("route53/healthchecks.json").toString(),
                "--out",
                out.toString());
        assertEquals(0, r.exit(), r.err());
        assertEquals("", r.err());
        assertTrue(
                r.out().endsWith("ok: " + out + " loads as the server loads it (1 zone(s), 5 PoP(s), 3 geo name(s))\n"),
                r.out());

        JarCommand.Result check = JarCommand.run("check", out.toString());
        assertEquals(0, check.exit(), check.err());
        assertEquals(
                "ok: 1 zone(s), 20 RRsets in " + out + " (hachyderm.io. serial 1); 5 PoP(s), 3 geo name(s)\n",
                check.out());

        // --no-probes: the health checks point at documentation addresses where nothing answers
        try (ServerProcess server = ServerProcess.start(out, "--geoip", DB.toString(), "--no-probes")) {
            // geolocation EU -> eu-west; country CN -> hq (an override before the AS continent)
            assertEquals(
                    List.of("media.hachyderm.io. 60 IN A 192.0.2.4"),
                    answer(server, "media.hachyderm.io.", "131.180.1.1"));
            assertEquals(
                    List.of("media.hachyderm.io. 60 IN A 192.0.2.1"),
                    answer(server, "media.hachyderm.io.", "114.114.114.114"));
            // latency -> the nearest region, through the CNAME the alias became
            assertEquals(
                    List.of("hachyderm.io. 60 IN A 203.0.113.30", "www.hachyderm.io. 60 IN CNAME hachyderm.io."),
                    answer(server, "www.hachyderm.io.", "1.1.1.1"));
            // failover: the primary for everyone while it is up
            assertEquals(
                    List.of("status.hachyderm.io. 60 IN A 192.0.2.1"),
                    answer(server, "status.hachyderm.io.", "8.8.8.8"));
            assertEquals(
                    List.of("smtp.hachyderm.io. 300 IN A 192.0.2.25"), answer(server, "smtp.hachyderm.io.", "8.8.8.8"));
        }
    }

    /**
     * Issue 13: a latency set for media whose records are IPv4-only and share addresses with the
     * apex's PoPs is mapped (families [A], the PoPs' own addresses for media), not refused.
     */
    @Test
    void anIpv4OnlyLatencySetSharingThePopsAddressesIsMapped(@TempDir Path tmp) throws Exception {
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        com.fasterxml.jackson.databind.node.ObjectNode records = (com.fasterxml.jackson.databind.node.ObjectNode)
                json.readTree(DATA.resolve("route53/records.json").toFile());
        com.fasterxml.jackson.databind.node.ArrayNode sets = json.createArrayNode();
        for (com.fasterxml.jackson.databind.JsonNode set : records.path("ResourceRecordSets")) {
            if (!set.path("Name").asText().equals("media.hachyderm.io.")) {
                sets.add(set);
            }
        }
        for (String[] media : new String[][] {
            {"media-hq", "eu-central-1", "192.0.2.1"},
            {"media-eu", "eu-west-1", "192.0.2.4"},
            {"media-us", "us-east-1", "198.51.100.10"},
            {"media-usw", "us-west-1", "198.51.100.20"},
            {"media-ap", "ap-southeast-1", "203.0.113.30"},
        }) {
            sets.add(json.readTree(
                    "{\"Name\": \"media.hachyderm.io.\", \"Type\": \"A\", \"SetIdentifier\": \"" + media[0]
                            + "\", \"Region\": \"" + media[1] + "\", \"TTL\": 60, \"ResourceRecords\": [{\"Value\": \""
                            + media[2]
                            + "\"}]}"));
        }
        records.set("ResourceRecordSets", sets);
        Path input = tmp.resolve("records.json");
        json.writeValue(input.toFile(), records);
        Path out = tmp.resolve("zones");
        JarCommand.Result r = JarCommand.run(
                "import",
                "route53",
                input.toString(),
                "--health-checks",
                DATA.resolve("route53/healthchecks.json").toString(),
                "--out",
                out.toString());
        assertEquals(0, r.exit(), r.err());
        String pops = Files.readString(out.resolve("pops.yaml"));
        assertTrue(pops.contains("families: [A]"), pops);
        assertTrue(pops.contains("      media.hachyderm.io.: { addresses: [192.0.2.4] }"), pops);
        assertEquals(0, JarCommand.run("check", out.toString()).exit());
        try (ServerProcess server = ServerProcess.start(out, "--geoip", DB.toString(), "--no-probes")) {
            // latency: the nearest region's PoP, with its own (IPv4-only) media address
            assertEquals(
                    List.of("media.hachyderm.io. 60 IN A 198.51.100.10"),
                    answer(server, "media.hachyderm.io.", "128.30.1.1"));
            assertEquals(
                    List.of("media.hachyderm.io. 60 IN A 192.0.2.1"),
                    answer(server, "media.hachyderm.io.", "131.180.1.1"));
            Message q = DnsClient.query("media.hachyderm.io.", Type.AAAA);
            Message reply = DnsClient.ask(DnsClient.Transport.UDP, server.v4(), q);
            assertEquals(0, reply.getRcode());
            assertEquals(0, reply.getSection(Section.ANSWER).size(), "media answers A only: " + reply);
        }
    }

    @Test
    void anImportThatCannotMapEverythingIsExitOneAndStillChecks(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("zones");
        JarCommand.Result r = JarCommand.run(
                "import",
                "route53",
                DATA.resolve("route53/records-unmappable.json").toString(),
                "--health-checks",
                DATA.resolve("route53/healthchecks-unmappable.json").toString(),
                "--out",
                out.toString());
        assertEquals(1, r.exit(), r.out());
        assertTrue(
                r.err()
                        .startsWith(
                                "example.org. A: alias to a CloudFront distribution d111111abcdef8.cloudfront.net.: "),
                r.err());
        assertTrue(
                r.err()
                        .endsWith("popdns import: 12 record set(s) not mapped (listed above); " + out
                                + " holds everything else\n"),
                r.err());
        assertEquals(0, JarCommand.run("check", out.toString()).exit());
        assertEquals(2, JarCommand.run("import", "route53", "records.json").exit());
    }

    private static List<String> answer(ServerProcess server, String name, String client) throws Exception {
        Message q = DnsClient.query(name, Type.A);
        InetAddress address = InetAddress.getByName(client);
        q.addRecord(
                new OPTRecord(
                        1232,
                        0,
                        0,
                        0,
                        List.of(new ClientSubnetOption(24, org.xbill.DNS.Address.truncate(address, 24)))),
                Section.ADDITIONAL);
        Message reply = DnsClient.ask(Transport.UDP, server.v4(), q);
        assertEquals(Rcode.NOERROR, reply.getRcode(), reply.toString());
        return AnswerRulesTest.section(reply, Section.ANSWER);
    }
}
