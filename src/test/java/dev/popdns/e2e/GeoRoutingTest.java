package dev.popdns.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.popdns.e2e.DnsClient.Transport;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.xbill.DNS.ClientSubnetOption;
import org.xbill.DNS.EDNSOption;
import org.xbill.DNS.GenericEDNSOption;
import org.xbill.DNS.Message;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * Geo routing over real sockets on the pinned GeoLite2 City database: clients in 13 countries on
 * 6 continents, located by EDNS Client Subnet, get the nearest eligible PoP's records.
 */
class GeoRoutingTest {
    private static final Path DB = Path.of(System.getProperty("popdns.root", "../.."), "geoip/data/GeoLite2-City.mmdb");
    private static final String HQ_A = "192.0.2.1";
    private static ServerProcess server;
    private static Path zones;

    @BeforeAll
    static void start(@TempDir Path dir) throws Exception {
        assertTrue(Files.isRegularFile(DB), "GeoLite2 database missing at " + DB + ": run geoip/fetch-geolite2.sh");
        zones = Files.createDirectory(dir.resolve("zones"));
        for (String f : List.of("geo.test.zone", "pops.yaml")) {
            Files.copy(Path.of("resources/geo", f), zones.resolve(f));
        }
        server = ServerProcess.start(zones, "--geoip", DB.toString());
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    /** client address, expected PoP address for A, for AAAA (ECS /24 or /56), GeoIP network prefix. */
    static List<Arguments> clients() {
        String[][] rows = {
            {"131.180.1.1", "192.0.2.4", "2001:db8:0:0:0:0:0:4", "16"}, // NL, TU Delft -> eu-west
            {"131.111.1.1", "192.0.2.4", "2001:db8:0:0:0:0:0:4", "16"}, // GB, Cambridge -> eu-west
            {"80.133.1.1", "192.0.2.4", "2001:db8:0:0:0:0:0:4", "22"}, // DE, Telekom (Rhineland) -> eu-west
            {"90.1.1.1", "192.0.2.4", "2001:db8:0:0:0:0:0:4", "18"}, // FR, Paris -> eu-west
            {"128.30.1.1", "198.51.100.10", "2001:db8:10:0:0:0:0:1", "15"}, // US, MIT -> us-east
            {"171.64.1.1", "198.51.100.20", "2001:db8:20:0:0:0:0:1", "14"}, // US, Stanford -> us-west
            {"128.100.1.1", "198.51.100.10", "2001:db8:10:0:0:0:0:1", "16"}, // CA, Toronto -> us-east
            {"133.11.1.1", "203.0.113.30", "2001:db8:20:0:0:0:0:1", "21"}, // JP, Tokyo -> ap-southeast; AAAA: us-west
            {"166.111.1.1", "203.0.113.30", "2001:db8:0:0:0:0:0:1", "16"}, // CN, Beijing -> ap-southeast; AAAA: hq
            {"137.132.1.1", "203.0.113.30", "2001:db8:0:0:0:0:0:1", "16"}, // SG -> ap-southeast; AAAA: hq
            {"128.250.1.1", "203.0.113.30", "2001:db8:20:0:0:0:0:1", "17"
            }, // AU, Melbourne -> ap-southeast; AAAA: us-west
            {"143.107.1.1", "198.51.100.10", "2001:db8:10:0:0:0:0:1", "22"
            }, // BR, Sao Paulo: sa-east drained -> us-east
            {"137.158.1.1", HQ_A, "2001:db8:0:0:0:0:0:1", "21"}, // ZA, Cape Town -> hq
            {"10.0.0.1", HQ_A, "2001:db8:0:0:0:0:0:1", "8"}, // private: unknown -> hq (10/8 has no record)
            {"192.0.2.77", HQ_A, "2001:db8:0:0:0:0:0:1", "24"}, // documentation space -> hq
            {"2001:610::1", "192.0.2.4", "2001:db8:0:0:0:0:0:4", "39"}, // NL, SURF (IPv6 client)
            {"2001:638::1", HQ_A, "2001:db8:0:0:0:0:0:1", "39"}, // DE, DFN (centre of DE) -> hq
            {"2001:218::1", "203.0.113.30", "2001:db8:20:0:0:0:0:1", "32"}, // JP, NTT
            {"2001:388::1", "203.0.113.30", "2001:db8:20:0:0:0:0:1", "34"}, // AU, AARNet
            {"2001:12f0::1", "198.51.100.10", "2001:db8:10:0:0:0:0:1", "38"}, // BR, RNP
            {"2001:4200::1", HQ_A, "2001:db8:0:0:0:0:0:1", "36"}, // ZA, TENET
        };
        List<Arguments> all = new ArrayList<>();
        for (String[] r : rows) {
            for (Transport t : Transport.values()) {
                all.add(Arguments.of(r[0], r[1], r[2], Integer.parseInt(r[3]), t));
            }
        }
        return all;
    }

    @ParameterizedTest(name = "{0} over {4}")
    @MethodSource("clients")
    void nearestPopByClientSubnet(
            String client, String expectA, String expectAaaa, int networkPrefix, Transport transport) throws Exception {
        InetAddress address = InetAddress.getByName(client);
        int source = address.getAddress().length == 4 ? 24 : 56;
        for (int round = 0; round < 2; round++) { // miss, then cache hit
            Message a = ask(transport, "geo.test.", Type.A, ecs(source, address));
            assertEquals(List.of("geo.test. 30 IN A " + expectA), AnswerRulesTest.section(a, Section.ANSWER));
            ClientSubnetOption echoed = subnet(a);
            assertEquals(source, echoed.getSourcePrefixLength());
            int scope = echoed.getScopePrefixLength();
            assertTrue(
                    scope > 0 && scope <= Math.min(source, networkPrefix),
                    "scope " + scope + ": the merged block holding the GeoIP network, at most the source");
            assertEquals(ecs(source, address).getAddress(), echoed.getAddress());
            // the scope is a promise: the block's last subnet gets the same answer
            Message far = ask(transport, "geo.test.", Type.A, ecs(source, lastOfBlock(address, scope)));
            assertEquals(AnswerRulesTest.section(a, Section.ANSWER), AnswerRulesTest.section(far, Section.ANSWER));
            Message aaaa = ask(transport, "geo.test.", Type.AAAA, ecs(source, address));
            assertEquals(List.of("geo.test. 30 IN AAAA " + expectAaaa), AnswerRulesTest.section(aaaa, Section.ANSWER));
        }
    }

    @Test
    void noClientSubnetMeansTheResolverDecides() throws Exception {
        // from loopback: an unknown location, so HQ; and no ECS option in the answer
        Message m = DnsClient.ask(
                Transport.UDP, server.v4(), DnsClient.withEdns(DnsClient.query("geo.test.", Type.A), 1232, 0));
        assertEquals(List.of("geo.test. 30 IN A " + HQ_A), AnswerRulesTest.section(m, Section.ANSWER));
        assertTrue(m.getOPT().getOptions(EDNSOption.Code.CLIENT_SUBNET).isEmpty());
        Message plain = DnsClient.ask(Transport.TCP, server.v6(), DnsClient.query("geo.test.", Type.AAAA));
        assertEquals(
                List.of("geo.test. 30 IN AAAA 2001:db8:0:0:0:0:0:1"), AnswerRulesTest.section(plain, Section.ANSWER));
    }

    @Test
    void sourcePrefixZeroMeansUseTheResolver() throws Exception {
        Message m = ask(Transport.UDP, "geo.test.", Type.A, ecs(0, InetAddress.getByName("0.0.0.0")));
        assertEquals(List.of("geo.test. 30 IN A " + HQ_A), AnswerRulesTest.section(m, Section.ANSWER));
        assertEquals(0, subnet(m).getScopePrefixLength());
    }

    @Test
    void answersForDifferentPopsNeverMixInTheCache() throws Exception {
        String[] clients = {"131.180.1.1", "128.30.1.1", "137.132.1.1", "171.64.1.1"};
        String[] expected = {"192.0.2.4", "198.51.100.10", "203.0.113.30", "198.51.100.20"};
        for (int round = 0; round < 5; round++) {
            for (int i = 0; i < clients.length; i++) {
                Message m = ask(Transport.UDP, "geo.test.", Type.A, ecs(24, InetAddress.getByName(clients[i])));
                assertEquals(List.of("geo.test. 30 IN A " + expected[i]), AnswerRulesTest.section(m, Section.ANSWER));
            }
        }
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
        "166.111.1.1, 192.0.2.1", // CN: country override -> hq
        "128.250.1.1, 192.0.2.4", // AU (OC): continent override -> eu-west
        "130.216.1.1, 192.0.2.4", // NZ (OC): continent override -> eu-west
        "137.132.1.1, 203.0.113.30", // SG: no override -> nearest
    })
    void countryAndContinentOverridesComeFirst(String client, String expected) throws Exception {
        Message m = ask(Transport.UDP, "media.geo.test.", Type.A, ecs(24, InetAddress.getByName(client)));
        assertEquals(List.of("media.geo.test. 60 IN A " + expected), AnswerRulesTest.section(m, Section.ANSWER));
    }

