package dev.popdns.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.CookieOption;
import org.xbill.DNS.EDNSOption;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * Response rate limiting against the packaged server (rate-limit 50/s, slip 2), as a reflection
 * attack would meet it: one source floods 1,000 queries/s for 5 s for the apex NS (the largest
 * answer the test zone has); at the same time a source in another /24, TCP from the flooding
 * source, and a client with a valid server cookie from the flooding source must all be answered
 * in full.
 */
class RateLimitTest {
    private static final int RATE = 1000;
    private static final int SECONDS = 5;

    @Test
    void aFloodFromOneSourceIsCutWhileOthersAreAnswered(@TempDir Path dir) throws Exception {
        Path config = dir.resolve("popdns.yaml");
        Files.writeString(config, """
                rate-limit:
                  responses-per-second: 50
                  slip: 2
                """);
        try (ServerProcess server = ServerProcess.start(Path.of("resources/zones"), "--config", config.toString())) {
            InetSocketAddress target = server.v4();
            byte[] cookieQuery = cookieClientQuery(target);

            Flood flood = new Flood(target);
            Thread flooding = new Thread(flood, "flood");
            flooding.start();
            List<String> failures = new ArrayList<>();
            int otherAnswered = 0;
            int tcpAnswered = 0;
            int cookieAnswered = 0;
            int rounds = 0;
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(SECONDS - 1);
            try (DatagramSocket other = new DatagramSocket(new InetSocketAddress("127.1.0.1", 0));
                    DatagramSocket cookieClient = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
                while (System.nanoTime() < end) {
                    rounds++;
                    Message full = answer(
                            other,
                            target,
                            DnsClient.query("example.test.", Type.NS).toWire());
                    if (full != null
                            && !full.getHeader().getFlag(Flags.TC)
                            && full.getSection(Section.ANSWER).size() == 2) {
                        otherAnswered++;
                    } else {
                        failures.add("another /24: " + full);
                    }
                    Message tcp = new Message(DnsClient.tcp(
                            target, DnsClient.query("example.test.", Type.NS).toWire()));
                    if (tcp.getSection(Section.ANSWER).size() == 2) {
                        tcpAnswered++;
                    }
                    Message cookie = answer(cookieClient, target, cookieQuery);
                    if (cookie != null
                            && !cookie.getHeader().getFlag(Flags.TC)
                            && cookie.getSection(Section.ANSWER).size() == 2) {
                        cookieAnswered++;
                    } else {
                        failures.add("cookie client: " + cookie);
                    }
                    Thread.sleep(100);
                }
            }
            flooding.join(TimeUnit.SECONDS.toMillis(SECONDS + 10));
            assertFalse(flooding.isAlive(), "the flood did not end");
            flood.check("popdns");
            assertTrue(rounds >= 5, "only " + rounds + " rounds of the other clients");
            assertEquals(List.of(), failures);
            assertEquals(rounds, otherAnswered);
            assertEquals(rounds, tcpAnswered);
            assertEquals(rounds, cookieAnswered);

            String metrics = server.metrics();
            assertTrue(ServerProcess.sum(metrics, "popdns_rrl_responses_total", "action=\"slipped\"") > 0, metrics);
            assertTrue(ServerProcess.sum(metrics, "popdns_rrl_responses_total", "action=\"dropped\"") > 0, metrics);
            assertTrue(
                    server.awaitLog(line -> line.contains("127.0.0.0/24 is over the limit"), Duration.ofSeconds(5)),
                    server.logText());
        }
    }

