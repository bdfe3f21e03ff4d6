package dev.popdns.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.EDNSOption;
import org.xbill.DNS.GenericEDNSOption;
import org.xbill.DNS.Message;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Section;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.Type;

/**
 * RFC 7766 done defensively, against the packaged server over loopback: clients that send queries
 * and never read the answers cost bounded memory and do not delay anyone else; a backlog is
 * answered as the client reads it; an oversized query and a client over its connection limit are
 * closed.
 */
class TcpDefenceTest {
    private static final int NEVER_READING_CLIENTS = 50;
    private static final long FLOOD_SECONDS = 30;
    private static final long GRACE_MILLIS = 2000;
    private static final long RSS_GROWTH_LIMIT = 64L << 20;

    /** A zone whose TXT answer is about 600 octets, and nothing else of note. */
    static Path zones(Path dir) throws IOException {
        Path zones = Files.createDirectories(dir.resolve("zones"));
        String chunk = "x".repeat(190);
        Files.writeString(
                zones.resolve("defence.test.zone"),
                String.join(
                        "\n",
                        "$ORIGIN defence.test.",
                        "$TTL 3600",
                        "@     SOA  ns1 hostmaster 1 7200 3600 1209600 600",
                        "      NS   ns1",
                        "ns1   A    192.0.2.53",
                        "@     A    192.0.2.1",
                        "big   TXT  \"" + chunk + "1\" \"" + chunk + "2\" \"" + chunk + "3\"",
                        ""));
        return zones;
    }

