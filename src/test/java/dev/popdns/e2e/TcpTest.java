package dev.popdns.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Type;

/** RFC 7766 behaviour: pipelining, idle timeout, stalled half messages, connection limit. */
class TcpTest {
    private static ServerProcess server;

    @BeforeAll
    static void start(@TempDir Path dir) throws Exception {
        Path config = dir.resolve("popdns.yaml");
        Files.writeString(config, "tcp-idle-timeout: 1\ntcp-max-connections: 3\n");
        server = ServerProcess.start(Path.of("resources/zones"), "--config", config.toString());
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void severalQueriesOnOneConnectionAreAllAnswered() throws Exception {
        try (Socket s = connect()) {
            Message a = DnsClient.query("example.test.", Type.A);
            Message b = DnsClient.query("mail.example.test.", Type.AAAA);
            Message c = DnsClient.query("nope.example.test.", Type.A);
            DnsClient.writeFramed(s.getOutputStream(), a.toWire(), b.toWire(), c.toWire());
            DataInputStream in = new DataInputStream(s.getInputStream());
            Set<Integer> ids = new HashSet<>();
            for (int i = 0; i < 3; i++) {
                Message reply = new Message(DnsClient.readFramed(in));
                ids.add(reply.getHeader().getID());
                int expected = reply.getHeader().getID() == c.getHeader().getID() ? Rcode.NXDOMAIN : Rcode.NOERROR;
                assertEquals(expected, reply.getRcode());
            }
            assertEquals(
                    Set.of(
                            a.getHeader().getID(),
                            b.getHeader().getID(),
                            c.getHeader().getID()),
                    ids);
            // the connection stays open for more
            DnsClient.writeFramed(s.getOutputStream(), a.toWire());
            assertEquals(
                    a.getHeader().getID(),
                    new Message(DnsClient.readFramed(in)).getHeader().getID());
        }
    }

    @Test
    void idleConnectionIsClosed() throws Exception {
        try (Socket s = connect()) {
            s.setSoTimeout(5000);
            long start = System.nanoTime();
            assertClosed(s.getInputStream());
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(millis >= 500 && millis < 4500, "closed after the 1 s idle timeout, took " + millis + " ms");
        }
    }

    @Test
    void clientStalledInTheMiddleOfAMessageIsCutOff() throws Exception {
        try (Socket s = connect()) {
            s.setSoTimeout(5000);
            byte[] query = DnsClient.query("example.test.", Type.A).toWire();
            s.getOutputStream().write(new byte[] {0, (byte) query.length});
            s.getOutputStream().write(query, 0, 5); // half a message, then nothing
            s.getOutputStream().flush();
            assertClosed(s.getInputStream());
        }
    }

    @Test
    void aMessageMustArriveWholeWithinTheIdleTimeout() throws Exception {
        try (Socket s = connect()) {
            s.setSoTimeout(8000);
            byte[] query = DnsClient.query("example.test.", Type.A).toWire();
            OutputStream out = s.getOutputStream();
            out.write(new byte[] {0, (byte) query.length});
            out.flush();
            // one octet every 0.4 s: never idle for the 1 s timeout, but the message takes ~12 s
            long start = System.nanoTime();
            boolean closed = false;
            for (int i = 0; i < query.length && !closed; i++) {
                Thread.sleep(400);
                try {
                    out.write(query[i]);
                    out.flush();
                } catch (IOException e) {
                    closed = true;
                }
                closed |= s.getInputStream().available() == 0 && isClosed(s);
            }
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(closed, "the trickled message was still being accepted after " + millis + " ms");
            assertTrue(millis < 4000, "closed after " + millis + " ms (the 1 s timeout from the first octet)");
        }
    }

    /** Whether the server closed the connection (EOF or reset), without blocking for long. */
    private static boolean isClosed(Socket s) throws IOException {
        int timeout = s.getSoTimeout();
        s.setSoTimeout(1);
        try {
            return s.getInputStream().read() < 0;
        } catch (java.net.SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true;
        } finally {
            s.setSoTimeout(timeout);
        }
    }

    @Test
    void connectionsBeyondTheLimitAreClosed() throws Exception {
        try (Socket a = connect();
                Socket b = connect();
                Socket c = connect();
                Socket d = connect()) {
            d.setSoTimeout(3000);
            assertClosed(d.getInputStream());
            // the first ones still work
            DnsClient.writeFramed(
                    a.getOutputStream(),
                    DnsClient.query("example.test.", Type.A).toWire());
            assertEquals(
                    Rcode.NOERROR,
                    new Message(DnsClient.readFramed(new DataInputStream(a.getInputStream()))).getRcode());
        }
        // the server sees the closes soon after; poll (bounded) until a new connection is answered
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        int rcode = -1;
        IOException last = null;
        while (rcode < 0 && System.nanoTime() < deadline) {
            try (Socket again = connect()) {
                DnsClient.writeFramed(
                        again.getOutputStream(),
                        DnsClient.query("example.test.", Type.A).toWire());
                rcode = new Message(DnsClient.readFramed(new DataInputStream(again.getInputStream()))).getRcode();
            } catch (IOException e) {
                last = e; // closed: the slots are not free yet
                Thread.sleep(50);
            }
        }
        assertEquals(Rcode.NOERROR, rcode, "a slot is free again once connections close (last: " + last + ")");
    }

    private static Socket connect() throws IOException {
        Socket s = new Socket();
        s.connect(server.v4(), 3000);
        s.setSoTimeout(3000);
        return s;
    }

    /** The server closed the connection: EOF or reset, not a read timeout. */
    private static void assertClosed(InputStream in) {
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
}
