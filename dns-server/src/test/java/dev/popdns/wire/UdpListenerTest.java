package dev.popdns.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.popdns.config.RateLimitConfig;
import dev.popdns.served.Served;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.BindException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Type;

/**
 * Both UDP paths, the JDK's sockets and recvmmsg/sendmmsg ({@code NativeUdpListener}, which this
 * JDK runs when it is 22 or newer), over real loopback sockets: answers reach the sender they
 * belong to when many queries from several clients share a batch, bad datagrams leave the socket
 * serving, IPv6 sockets are IPv6-only, close ends the threads and frees the port.
 */
class UdpListenerTest {
    private QueryHandler queries;

    static Stream<String> paths() {
        return Stream.of("jdk", "native");
    }

    /** The factory for {@code path}; the native one is skipped, visibly, on a Java 21 runtime. */
    private static UdpListener.Factory factory(String path) {
        if (path.equals("jdk")) {
            return UdpListener.JDK;
        }
        assumeTrue(Runtime.version().feature() >= 22, "recvmmsg path needs Java 22 or newer");
        UdpListener.Factory best = UdpListener.best();
        assertNotSame(UdpListener.JDK, best, "Java 22+ on Linux must load the recvmmsg path");
        return best;
    }

    @BeforeEach
    void load() throws Exception {
        Served served = Served.load(Path.of(System.getProperty("popdns.testZones")), null);
        queries = TestHandlers.unlocated(served, new QueryMetrics(new SimpleMeterRegistry()), (name, pop) -> {});
    }

    @ParameterizedTest
    @MethodSource("paths")
    void burstsFromSeveralClientsEachGetTheirOwnAnswers(String path) throws Exception {
        UdpListener.Factory factory = factory(path);
        InetSocketAddress at = new InetSocketAddress("127.0.0.1", freePort("127.0.0.1"));
        // one socket: SO_REUSEPORT would hash the two clients to sockets of their own
        try (UdpListener listener = factory.open(at, 1, 1 << 20, queries, DnsTransport.ALLOCATOR);
                DatagramSocket a = client("127.0.0.1");
                DatagramSocket b = client("127.0.0.2")) {
            assertTrue(listener.receiveBuffer() > 0);
            // sent back to back, so that one recvmmsg takes several, from both clients
            int each = 300;
            for (int id = 0; id < each; id++) {
                send(a, at, id, "mail.example.test.");
                send(b, at, 10_000 + id, "www.example.test.");
            }
            assertEquals(each, answers(a, 0, "mail.example.test."));
            assertEquals(each, answers(b, 10_000, "www.example.test."));
        }
    }

    @ParameterizedTest
    @MethodSource("paths")
    void garbageAndEmptyDatagramsLeaveTheSocketServing(String path) throws Exception {
        UdpListener.Factory factory = factory(path);
        InetSocketAddress at = new InetSocketAddress("127.0.0.1", freePort("127.0.0.1"));
        try (UdpListener listener = factory.open(at, 1, 1 << 20, queries, DnsTransport.ALLOCATOR);
                DatagramSocket c = client("127.0.0.1")) {
            c.send(new DatagramPacket(new byte[0], 0, at));
            c.send(new DatagramPacket(new byte[] {1, 2, 3}, 3, at));
            byte[] huge = new byte[9000]; // longer than a slot: cut to 4096 octets, then refused
            c.send(new DatagramPacket(huge, huge.length, at));
            send(c, at, 7, "example.test.");
            Message answer = receiveUntil(c, 7);
            assertEquals(Rcode.NOERROR, answer.getRcode());
            assertEquals(1, answer.getSection(1).size());
        }
    }

