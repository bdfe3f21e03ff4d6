package dev.popdns.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.popdns.e2e.DnsClient.Transport;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Type;

/**
 * A running server fed garbage over UDP and TCP keeps answering real queries, and the garbage
 * caused no exception on the query path: no SERVFAIL went out and {@code popdns_internal_errors_total}
 * is zero at every stage, as the server's own /metrics reports.
 */
class GarbageInputTest {
    private static final int DATAGRAMS = 20_000;

    @Test
    void survivesGarbage() throws Exception {
        try (ServerProcess server = ServerProcess.start(Path.of("resources/zones"))) {
            Random random = new Random(7);
            byte[] seed = DnsClient.withEdns(DnsClient.query("example.test.", Type.A), 1232, 0)
                    .toWire();
            try (DatagramSocket socket = new DatagramSocket()) {
                for (int i = 0; i < DATAGRAMS; i++) {
                    byte[] p;
                    if (i % 2 == 0) {
                        p = new byte[random.nextInt(512)];
                        random.nextBytes(p);
                    } else {
                        p = seed.clone();
                        p[random.nextInt(p.length)] = (byte) random.nextInt(256);
                    }
                    socket.send(new DatagramPacket(p, p.length, i % 3 == 0 ? server.v6() : server.v4()));
                    if (i % 500 == 0) {
                        Thread.sleep(1); // stay below the socket buffers; this is about content, not load
                    }
                }
            }
            for (int c = 0; c < 20; c++) {
                try (Socket s = new Socket()) {
                    s.connect(server.v4(), 2000);
                    OutputStream out = s.getOutputStream();
                    byte[] junk = new byte[random.nextInt(300)];
                    random.nextBytes(junk);
                    out.write(junk);
                    out.flush();
                }
            }
            assertTrue(server.alive());
            // The flood overflows the socket receive buffers, so the kernel drops some datagrams, as it
            // would for any server; and with SO_REUSEPORT each fresh client port lands on one of several
            // sockets. Wait (bounded) until every socket has drained: 20 answers in a row per address,
            // each from a new client port, before the strict checks below.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            for (InetSocketAddress address : List.of(server.v4(), server.v6())) {
                int inARow = 0;
                while (inARow < 20) {
                    assertTrue(System.nanoTime() < deadline, "no steady answers within 20 s after the garbage");
                    byte[] reply = DnsClient.udp(
                            address, DnsClient.query("example.test.", Type.A).toWire(), 500);
                    inARow = reply == null ? 0 : inARow + 1;
                }
            }
            for (Transport t : Transport.values()) {
                assertEquals(
                        Rcode.NOERROR,
                        DnsClient.ask(t, server.v4(), DnsClient.query("example.test.", Type.A))
                                .getRcode());
                assertEquals(
                        Rcode.NOERROR,
                        DnsClient.ask(t, server.v6(), DnsClient.query("example.test.", Type.A))
                                .getRcode());
            }
            assertTrue(!server.logText().contains("Exception"), server.logText());
            String metrics = server.metrics();
            assertTrue(metrics.contains("popdns_internal_errors_total{stage=\"answer\"}"), metrics);
            assertEquals(0.0, ServerProcess.sum(metrics, "popdns_internal_errors_total"), metrics);
            assertEquals(0.0, ServerProcess.sum(metrics, "popdns_queries_total", "rcode=\"SERVFAIL\""), metrics);
            assertTrue(ServerProcess.sum(metrics, "popdns_queries_total", "rcode=\"FORMERR\"") > 0, metrics);
            // the start-up log tells what receive buffer the kernel granted, and warns when it is short
            assertTrue(server.logText().contains("UDP receive buffer"), server.logText());
            // Files.readString gives "4" for this procfs file on JDK 25 (it reports size 0); readAllLines reads it
            // whole
            long rmemMax = Long.parseLong(Files.readAllLines(Path.of("/proc/sys/net/core/rmem_max"))
                    .get(0)
                    .strip());
            assertEquals(
                    rmemMax < 4 << 20,
                    server.logText().contains("sysctl net.core.rmem_max=4194304"),
                    "rmem_max " + rmemMax + "\n" + server.logText());
        }
    }
}
