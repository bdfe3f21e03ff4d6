package dev.popdns.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.popdns.e2e.DnsClient.Transport;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.ClientSubnetOption;
import org.xbill.DNS.Message;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * Per-name addresses (issue 13): media.geo.test. answers only A ({@code families: [A]}) and has
 * its own address at eu-west ({@code pops.eu-west.names}), while geo.test. keeps the PoP's
 * addresses. Routing, explain, the status API and diff follow, on the packaged server.
 */
class PerNameAddressesTest {
    private static final Path DB = Path.of(System.getProperty("popdns.root", "../.."), "geoip/data/GeoLite2-City.mmdb");
    private static final String DUTCH = "131.180.1.0";
    private static final String POPS = """
            pops:
              hq:
                hq: true
                location: [50.47, 12.37]
                addresses: [192.0.2.1, "2001:db8::1"]
              eu-west:
                location: [52.37, 4.90]
                addresses: [192.0.2.4, "2001:db8::4"]
                names:
                  media.geo.test.: { addresses: [192.0.2.44] }
            names:
              geo.test.: { ttl: 30 }
              media.geo.test.: { ttl: 60, families: [A] }
            """;

    @Test
    void aNameWithItsOwnAddressesAndOneFamily(@TempDir Path dir) throws Exception {
        assertTrue(Files.isRegularFile(DB), "GeoLite2 database missing at " + DB);
        Path zones = Files.createDirectory(dir.resolve("zones"));
        Files.copy(Path.of("resources/geo/geo.test.zone"), zones.resolve("geo.test.zone"));
        Files.writeString(zones.resolve("pops.yaml"), POPS);
        try (ServerProcess server = ServerProcess.start(zones, "--geoip", DB.toString())) {
            assertEquals(List.of("192.0.2.44"), ask(server, "media.geo.test.", Type.A).answer, "eu-west's own address");
            assertEquals(List.of("192.0.2.4"), ask(server, "geo.test.", Type.A).answer, "the PoP's address");
            assertEquals(List.of("2001:db8:0:0:0:0:0:4"), ask(server, "geo.test.", Type.AAAA).answer);
            Reply noV6 = ask(server, "media.geo.test.", Type.AAAA);
            assertEquals(Rcode.NOERROR, noV6.rcode);
            assertEquals(List.of(), noV6.answer, "media answers A only: AAAA is NODATA");
            assertEquals(1, noV6.authority, "with the SOA");

            JarCommand.Result explain = JarCommand.run(
                    "explain",
                    "media.geo.test.",
                    "A",
                    "131.180.1.1",
                    "--server",
                    "http://127.0.0.1:" + server.httpPort);
            assertEquals(0, explain.exit(), explain.err());
            assertTrue(explain.out().contains("media.geo.test.\t\t60\tIN\tA\t192.0.2.44"), explain.out());
            JarCommand.Result explainV6 = JarCommand.run(
                    "explain",
                    "media.geo.test.",
                    "AAAA",
                    "131.180.1.1",
                    "--server",
                    "http://127.0.0.1:" + server.httpPort);
            assertTrue(explainV6.out().contains("no AAAA records"), explainV6.out());
            assertTrue(explainV6.out().contains("answer:    NODATA"), explainV6.out());

            JsonNode status = new ObjectMapper()
                    .readTree(HttpClient.newHttpClient()
                            .send(
                                    HttpRequest.newBuilder(URI.create(
                                                    "http://127.0.0.1:" + server.httpPort + "/api/v1/status"))
                                            .timeout(Duration.ofSeconds(5))
                                            .build(),
                                    HttpResponse.BodyHandlers.ofString())
                            .body());
            for (JsonNode n : status.path("names")) {
                assertEquals(
                        n.path("name").asText().equals("media.geo.test.") ? "[\"A\"]" : "[\"A\",\"AAAA\"]",
                        n.path("families").toString(),
                        n.toString());
            }
        }
        // diff names the change of family and of the PoP's own addresses
        Path before = Files.createDirectory(dir.resolve("before"));
        Files.copy(Path.of("resources/geo/geo.test.zone"), before.resolve("geo.test.zone"));
        Files.writeString(
                before.resolve("pops.yaml"),
                POPS.replace("    names:\n      media.geo.test.: { addresses: [192.0.2.44] }\n", "")
                        .replace(", families: [A]", ""));
        JarCommand.Result diff = JarCommand.run("diff", before.toString(), zones.toString(), "--geoip", DB.toString());
        assertEquals(0, diff.exit(), diff.err());
        assertTrue(
                diff.out()
                        .contains("- name `media.geo.test.`: families [A, AAAA] -> [A]: the other family is NODATA\n"),
                diff.out());
        assertTrue(
                diff.out().contains("- PoP `eu-west`: names.media.geo.test.addresses (none) -> [192.0.2.44]\n"),
                diff.out());
    }

    record Reply(int rcode, List<String> answer, int authority) {}

    private static Reply ask(ServerProcess server, String name, int type) throws IOException {
        Message q = DnsClient.query(name, type);
        q.addRecord(
                new OPTRecord(1232, 0, 0, 0, List.of(new ClientSubnetOption(24, InetAddress.getByName(DUTCH)))),
                Section.ADDITIONAL);
        Message reply = DnsClient.ask(Transport.UDP, server.v4(), q);
        List<String> answer = new ArrayList<>();
        for (Record r : reply.getSection(Section.ANSWER)) {
            answer.add(r.rdataToString());
        }
        return new Reply(
                reply.getRcode(), answer, reply.getSection(Section.AUTHORITY).size());
    }
}