    @Test
    void cnameToAGeoNameIsRoutedToo() throws Exception {
        Message m = ask(Transport.UDP, "www.geo.test.", Type.A, ecs(24, InetAddress.getByName("128.30.1.1")));
        assertEquals(
                List.of("geo.test. 30 IN A 198.51.100.10", "www.geo.test. 3600 IN CNAME geo.test."),
                AnswerRulesTest.section(m, Section.ANSWER));
        int scope = subnet(m).getScopePrefixLength();
        assertTrue(scope > 0 && scope <= 15, "at most the GeoIP network /15: " + scope);
        Message cdn = ask(Transport.TCP, "cdn.geo.test.", Type.A, ecs(24, InetAddress.getByName("128.250.1.1")));
        assertEquals(
                List.of("cdn.geo.test. 3600 IN CNAME media.geo.test.", "media.geo.test. 60 IN A 192.0.2.4"),
                AnswerRulesTest.section(cdn, Section.ANSWER));
    }

    @Test
    void otherTypesAtAGeoNameComeFromTheZone() throws Exception {
        Message mx = ask(Transport.UDP, "geo.test.", Type.MX, ecs(24, InetAddress.getByName("128.30.1.1")));
        assertEquals(List.of("geo.test. 3600 IN MX 10 mail.geo.test."), AnswerRulesTest.section(mx, Section.ANSWER));
        assertEquals(0, subnet(mx).getScopePrefixLength(), "static data holds for every client: scope 0");
        Message txt = DnsClient.ask(Transport.UDP, server.v4(), DnsClient.query("media.geo.test.", Type.TXT));
        assertEquals(Rcode.NOERROR, txt.getRcode(), "a geo name exists: NODATA, not NXDOMAIN");
        assertEquals(0, txt.getSection(Section.ANSWER).size());
        assertEquals(
                Rcode.NXDOMAIN,
                DnsClient.ask(Transport.UDP, server.v4(), DnsClient.query("x.media.geo.test.", Type.A))
                        .getRcode());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "scope not zero,       00010118c0000200",
        "unknown family,       00030018c00002",
        "source above 32,      00010021c0000201ff",
        "address too long,     00010018c0000201",
        "bits past the prefix, 00010017c00003",
    })
    void malformedClientSubnetIsFormerr(String why, String optionHex) throws Exception {
        byte[] data = java.util.HexFormat.of().parseHex(optionHex);
        Message q = DnsClient.query("geo.test.", Type.A);
        q.addRecord(
                new OPTRecord(1232, 0, 0, 0, List.of(new GenericEDNSOption(EDNSOption.Code.CLIENT_SUBNET, data))),
                Section.ADDITIONAL);
        assertEquals(Rcode.FORMERR, DnsClient.ask(Transport.UDP, server.v4(), q).getRcode(), why);
    }

    @Test
    void drainingAPopInPopsYamlMovesClientsOnTheNextQuery() throws Exception {
        ClientSubnetOption dutch = ecs(24, InetAddress.getByName("131.180.1.1"));
        assertEquals(
                List.of("geo.test. 30 IN A 192.0.2.4"),
                AnswerRulesTest.section(ask(Transport.UDP, "geo.test.", Type.A, dutch), Section.ANSWER));
        Path pops = zones.resolve("pops.yaml");
        String original = Files.readString(pops);
        int mark = server.logSize();
        Files.writeString(
                pops,
                original.replace(
                        "addresses: [192.0.2.4, \"2001:db8::4\"]",
                        "addresses: [192.0.2.4, \"2001:db8::4\"]\n    state: drain"));
        try {
            assertTrue(
                    server.awaitLogAfter(mark, l -> l.contains("reload: ok"), Duration.ofSeconds(15)),
                    server.logText());
            assertEquals(
                    List.of("geo.test. 30 IN A " + HQ_A),
                    AnswerRulesTest.section(ask(Transport.UDP, "geo.test.", Type.A, dutch), Section.ANSWER),
                    "eu-west drained: the next nearest, hq");
        } finally {
            mark = server.logSize();
            Files.writeString(pops, original);
            assertTrue(
                    server.awaitLogAfter(mark, l -> l.contains("reload: ok"), Duration.ofSeconds(15)),
                    server.logText());
        }
        assertEquals(
                List.of("geo.test. 30 IN A 192.0.2.4"),
                AnswerRulesTest.section(ask(Transport.UDP, "geo.test.", Type.A, dutch), Section.ANSWER));
    }

    @Test
    void aBrokenPopsYamlIsRejectedWithFileAndLine() throws Exception {
        Path pops = zones.resolve("pops.yaml");
        String original = Files.readString(pops);
        int mark = server.logSize();
        Files.writeString(pops, original.replace("location: [52.37, 4.90]", "location: [92.37, 4.90]"));
        try {
            assertTrue(
                    server.awaitLogAfter(
                            mark,
                            l -> l.contains(pops + ":9: pops.eu-west.location: latitude 92.37 (expected: -90..90)"),
                            Duration.ofSeconds(15)),
                    server.logText());
            ClientSubnetOption dutch = ecs(24, InetAddress.getByName("131.180.1.1"));
            assertEquals(
                    List.of("geo.test. 30 IN A 192.0.2.4"),
                    AnswerRulesTest.section(ask(Transport.UDP, "geo.test.", Type.A, dutch), Section.ANSWER),
                    "still served from the previous config");
        } finally {
            mark = server.logSize();
            Files.writeString(pops, original);
            assertTrue(
                    server.awaitLogAfter(mark, l -> l.contains("reload: ok"), Duration.ofSeconds(15)),
                    server.logText());
        }
    }

    private static Message ask(Transport transport, String name, int type, ClientSubnetOption subnet) throws Exception {
        Message q = DnsClient.query(name, type);
        q.addRecord(new OPTRecord(1232, 0, 0, 0, List.of(subnet)), Section.ADDITIONAL);
        Message reply = DnsClient.ask(transport, transport == Transport.UDP ? server.v4() : server.v6(), q);
        assertEquals(Rcode.NOERROR, reply.getRcode(), reply.toString());
        return reply;
    }

    /** The last address of the /{@code prefix} block holding {@code address}. */
    private static InetAddress lastOfBlock(InetAddress address, int prefix) throws Exception {
        byte[] b = address.getAddress();
        for (int bit = prefix; bit < b.length * 8; bit++) {
            b[bit / 8] |= (byte) (0x80 >>> (bit % 8));
        }
        return InetAddress.getByAddress(b);
    }

    /** A client subnet option for {@code address} cut to {@code source} bits. */
    private static ClientSubnetOption ecs(int source, InetAddress address) {
        return new ClientSubnetOption(source, org.xbill.DNS.Address.truncate(address, source));
    }

    private static ClientSubnetOption subnet(Message m) {
        List<EDNSOption> options = m.getOPT().getOptions(EDNSOption.Code.CLIENT_SUBNET);
        assertEquals(1, options.size(), "ECS echoed");
        assertNotNull(options.get(0));
        return (ClientSubnetOption) options.get(0);
    }
}
