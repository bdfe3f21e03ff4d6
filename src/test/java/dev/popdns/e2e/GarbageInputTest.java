package dev.popdns.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.popdns.e2e.DnsClient.Transport;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Type;

/** A running server fed garbage over UDP and TCP keeps answering real queries. */
class GarbageInputTest {
    private static final int DATAGRAMS = 20_000;

    @Test
    void survivesGarbage() throws Exception {
        try (ServerProcess server = ServerProcess.start(Path.of("resources/zones"))) {
            Random random = new Random(7);
            byte[] seed = DnsClient.withEdns(DnsClient.query("example.test.", Type.A), 1232, 0).toWire();
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
            // the garbage may still be queued on a cold JVM: wait (bounded) for the backlog to drain
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(20);
            while (DnsClient.udp(server.v4(), DnsClient.query("example.test.", Type.A).toWire(), 500) == null) {
                assertTrue(System.nanoTime() < deadline, "no answer within 20 s after the garbage");
            }
            for (Transport t : Transport.values()) {
                assertEquals(Rcode.NOERROR, DnsClient.ask(t, server.v4(), DnsClient.query("example.test.", Type.A)).getRcode());
                assertEquals(Rcode.NOERROR, DnsClient.ask(t, server.v6(), DnsClient.query("example.test.", Type.A)).getRcode());
            }
            assertTrue(!server.logText().contains("Exception"), server.logText());
        }
    }
}