    /**
     * The recvmmsg path writes each answer straight into its send slot: a handler that drops an
     * answer it has begun (rate limiting releases the buffer) or cuts it short (a slipped, truncated
     * answer) must leave the slot whole for the next. A flood from one client is mostly dropped and
     * slipped; the other client's queries, in the same batches and after, get whole answers.
     */
    @ParameterizedTest
    @MethodSource("paths")
    void droppedAndSlippedAnswersLeaveTheSlotsWhole(String path) throws Exception {
        UdpListener.Factory factory = factory(path);
        Served served = Served.load(Path.of(System.getProperty("popdns.testZones")), null);
        RateLimiter limiter = new RateLimiter(
                new RateLimitConfig(5, 2, 32, 128, List.of()), System::nanoTime, (client, cls, prefix) -> {});
        QueryHandler limited =
                TestHandlers.unlocated(served, new QueryMetrics(new SimpleMeterRegistry()), (name, pop) -> {}, limiter);
        InetSocketAddress at = new InetSocketAddress("127.0.0.1", freePort("127.0.0.1"));
        try (UdpListener listener = factory.open(at, 1, 1 << 20, limited, DnsTransport.ALLOCATOR);
                DatagramSocket flood = client("127.0.0.1");
                DatagramSocket other = client("127.0.0.2")) {
            for (int id = 0; id < 300; id++) {
                send(flood, at, id, "mail.example.test.");
                if (id % 60 == 0) {
                    send(other, at, 10_000 + id, "www.example.test.");
                }
            }
            int whole = 0;
            int slipped = 0;
            for (Message answer : drain(flood)) {
                assertEquals(
                        "mail.example.test.", answer.getQuestion().getName().toString());
                if (answer.getHeader().getFlag(org.xbill.DNS.Flags.TC)) {
                    slipped++;
                } else {
                    assertEquals(1, answer.getSection(1).size(), answer.toString());
                    whole++;
                }
            }
            assertTrue(whole >= 5 && whole < 30, "the burst allowed, then the rest limited: " + whole);
            assertTrue(slipped > 50, "every second limited answer slips: " + slipped);
            List<Message> others = drain(other);
            assertEquals(5, others.size(), "the other client is not limited");
            for (Message answer : others) {
                assertEquals("www.example.test.", answer.getQuestion().getName().toString());
                assertFalse(answer.getHeader().getFlag(org.xbill.DNS.Flags.TC), answer.toString());
                assertEquals(2, answer.getSection(1).size(), answer.toString()); // its two A records
            }
            send(other, at, 20_000, "example.test.");
            Message after = receiveUntil(other, 20_000);
            assertEquals(Rcode.NOERROR, after.getRcode());
            assertEquals(1, after.getSection(1).size(), after.toString());
        }
    }

    /** Every answer that arrives until none comes for a second. */
    private static List<Message> drain(DatagramSocket socket) throws IOException {
        List<Message> out = new ArrayList<>();
        socket.setSoTimeout(1000);
        byte[] buffer = new byte[1232];
        while (true) {
            DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
            try {
                socket.receive(packet);
            } catch (SocketTimeoutException e) {
                socket.setSoTimeout(5000);
                return out;
            }
            out.add(new Message(java.util.Arrays.copyOf(buffer, packet.getLength())));
        }
    }

    @ParameterizedTest
    @MethodSource("paths")
    void anIpv6SocketAnswersIpv6Clients(String path) throws Exception {
        UdpListener.Factory factory = factory(path);
        InetSocketAddress at = new InetSocketAddress("::1", freePort("::1"));
        try (UdpListener listener = factory.open(at, 2, 1 << 20, queries, DnsTransport.ALLOCATOR);
                DatagramSocket c = client("::1")) {
            send(c, at, 9, "mail.example.test.");
            assertEquals(1, answers(c, 9, "mail.example.test."));
        }
    }

    @ParameterizedTest
    @MethodSource("paths")
    void theIpv6WildcardAloneAnswersNoIpv4Client(String path) throws Exception {
        UdpListener.Factory factory = factory(path);
        int port = freePort("0.0.0.0");
        InetSocketAddress at = new InetSocketAddress("::", port);
        try (UdpListener listener = factory.open(at, 1, 1 << 20, queries, DnsTransport.ALLOCATOR);
                DatagramSocket v4 = client("127.0.0.1");
                DatagramSocket v6 = client("::1")) {
            send(v6, new InetSocketAddress("::1", port), 1, "mail.example.test.");
            assertEquals(1, answers(v6, 1, "mail.example.test."), "the IPv6 client is answered");
            send(v4, new InetSocketAddress("127.0.0.1", port), 2, "mail.example.test.");
            v4.setSoTimeout(500);
            assertThrows(SocketTimeoutException.class, () -> v4.receive(new DatagramPacket(new byte[512], 512)));
        }
    }

