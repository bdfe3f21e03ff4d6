package dev.popdns.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Type;

/**
 * The class-data archive of deploy/systemd/popdns.service, with the unit's own JAVA_OPTS (the
 * archive moved to a temporary directory): written when the server stops, mapped by the next
 * start, and a damaged one refused by the JVM with a warning while the server starts and answers
 * as usual.
 */
class ClassDataSharingTest {
    private static final Path UNIT =
            Path.of(System.getProperty("popdns.root", "../..")).resolve("deploy/systemd/popdns.service");
    private static final String UNIT_ARCHIVE = "/var/cache/popdns/popdns.jsa";

    @Test
    void theUnitsArchiveIsWrittenThenMappedAndADamagedOneIsIgnored(@TempDir Path dir) throws Exception {
        Path archive = dir.resolve("popdns.jsa");
        List<String> flags = unitJavaOptions(archive);

        // no archive yet: the JVM writes one when it stops
        try (ServerProcess server = start(flags)) {
            answers(server);
            assertFalse(Files.exists(archive), "the archive is written at exit, not before");
            assertEquals(143, server.stop());
        }
        assertTrue(Files.size(archive) > 1 << 20, "archive of " + Files.size(archive) + " bytes");
        FileTime written = Files.getLastModifiedTime(archive);

        // the next start maps it, and leaves it as it is
        try (ServerProcess server = start(flags)) {
            answers(server);
            assertTrue(mapped(server, archive), "the archive is mapped into the JVM");
            assertEquals(143, server.stop());
        }
        assertEquals(written, Files.getLastModifiedTime(archive));

        // damaged in the middle (a bad disk, a write cut short): VerifySharedSpaces finds it, the
        // JVM says so and starts without it; without that flag this archive can fail the start
        damage(archive);
        try (ServerProcess server = start(flags)) {
            answers(server);
            assertTrue(
                    server.awaitLog(
                            l -> l.contains("Unable to use shared archive. The top archive failed to load: " + archive),
                            Duration.ofSeconds(5)),
                    server.logText());
            assertEquals(143, server.stop());
        }
    }

    /** JAVA_OPTS of the unit's Environment=, the archive path replaced by {@code archive}. */
    private static List<String> unitJavaOptions(Path archive) throws IOException {
        Map<String, List<String>> service = DeployFilesTest.parse(UNIT).get("Service");
        String javaOpts = null;
        for (String env : service.get("Environment")) {
            if (env.startsWith("JAVA_OPTS=")) {
                javaOpts = env.substring("JAVA_OPTS=".length());
            }
        }
        assertNotNull(javaOpts, "Environment=JAVA_OPTS=... in " + UNIT);
        assertTrue(javaOpts.contains("-XX:SharedArchiveFile=" + UNIT_ARCHIVE), javaOpts);
        List<String> flags = new ArrayList<>();
        for (String flag : javaOpts.replace(UNIT_ARCHIVE, archive.toString()).split("\\s+")) {
            flags.add(flag);
        }
        return flags;
    }

    private static ServerProcess start(List<String> flags) throws IOException {
        return ServerProcess.start(flags, Map.of("MALLOC_ARENA_MAX", "2"), Path.of("resources/zones"));
    }

    private static void answers(ServerProcess server) throws IOException {
        Message reply = new Message(DnsClient.udp(
                new InetSocketAddress("127.0.0.1", server.dnsPort),
                DnsClient.query("example.test.", Type.SOA).toWire()));
        assertEquals(Rcode.NOERROR, reply.getRcode());
        assertEquals(1, reply.getSection(org.xbill.DNS.Section.ANSWER).size());
    }

    /** Whether the JVM has {@code archive} mapped (CDS maps the file's regions into memory). */
    private static boolean mapped(ServerProcess server, Path archive) throws IOException {
        return Files.readString(Path.of("/proc", Long.toString(server.pid()), "maps"))
                .contains(archive.toRealPath().toString());
    }

    /** 64 KiB of random bytes over the middle of the file. */
    private static void damage(Path archive) throws IOException {
        byte[] noise = new byte[64 * 1024];
        new Random(12).nextBytes(noise);
        try (RandomAccessFile f = new RandomAccessFile(archive.toFile(), "rw")) {
            f.seek(f.length() / 2);
            f.write(noise);
        }
    }
}