    /**
     * The heap is fixed and touched at start ({@code -Xms256m -Xmx256m -XX:+AlwaysPreTouch}): it is
     * bounded by {@code -Xmx} whatever the clients do, and how much of it a busy JVM happens to
     * touch would hide the rest. What is measured is everything else the process holds: Netty's
     * buffers (answers waiting for a client), thread stacks, code. That is where 50 clients that
     * never read took popdns from 116 to 930 MiB before it applied backpressure.
     */
    @Test
    void clientsThatNeverReadCostBoundedMemoryAndDelayNoOne(@TempDir Path dir) throws Exception {
        try (ServerProcess server = ServerProcess.start(
                List.of("-Xms256m", "-Xmx256m", "-XX:+AlwaysPreTouch"), java.util.Map.of(), zones(dir))) {
            byte[] query = DnsClient.query("big.defence.test.", Type.TXT).toWire();
            Message answer =
                    DnsClient.ask(DnsClient.Transport.TCP, server.v4(), DnsClient.query("big.defence.test.", Type.TXT));
            int answerSize = answer.toWire().length;
            assertTrue(answerSize >= 550 && answerSize <= 700, "a ~600-octet answer, got " + answerSize);
            // Warm-up: the same queries, pipelined 64 at a time by 8 clients that do read, for 5 s,
            // so that the baseline includes what any busy server has resident (JIT, buffer pools,
            // the young generation it cycles through). Growth after it is what never reading costs.
            byte[] burst = framed(query, 64);
            List<Thread> warmers = new ArrayList<>();
            long warmEnd = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            for (int c = 0; c < 8; c++) {
                warmers.add(Thread.ofPlatform().daemon().start(() -> {
                    try (Socket s = new Socket()) {
                        s.connect(server.v4(), 2000);
                        s.setSoTimeout(5000);
                        DataInputStream in = new DataInputStream(s.getInputStream());
                        while (System.nanoTime() < warmEnd) {
                            s.getOutputStream().write(burst);
                            for (int i = 0; i < 64; i++) {
                                DnsClient.readFramed(in);
                            }
                        }
                    } catch (IOException e) {
                        throw new IllegalStateException("warm-up client", e);
                    }
                }));
            }
            for (Thread t : warmers) {
                t.join(20_000);
            }
            long before = Rss.of(server.pid());

            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(FLOOD_SECONDS);
            AtomicInteger connections = new AtomicInteger();
            AtomicInteger closedByServer = new AtomicInteger();
            java.util.concurrent.atomic.AtomicBoolean release = new java.util.concurrent.atomic.AtomicBoolean();
            List<Socket> open = new ArrayList<>();
            List<Thread> flooders = new ArrayList<>();
            for (int c = 0; c < NEVER_READING_CLIENTS; c++) {
                // each from its own loopback address: 50 clients, not one client with 50 connections
                InetAddress source = InetAddress.getByAddress(new byte[] {127, 0, 1, (byte) (c + 1)});
                Thread t = Thread.ofPlatform().daemon().name("never-reads-" + c).start(() -> {
                    while (System.nanoTime() < end) {
                        Socket s = new Socket();
                        synchronized (open) {
                            open.add(s);
                        }
                        try (s) {
                            s.bind(new InetSocketAddress(source, 0));
                            s.connect(server.v4(), 2000);
                            connections.incrementAndGet();
                            OutputStream out = s.getOutputStream();
                            while (System.nanoTime() < end) {
                                out.write(burst); // blocks once the server stops reading
                            }
                            // the flood is over: hold the connection open, still reading nothing,
                            // until the server has closed it (or the test gives up)
                            while (!release.get()) {
                                pause(100);
                            }
                        } catch (IOException e) {
                            if (System.nanoTime() < end) {
                                closedByServer.incrementAndGet();
                            }
                        }
                        pause(100); // then come back, for as long as the flood lasts
                    }
                });
                flooders.add(t);
            }

            long start = System.nanoTime();
            long[] peak = {before};
            int[] maxOpen = {0};
            Thread sampler = Thread.ofPlatform().daemon().start(() -> {
                try {
                    while (System.nanoTime() < end) {
                        long rss = Rss.of(server.pid());
                        int tcp = (int) ServerProcess.sum(server.metrics(), "popdns_tcp_connections");
                        synchronized (peak) {
                            peak[0] = Math.max(peak[0], rss);
                            maxOpen[0] = Math.max(maxOpen[0], tcp);
                        }
                        pause(500);
                    }
                } catch (IOException | InterruptedException e) {
                    throw new IllegalStateException("sampling the server", e);
                }
            });
            List<String> failures = new ArrayList<>();
            int probes = 0;
            long slowest = 0;
            while (System.nanoTime() < end) {
                long probeStart = System.nanoTime();
                long at = TimeUnit.NANOSECONDS.toMillis(probeStart - start);
                String udp = probe(DnsClient.Transport.UDP, server);
                String tcp = probe(DnsClient.Transport.TCP, server);
                long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - probeStart);
                if (at >= GRACE_MILLIS) {
                    probes++;
                    slowest = Math.max(slowest, took);
                    if (udp != null) {
                        failures.add(at + " ms: " + udp);
                    }
                    if (tcp != null) {
                        failures.add(at + " ms: " + tcp);
                    }
                }
                pause(Math.max(0, 1000 - took));
            }
            sampler.join(10_000);
            // The clients still hold their connections and read nothing: the server must close every
            // one of them once it has made no progress for the idle timeout (bounded wait: the
            // machine may be slow to drain what was already read).
            long closeDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            double stillOpen;
            while ((stillOpen = ServerProcess.sum(server.metrics(), "popdns_tcp_connections")) > 0
                    && System.nanoTime() < closeDeadline) {
                pause(500);
            }
            release.set(true);
            synchronized (open) {
                for (Socket s : open) {
                    s.close();
                }
            }
            for (Thread t : flooders) {
                t.join(10_000);
            }
            System.out.printf(
                    "TcpDefenceTest: %d never-reading clients for %d s: RSS %d MiB before, peak %d MiB (+%d MiB); "
                            + "%d connections, %d closed by the server; most open at once %d; %d of %d probes failed, "
                            + "slowest UDP+TCP probe pair %d ms%n",
                    NEVER_READING_CLIENTS,
                    FLOOD_SECONDS,
                    before >> 20,
                    peak[0] >> 20,
                    (peak[0] - before) >> 20,
                    connections.get(),
                    closedByServer.get(),
                    maxOpen[0],
                    failures.size(),
                    2 * probes,
                    slowest);

            assertTrue(server.alive(), server.logText());
            assertEquals(List.of(), failures, "queries from another client after the first 2 s");
            assertTrue(probes >= FLOOD_SECONDS / 3, "probes made: " + probes);
            assertTrue(
                    peak[0] - before < RSS_GROWTH_LIMIT,
                    "resident memory grew by " + ((peak[0] - before) >> 20) + " MiB (limit 64 MiB)");
            assertEquals(
                    0.0,
                    stillOpen,
                    "never-reading connections the server had not closed 90 s after the flood, while their"
                            + " clients held them open");
            // no accumulation: one connection per flooder, the TCP probe, and a few a sample may catch
            // between a flooder's reconnect and the server's processing of its old connection's close
            assertTrue(maxOpen[0] <= NEVER_READING_CLIENTS + 5, "popdns_tcp_connections peaked at " + maxOpen[0]);
            String metrics = server.metrics();
            assertEquals(0.0, ServerProcess.sum(metrics, "popdns_internal_errors_total"), metrics);
        }
    }

    @Test
    void aBacklogIsAnsweredInOrderAsTheClientReadsIt(@TempDir Path dir) throws Exception {
        try (ServerProcess server = ServerProcess.start(zones(dir))) {
            int count = 2000; // ~1.3 MB of answers: far beyond 32 in flight and the write-buffer marks
            List<Message> queries = new ArrayList<>();
            byte[][] wire = new byte[count][];
            for (int i = 0; i < count; i++) {
                Message q = DnsClient.query(
                        i % 2 == 0 ? "big.defence.test." : "defence.test.", i % 2 == 0 ? Type.TXT : Type.A);
                queries.add(q);
                wire[i] = q.toWire();
            }
            try (Socket s = new Socket()) {
                s.connect(server.v4(), 3000);
                s.setSoTimeout(5000);
                Thread writer = Thread.ofPlatform().daemon().start(() -> {
                    try {
                        DnsClient.writeFramed(s.getOutputStream(), wire);
                    } catch (IOException e) {
                        // the reads below report it
                    }
                });
                pause(3000); // the server stops reading; nothing is lost
                DataInputStream in = new DataInputStream(s.getInputStream());
                for (int i = 0; i < count; i++) {
                    Message reply = new Message(DnsClient.readFramed(in));
                    assertEquals(
                            queries.get(i).getHeader().getID(),
                            reply.getHeader().getID(),
                            "answer " + i);
                    assertEquals(Rcode.NOERROR, reply.getRcode(), "answer " + i);
                    if (i % 2 == 0) {
                        assertTrue(reply.getSection(Section.ANSWER).get(0) instanceof TXTRecord);
                    }
                }
                writer.join(5000);
            }
        }
    }

    @Test
    void queriesAbove4096OctetsCloseTheConnectionAndTheLimitPerClientHolds(@TempDir Path dir) throws Exception {
        Path config = dir.resolve("popdns.yaml");
        Files.writeString(config, "tcp-max-connections-per-client: 4\n");
        try (ServerProcess server = ServerProcess.start(zones(dir), "--config", config.toString())) {
            // 4096 octets exactly: answered, the connection stays
            try (Socket s = connect(server, "127.0.0.1")) {
                DataInputStream in = new DataInputStream(s.getInputStream());
                DnsClient.writeFramed(s.getOutputStream(), padded(4096));
                assertEquals(Rcode.NOERROR, new Message(DnsClient.readFramed(in)).getRcode());
                // 4097: closed as soon as the length is read, before the message is sent
                s.getOutputStream().write(new byte[] {0x10, 0x01});
                s.getOutputStream().flush();
                assertClosed(s.getInputStream());
            }

            List<Socket> four = new ArrayList<>();
            try {
                for (int i = 0; i < 4; i++) {
                    four.add(connect(server, "127.0.0.1"));
                }
                try (Socket fifth = connect(server, "127.0.0.1")) {
                    assertClosed(fifth.getInputStream());
                }
                // another client (address) is not affected, and the first four still work
                try (Socket other = connect(server, "127.0.0.2")) {
                    assertEquals(Rcode.NOERROR, ask(other).getRcode());
                }
                for (Socket s : four) {
                    assertEquals(Rcode.NOERROR, ask(s).getRcode());
                }
                assertEquals(4.0, countAfterSettling(server, 4), "popdns_tcp_connections");
            } finally {
                for (Socket s : four) {
                    s.close();
                }
            }
            // a slot is free again once a connection closes
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (ServerProcess.sum(server.metrics(), "popdns_tcp_connections") > 0) {
                assertTrue(System.nanoTime() < deadline, "connections did not close");
                pause(100);
            }
            try (Socket again = connect(server, "127.0.0.1")) {
                assertEquals(Rcode.NOERROR, ask(again).getRcode());
            }
        }
    }

    /** popdns_tcp_connections once it reads {@code expected} (bounded wait), else its last value. */
    private static double countAfterSettling(ServerProcess server, int expected) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        double value;
        while ((value = ServerProcess.sum(server.metrics(), "popdns_tcp_connections")) != expected
                && System.nanoTime() < deadline) {
            pause(100);
        }
        return value;
    }

    /** A query for defence.test. A, padded (RFC 7830 option) to exactly {@code size} octets. */
    private static byte[] padded(int size) {
        Message q = DnsClient.query("defence.test.", Type.A);
        int bare = q.toWire().length + 11 + 4; // OPT record fixed part, option header
        q.addRecord(
                new OPTRecord(
                        1232, 0, 0, 0, List.of(new GenericEDNSOption(EDNSOption.Code.PADDING, new byte[size - bare]))),
                Section.ADDITIONAL);
        byte[] wire = q.toWire();
        assertEquals(size, wire.length);
        return wire;
    }

    private static Message ask(Socket s) throws IOException {
        DnsClient.writeFramed(
                s.getOutputStream(), DnsClient.query("defence.test.", Type.A).toWire());
        return new Message(DnsClient.readFramed(new DataInputStream(s.getInputStream())));
    }

    private static Socket connect(ServerProcess server, String source) throws IOException {
        Socket s = new Socket();
        s.bind(new InetSocketAddress(source, 0));
        s.connect(server.v4(), 3000);
        s.setSoTimeout(3000);
        return s;
    }

    /** One query from 127.0.0.1; null when answered, else what went wrong. */
    private static String probe(DnsClient.Transport transport, ServerProcess server) {
        try {
            Message reply = DnsClient.ask(transport, server.v4(), DnsClient.query("defence.test.", Type.A));
            return reply.getRcode() == Rcode.NOERROR ? null : transport + " " + Rcode.string(reply.getRcode());
        } catch (IOException e) {
            return transport + " " + e;
        }
    }

    private static byte[] framed(byte[] query, int times) {
        byte[][] copies = new byte[times][];
        for (int i = 0; i < times; i++) {
            copies[i] = query;
        }
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try {
            DnsClient.writeFramed(out, copies);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out.toByteArray();
    }

    /** The server closed the connection: EOF or reset, not a read timeout. */
    static void assertClosed(InputStream in) {
        Class<? extends IOException> closed = assertThrows(IOException.class, () -> {
                    if (in.read() < 0) {
                        throw new EOFException();
                    }
                })
                .getClass();
        assertTrue(
                closed == EOFException.class || SocketException.class.isAssignableFrom(closed),
                "expected the server to close the connection, got " + closed.getSimpleName());
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Resident set size of a process, from /proc. */
    static final class Rss {
        private Rss() {}

        static long of(long pid) throws IOException {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
            throw new IOException("no VmRSS in /proc/" + pid + "/status");
        }
    }
}
