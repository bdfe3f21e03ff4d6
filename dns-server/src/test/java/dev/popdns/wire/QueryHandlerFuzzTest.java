package dev.popdns.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.popdns.routing.ClientRankings;
import dev.popdns.routing.Eligibility;
import dev.popdns.served.Served;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.DClass;
import org.xbill.DNS.EDNSOption;
import org.xbill.DNS.ExtendedFlags;
import org.xbill.DNS.GenericEDNSOption;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * 100k random and mutated packets through the whole query pipeline: nothing may throw, every
 * answer must be a well-formed response to the packet's id, none may be SERVFAIL (which popdns
 * answers only when the answer path threw), and {@code popdns_internal_errors_total} stays zero at
 * every stage. Seeded, so a failure repeats.
 */
class QueryHandlerFuzzTest {
    private static final int PACKETS = 100_000;
    private static QueryHandler handler;
    private static QueryMetrics metrics;
    private static final ByteBufAllocator ALLOC = UnpooledByteBufAllocator.DEFAULT;
    private static final java.net.InetAddress PEER = java.net.InetAddress.getLoopbackAddress();

    @BeforeAll
    static void load() throws Exception {
        Served served = Served.load(Path.of(System.getProperty("popdns.testZones")), null);
        Snapshot.Holder snapshots = new Snapshot.Holder(
                served.zones(),
                served.routing(),
                ClientRankings.unlocated(served.routing()),
                Eligibility.adminOnly(),
                10_000);
        handler = new QueryHandler(
                snapshots,
                new Answerer(new ServerIdentity("fuzz".getBytes(), "fuzz", "v")),
                new ClientLocator(),
                metrics = new QueryMetrics(new io.micrometer.core.instrument.simple.SimpleMeterRegistry()),
                (name, pop) -> {});
    }

    @Test
    void randomAndMutatedPacketsNeverBreakThePipeline() throws Exception {
        Random random = new Random(20261122);
        List<byte[]> seeds = seeds();
        int answered = 0;
        for (int i = 0; i < PACKETS; i++) {
            byte[] packet = i % 10 == 0 ? randomBytes(random) : mutate(seeds.get(random.nextInt(seeds.size())), random);
            boolean tcp = random.nextBoolean();
            ByteBuf out;
            try {
                out = handler.handle(Unpooled.wrappedBuffer(packet), ALLOC, tcp, PEER);
            } catch (RuntimeException e) {
                throw new AssertionError("packet " + i + " threw: " + hex(packet), e);
            }
            if (out != null) {
                answered++;
                byte[] reply = new byte[out.readableBytes()];
                out.readBytes(reply);
                out.release();
                check(packet, reply, tcp, i);
            }
        }
        assertTrue(answered > PACKETS / 4, "most mutated packets still get an answer, got " + answered);
        for (InternalErrors.Stage stage : InternalErrors.Stage.values()) {
            assertEquals(0, metrics.internalErrors().count(stage), "internal errors at stage " + stage);
        }
    }

    private static void check(byte[] packet, byte[] reply, boolean tcp, int i) {
        assertTrue(reply.length >= 12, "packet " + i);
        assertEquals(packet[0], reply[0], "id, packet " + i);
        assertEquals(packet[1], reply[1], "id, packet " + i);
        assertTrue((reply[2] & 0x80) != 0, "QR, packet " + i);
        assertTrue(
                (reply[3] & 0xf) != org.xbill.DNS.Rcode.SERVFAIL,
                "SERVFAIL (an exception on the answer path), packet " + i + ": " + hex(packet));
        if (!tcp) {
            assertTrue(reply.length <= Answerer.UDP_PAYLOAD, "UDP size, packet " + i);
        }
        try {
            new Message(reply);
        } catch (IOException e) {
            fail("packet " + i + " got a reply dnsjava cannot parse: " + e + "\nquery " + hex(packet) + "\nreply "
                    + hex(reply));
        }
    }

    private static List<byte[]> seeds() throws Exception {
        List<byte[]> seeds = new ArrayList<>();
        String[] names = {
            "example.test.",
            "WwW.Example.Test.",
            "big.example.test.",
            "large.example.test.",
            "x.wild.example.test.",
            "chain1.example.test.",
            "foo.dname.example.test.",
            "nope.example.test.",
            "example.org.",
            "sub.example.test.",
            "id.server."
        };
        int[] types = {Type.A, Type.AAAA, Type.TXT, Type.MX, Type.NS, Type.ANY, Type.SOA, Type.DS, Type.AXFR, Type.CNAME
        };
        for (String n : names) {
            for (int t : types) {
                Message q = Message.newQuery(
                        Record.newRecord(Name.fromString(n), t, n.equals("id.server.") ? DClass.CH : DClass.IN));
                seeds.add(q.toWire());
                q.addRecord(
                        new OPTRecord(
                                1232,
                                0,
                                0,
                                ExtendedFlags.DO,
                                List.of(new GenericEDNSOption(EDNSOption.Code.NSID, new byte[0]))),
                        Section.ADDITIONAL);
                seeds.add(q.toWire());
            }
        }
        return seeds;
    }

    private static byte[] mutate(byte[] seed, Random random) {
        byte[] p = seed.clone();
        switch (random.nextInt(6)) {
            case 0 -> { // flip bits
                int flips = 1 + random.nextInt(4);
                for (int f = 0; f < flips; f++) {
                    p[random.nextInt(p.length)] ^= (byte) (1 << random.nextInt(8));
                }
            }
            case 1 -> p = java.util.Arrays.copyOf(p, random.nextInt(p.length + 1)); // truncate
            case 2 -> { // random byte anywhere
                p[random.nextInt(p.length)] = (byte) random.nextInt(256);
            }
            case 3 -> { // header counts
                int at = 4 + 2 * random.nextInt(4);
                p[at] = (byte) random.nextInt(3);
                p[at + 1] = (byte) random.nextInt(4);
            }
            case 4 -> { // trailing garbage
                byte[] longer = java.util.Arrays.copyOf(p, p.length + 1 + random.nextInt(40));
                for (int k = p.length; k < longer.length; k++) {
                    longer[k] = (byte) random.nextInt(256);
                }
                p = longer;
            }
            default -> { // a label length byte
                p[12 + random.nextInt(Math.max(1, p.length - 12))] =
                        (byte) (random.nextBoolean() ? 0xc0 : random.nextInt(80));
            }
        }
        return p;
    }

    private static byte[] randomBytes(Random random) {
        byte[] p = new byte[random.nextInt(600)];
        random.nextBytes(p);
        return p;
    }

    private static String hex(byte[] b) {
        StringBuilder sb = new StringBuilder();
        for (byte x : b) {
            sb.append(Character.forDigit((x >> 4) & 0xf, 16)).append(Character.forDigit(x & 0xf, 16));
        }
        return sb.toString();
    }
}