    /**
     * A wildcard socket answers from the address the query was sent to: 127.0.0.2 here, where the
     * route's preferred source towards 127.0.0.1 is 127.0.0.1 (a resolver drops an answer from an
     * address it did not ask). The recvmmsg path only; the JDK's sockets cannot (README, listen).
     */
    @org.junit.jupiter.api.Test
    void aWildcardAddressAnswersFromTheAddressTheQueryWentTo() throws Exception {
        UdpListener.Factory factory = factory("native");
        int port = freePort("0.0.0.0");
        try (UdpListener v4 = factory.open(
                        new InetSocketAddress("0.0.0.0", port), 2, 1 << 20, queries, DnsTransport.ALLOCATOR);
                UdpListener v6 =
                        factory.open(new InetSocketAddress("::", port), 2, 1 << 20, queries, DnsTransport.ALLOCATOR);
                DatagramSocket c4 = client("127.0.0.1");
                DatagramSocket c6 = client("::1")) {
            for (String to : new String[] {"127.0.0.2", "127.0.0.1", "127.3.4.5"}) {
                send(c4, new InetSocketAddress(to, port), 5, "mail.example.test.");
                DatagramPacket packet = new DatagramPacket(new byte[1232], 1232);
                c4.receive(packet);
                assertEquals(InetAddress.getByName(to), packet.getAddress(), "the answer's source address");
                assertEquals(port, packet.getPort());
            }
            send(c6, new InetSocketAddress("::1", port), 6, "mail.example.test.");
            DatagramPacket packet = new DatagramPacket(new byte[1232], 1232);
            c6.receive(packet);
            assertEquals(InetAddress.getByName("::1"), packet.getAddress());
        }
    }

    @ParameterizedTest
    @MethodSource("paths")
    void closeEndsTheThreadsAndFreesThePort(String path) throws Exception {
        UdpListener.Factory factory = factory(path);
        InetSocketAddress at = new InetSocketAddress("127.0.0.1", freePort("127.0.0.1"));
        UdpListener listener = factory.open(at, 3, 1 << 20, queries, DnsTransport.ALLOCATOR);
        long start = System.nanoTime();
        listener.close();
        assertTrue(System.nanoTime() - start < 1_500_000_000L, "close waits for no timeout");
        assertFalse(
                Thread.getAllStackTraces().keySet().stream()
                        .anyMatch(t -> t.isAlive() && t.getName().startsWith("popdns-udp-127.0.0.1-" + at.getPort())),
                "every socket's thread has ended");
        try (DatagramSocket again = new DatagramSocket(at)) {
            assertEquals(at.getPort(), again.getLocalPort(), "the port is free again");
        }
    }

    @ParameterizedTest
    @MethodSource("paths")
    void aPortTakenByAnotherProgramFailsToBind(String path) throws Exception {
        UdpListener.Factory factory = factory(path);
        try (DatagramSocket taken = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            InetSocketAddress at = new InetSocketAddress("127.0.0.1", taken.getLocalPort());
            IOException e = assertThrows(
                    IOException.class, () -> factory.open(at, 2, 1 << 20, queries, DnsTransport.ALLOCATOR));
            assertTrue(e instanceof BindException || e.getMessage().contains("in use"), e.toString());
        }
    }

    private static DatagramSocket client(String address) throws IOException {
        DatagramSocket socket = new DatagramSocket(new InetSocketAddress(address, 0));
        socket.setReceiveBufferSize(1 << 20);
        socket.setSoTimeout(5000);
        return socket;
    }

    private static void send(DatagramSocket socket, InetSocketAddress to, int id, String name) throws IOException {
        Message query = Message.newQuery(Record.newRecord(Name.fromString(name), Type.A, DClass.IN));
        query.getHeader().setID(id);
        byte[] wire = query.toWire();
        socket.send(new DatagramPacket(wire, wire.length, to));
    }

    /** Reads answers until none comes for a while; checks each is for {@code name}, counts distinct ids. */
    private static int answers(DatagramSocket socket, int firstId, String name) throws IOException {
        Set<Integer> ids = new HashSet<>();
        for (Message answer : drain(socket)) {
            assertEquals(name, answer.getQuestion().getName().toString(), "an answer for another client's query");
            int id = answer.getHeader().getID();
            assertTrue(id >= firstId && id < firstId + 10_000, "unexpected id " + id);
            ids.add(id);
        }
        return ids.size();
    }

    private static Message receiveUntil(DatagramSocket socket, int id) throws IOException {
        byte[] buffer = new byte[1232];
        while (true) {
            DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
            socket.receive(packet);
            Message m = new Message(java.util.Arrays.copyOf(buffer, packet.getLength()));
            if (m.getHeader().getID() == id) {
                return m;
            }
        }
    }

    private static int freePort(String address) throws IOException {
        try (DatagramSocket probe = new DatagramSocket(new InetSocketAddress(InetAddress.getByName(address), 0))) {
            return probe.getLocalPort();
        }
    }
}
