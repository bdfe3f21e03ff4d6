package dev.popdns.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.popdns.e2e.DnsClient.Transport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/** Zone reloads on file change and SIGHUP: valid changes are served, invalid ones change nothing. */
class ReloadTest {
    private static final Duration WAIT = Duration.ofSeconds(15);

    @Test
    void reloadsValidChangesAndKeepsServingThroughBadOnes(@TempDir Path dir) throws Exception {
        Path zones = Files.createDirectory(dir.resolve("zones"));
        Path file = zones.resolve("example.test.zone");
        Files.copy(Path.of("resources/zones/example.test.zone"), file);
        String original = Files.readString(file);
        try (ServerProcess server = ServerProcess.start(zones)) {
            assertEquals(Rcode.NXDOMAIN, rcode(server, "added.example.test."));

            // 1. a valid change, written in place: served without a restart
            int mark = server.logSize();
            replace(file, original.replace("2026112201", "2026112202") + "added A 192.0.2.99\n");
            assertTrue(server.awaitLogAfter(mark, l -> l.contains("reload: ok"), WAIT), server.logText());
            assertEquals(Rcode.NOERROR, rcode(server, "added.example.test."));
            assertEquals(2026112202L, serial(server));

            // 2. a broken change: rejected with file:line and the rule; the previous zones keep answering
            mark = server.logSize();
            String broken = original.replace("2026112201", "2026112203") + "added A 192.0.2.99\nmail CNAME www\n";
            replace(file, broken);
            int line = (int) broken.lines().count();
            assertTrue(server.awaitLogAfter(mark, l -> l.contains("reload: rejected"), WAIT), server.logText());
            assertTrue(
                    server.awaitLogAfter(
                            mark,
                            l -> l.contains(
                                            file + ":" + line
                                                    + ": mail.example.test. has a CNAME and other data: A (line 11), AAAA (line 12)")
                                    && l.contains("[cname-exclusive]"),
                            WAIT),
                    server.logText());
            assertEquals(2026112202L, serial(server), "old zone still served");
            assertEquals(Rcode.NOERROR, rcode(server, "added.example.test."));

            // 3. SIGHUP reloads too (the file is still broken: rejected again, still serving)
            mark = server.logSize();
            server.hangUp();
            assertTrue(
                    server.awaitLogAfter(mark, l -> l.contains("reload: requested by SIGHUP"), WAIT), server.logText());
            assertTrue(
                    server.awaitLogAfter(mark, l -> l.contains("reload: rejected after request"), WAIT),
                    server.logText());
            assertEquals(2026112202L, serial(server));

            // 4. a serial that goes backwards is refused
            mark = server.logSize();
            replace(file, original.replace("2026112201", "2026112200"));
            assertTrue(server.awaitLogAfter(mark, l -> l.contains("[serial-decreased]"), WAIT), server.logText());
            assertEquals(2026112202L, serial(server));

            // 5. fixed, and atomically renamed into place as git and editors do
            mark = server.logSize();
            Path tmp = dir.resolve("next.zone");
            Files.writeString(tmp, original.replace("2026112201", "2026112204"));
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            assertTrue(server.awaitLogAfter(mark, l -> l.contains("reload: ok"), WAIT), server.logText());
            assertEquals(2026112204L, serial(server));
            assertEquals(
                    Rcode.NXDOMAIN, rcode(server, "added.example.test."), "the removed name is gone, cache included");

            // SIGTERM stops it cleanly
            int exit = server.stop();
            assertTrue(server.logText().contains("stop: done"), "exit " + exit + ":\n" + server.logText());
            assertFalse(server.alive());
        }
    }

    @Test
    void refusesToStartOnABrokenZoneAndSaysWhere(@TempDir Path dir) throws Exception {
        Path zones = Files.createDirectory(dir.resolve("zones"));
        Files.writeString(zones.resolve("bad.test.zone"), """
                $TTL 300
                @ SOA ns1 host 1 7200 3600 1209600 60
                  NS ns1
                ns1 A 192.0.2.1
                www A 300.1.1.1
                """);
        java.util.List<String> cmd = new java.util.ArrayList<>(ServerProcess.javaCommand());
        cmd.addAll(java.util.List.of(
                "serve",
                "--zones",
                zones.toString(),
                "--listen",
                "127.0.0.1:" + ServerProcess.freePort(),
                "--http",
                "127.0.0.1:" + ServerProcess.freePort()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS));
        assertEquals(1, p.exitValue(), out);
        assertTrue(out.contains(zones.resolve("bad.test.zone") + ":5: "), out);
        assertTrue(out.contains("cannot start: 1 error(s)"), out);
    }

    private static void replace(Path file, String content) throws Exception {
        Files.writeString(file, content);
    }

    private static int rcode(ServerProcess server, String name) throws Exception {
        return DnsClient.ask(Transport.UDP, server.v4(), DnsClient.query(name, Type.A))
                .getRcode();
    }

    private static long serial(ServerProcess server) throws Exception {
        Message m = DnsClient.ask(Transport.UDP, server.v4(), DnsClient.query("example.test.", Type.SOA));
        return ((SOARecord) m.getSection(Section.ANSWER).get(0)).getSerial();
    }
}
