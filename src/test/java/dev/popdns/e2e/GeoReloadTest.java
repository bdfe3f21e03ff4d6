package dev.popdns.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.popdns.e2e.DnsClient.Transport;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.ClientSubnetOption;
import org.xbill.DNS.Message;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * A GeoIP database replaced by rename under a running server (as geoipupdate does): the server
 * builds a client table from the new file while the old one answers, swaps it in, and routes by
 * the new database from then on. City -> Country: the Dutch client loses its coordinates and, with
 * no override for it, goes to the HQ.
 */
class GeoReloadTest {
    private static final Path DATA = Path.of(System.getProperty("popdns.root", "../.."), "geoip/data");

    @Test
    void aReplacedDatabaseGetsItsOwnClientTable(@TempDir Path dir) throws Exception {
        Path zones = Files.createDirectory(dir.resolve("zones"));
        for (String f : List.of("geo.test.zone", "pops.yaml")) {
            Files.copy(Path.of("resources/geo", f), zones.resolve(f));
        }
        Path db = dir.resolve("GeoLite2.mmdb");
        Files.copy(DATA.resolve("GeoLite2-City.mmdb"), db);
        try (ServerProcess server = ServerProcess.start(zones, "--geoip", db.toString())) {
            assertTrue(server.logText().contains("geoip: client table of "), server.logText());
            assertEquals(List.of("geo.test. 30 IN A 192.0.2.4"), dutchAnswer(server), "City: nearest, eu-west");

            int mark = server.logSize();
            Path next = dir.resolve("GeoLite2.mmdb.new");
            Files.copy(DATA.resolve("GeoLite2-Country.mmdb"), next);
            Files.move(next, db, StandardCopyOption.ATOMIC_MOVE);
            // the watcher looks every 60 s; then the table is built beside the served one
            assertTrue(
                    server.awaitLogAfter(mark, l -> l.contains("geoip: client table of "), Duration.ofSeconds(180)),
                    server.logText());
            assertTrue(server.logText().contains("reloaded: GeoLite2-Country"), server.logText());
            // the table is logged when built and swapped in just after: poll the answer (bounded)
            List<String> hq = List.of("geo.test. 30 IN A 192.0.2.1");
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            List<String> answer = dutchAnswer(server);
            while (!answer.equals(hq) && System.nanoTime() < deadline) {
                Thread.sleep(100);
                answer = dutchAnswer(server);
            }
            assertEquals(hq, answer, "Country: no coordinates and no override for NL, so the HQ");
        }
    }

    private static List<String> dutchAnswer(ServerProcess server) throws Exception {
        Message q = DnsClient.query("geo.test.", Type.A);
        InetAddress client = InetAddress.getByName("131.180.1.0");
        q.addRecord(new OPTRecord(1232, 0, 0, 0, List.of(new ClientSubnetOption(24, client))), Section.ADDITIONAL);
        return AnswerRulesTest.section(DnsClient.ask(Transport.UDP, server.v4(), q), Section.ANSWER);
    }
}