    /**
     * The same flood against Knot DNS with mod-rrl at the same settings, in the same run: the
     * comparison figure of BENCHMARKS.md, and a check that the comparison is set up right (Knot
     * must cut the flood too).
     */
    @Test
    void knotWithModRrlCutsTheSameFlood(@TempDir Path dir) throws Exception {
        Path knotd = Path.of("/usr/sbin/knotd");
        assertTrue(Files.isExecutable(knotd), "knotd missing: install the Debian package 'knot' (./popdns test does)");
        int port = ServerProcess.freePort();
        InetSocketAddress target = new InetSocketAddress("127.0.0.1", port);
        StringBuilder zones = new StringBuilder();
        try (var files = Files.newDirectoryStream(Path.of("resources/zones"), "*.zone")) {
            for (Path f : files) {
                Files.copy(f, dir.resolve(f.getFileName()));
                zones.append("  - domain: ")
                        .append(f.getFileName().toString().replaceFirst("\\.zone$", ""))
                        .append('\n');
            }
        }
        Files.writeString(dir.resolve("knot.conf"), """
                server:
                    listen: 127.0.0.1@%d
                    rundir: %s
                database:
                    storage: %s
                log:
                  - target: stderr
                    any: warning
                mod-rrl:
                  - id: flood
                    rate-limit: 50
                    slip: 2
                template:
                  - id: default
                    storage: %s
                    file: "%%s.zone"
                    zonefile-sync: -1
                    journal-content: none
                    global-module: mod-rrl/flood
                zone:
                %s""".formatted(port, dir, dir.resolve("db"), dir, zones));
        Process knot = new ProcessBuilder(
                        knotd.toString(), "-c", dir.resolve("knot.conf").toString())
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("knot.log").toFile())
                .start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            byte[] probe = DnsClient.query("example.test.", Type.SOA).toWire();
            while (DnsClient.udp(target, probe, 300) == null) {
                assertTrue(System.nanoTime() < deadline && knot.isAlive(), "knotd did not answer within 20 s");
            }
            // let the probe's budget refill so that both servers meet the flood alike
            Thread.sleep(1500);
            Flood flood = new Flood(target);
            flood.run();
            flood.check("knot " + knotVersion(knotd));
        } finally {
            knot.destroy();
            if (!knot.waitFor(10, TimeUnit.SECONDS)) {
                knot.destroyForcibly();
            }
        }
    }

    private static String knotVersion(Path knotd) throws Exception {
        Process p = new ProcessBuilder(knotd.toString(), "--version")
                .redirectErrorStream(true)
                .start();
        String text = new String(p.getInputStream().readAllBytes()).trim();
        p.waitFor(5, TimeUnit.SECONDS);
        return text.replaceAll(".*version ", "");
    }

    /**
     * A query from 127.0.0.1 carrying a valid server cookie: asks once for one (before the flood,
     * so that the first answer is not limited) and returns the next query with it.
     */
    private static byte[] cookieClientQuery(InetSocketAddress target) throws Exception {
        byte[] client = {1, 2, 3, 4, 5, 6, 7, 8};
        Message first = DnsClient.query("example.test.", Type.NS);
        first.addRecord(new OPTRecord(1232, 0, 0, 0, List.of(new CookieOption(client))), Section.ADDITIONAL);
        Message reply;
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            reply = answer(socket, target, first.toWire());
        }
        assertNotNull(reply, "no answer to the first cookie query");
        assertEquals(Rcode.NOERROR, reply.getRcode());
        CookieOption cookie =
                (CookieOption) reply.getOPT().getOptions(EDNSOption.Code.COOKIE).get(0);
        assertTrue(Arrays.equals(client, cookie.getClientCookie()), "client cookie not echoed");
        byte[] server = cookie.getServerCookie().orElseThrow();
        assertEquals(16, server.length);
        Message next = DnsClient.query("example.test.", Type.NS);
        next.addRecord(new OPTRecord(1232, 0, 0, 0, List.of(new CookieOption(client, server))), Section.ADDITIONAL);
        return next.toWire();
    }

    /** Sends one query and waits up to 2 s for the reply with its id; null when none came. */
    private static Message answer(DatagramSocket socket, InetSocketAddress target, byte[] query) throws Exception {
        socket.send(new DatagramPacket(query, query.length, target));
        socket.setSoTimeout(2000);
        byte[] buffer = new byte[4096];
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while (System.nanoTime() < deadline) {
            DatagramPacket p = new DatagramPacket(buffer, buffer.length);
            try {
                socket.receive(p);
            } catch (SocketTimeoutException e) {
                return null;
            }
            Message m = new Message(Arrays.copyOf(p.getData(), p.getLength()));
            if (m.getHeader().getID() == ((query[0] & 0xff) << 8 | (query[1] & 0xff))) {
                return m;
            }
        }
        return null;
    }

    /** 1,000 queries/s for 5 s from 127.0.0.1, paced in slices of 10 ms; counts what comes back. */
    private static final class Flood implements Runnable {
        private final InetSocketAddress target;
        final AtomicLong sent = new AtomicLong();
        final AtomicLong full = new AtomicLong();
        final AtomicLong slipped = new AtomicLong();
        final AtomicLong bytesOut = new AtomicLong();
        final AtomicLong bytesIn = new AtomicLong();
        volatile Throwable failure;

        Flood(InetSocketAddress target) {
            this.target = target;
        }

        /** Prints the figures (for BENCHMARKS.md) and checks what RRL at 50/s with slip 2 must give. */
        void check(String server) {
            assertNull(failure, "flood against " + server);
            long queries = sent.get();
            System.out.printf(
                    "rrl flood against %s: %d queries sent in %d s, %d full answers (%.1f%%), %d slipped (%.1f%%),"
                            + " %d unanswered; %d bytes sent, %d received: %.2f bytes out per byte in%n",
                    server,
                    queries,
                    SECONDS,
                    full.get(),
                    100.0 * full.get() / queries,
                    slipped.get(),
                    100.0 * slipped.get() / queries,
                    queries - full.get() - slipped.get(),
                    bytesOut.get(),
                    bytesIn.get(),
                    (double) bytesIn.get() / bytesOut.get());
            assertTrue(queries >= RATE * SECONDS / 2, "the flood sent only " + queries + " queries");
            assertTrue(
                    full.get() <= queries * 0.15,
                    full.get() + " full answers of " + queries + " queries (expected: at most 15%)");
            assertTrue(slipped.get() > 0, "no slipped answer among " + queries);
        }

        @Override
        public void run() {
            try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
                socket.setReceiveBufferSize(4 << 20);
                Thread reader = new Thread(() -> read(socket), "flood-reader");
                reader.start();
                byte[] query = DnsClient.withEdns(DnsClient.query("example.test.", Type.NS), 1232, 0)
                        .toWire();
                long start = System.nanoTime();
                for (int slice = 0; slice < SECONDS * 100; slice++) {
                    for (int i = 0; i < RATE / 100; i++) {
                        socket.send(new DatagramPacket(query, query.length, target));
                        sent.incrementAndGet();
                        bytesOut.addAndGet(query.length);
                    }
                    long next = start + TimeUnit.MILLISECONDS.toNanos(10L * (slice + 1));
                    long wait = next - System.nanoTime();
                    if (wait > 0) {
                        TimeUnit.NANOSECONDS.sleep(wait);
                    }
                }
                reader.join(TimeUnit.SECONDS.toMillis(5));
            } catch (Throwable e) {
                failure = e;
            }
        }

        /** Reads answers until none has come for 2 s. */
        private void read(DatagramSocket socket) {
            byte[] buffer = new byte[4096];
            try {
                socket.setSoTimeout(2000);
                while (true) {
                    DatagramPacket p = new DatagramPacket(buffer, buffer.length);
                    socket.receive(p);
                    bytesIn.addAndGet(p.getLength());
                    boolean truncated = (buffer[2] & 0x02) != 0;
                    int answers = (buffer[6] & 0xff) << 8 | (buffer[7] & 0xff);
                    if (truncated && answers == 0) {
                        slipped.incrementAndGet();
                    } else if (answers > 0) {
                        full.incrementAndGet();
                    }
                }
            } catch (SocketTimeoutException e) {
                // the flood is over
            } catch (Exception e) {
                failure = e;
            }
        }
    }
}
