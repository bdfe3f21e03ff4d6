package dev.popdns.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.popdns.config.RateLimitConfig;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/** The rate limiter on fake time: budgets, classes, networks, slip and the onset log. */
class RateLimiterTest {
    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    private final List<String> onsets = new ArrayList<>();

    private RateLimiter limiter(int rate, int slip, String... exempt) throws Exception {
        List<RateLimitConfig.Network> networks = new ArrayList<>();
        for (String e : exempt) {
            String[] parts = e.split("/");
            networks.add(new RateLimitConfig.Network(InetAddress.getByName(parts[0]), Integer.parseInt(parts[1])));
        }
        return new RateLimiter(
                new RateLimitConfig(rate, slip, 24, 56, networks),
                nanos::get,
                (client, cls, prefix) -> onsets.add(client.getHostAddress() + "/" + prefix + " " + cls));
    }

    @Test
    void aBurstOfOneSecondThenTheRate() throws Exception {
        RateLimiter rrl = limiter(10, 1);
        InetAddress client = InetAddress.getByName("192.0.2.1");
        for (int i = 0; i < 10; i++) {
            assertEquals(RateLimiter.ALLOW, account(rrl, positive("www.example.test."), client), "answer " + i);
        }
        assertEquals(RateLimiter.SLIP, account(rrl, positive("www.example.test."), client));
        nanos.addAndGet(99_000_000L);
        assertEquals(RateLimiter.SLIP, account(rrl, positive("www.example.test."), client));
        nanos.addAndGet(1_000_000L); // 100 ms: one more answer's worth at 10/s
        assertEquals(RateLimiter.ALLOW, account(rrl, positive("www.example.test."), client));
        assertEquals(RateLimiter.SLIP, account(rrl, positive("www.example.test."), client));
        nanos.addAndGet(5_000_000_000L); // a quiet spell refills the budget, never beyond one second's worth
        int allowed = 0;
        for (int i = 0; i < 30; i++) {
            allowed += account(rrl, positive("www.example.test."), client) == RateLimiter.ALLOW ? 1 : 0;
        }
        assertEquals(10, allowed);
    }

    @Test
    void slipZeroDropsEverythingOverTheLimit() throws Exception {
        RateLimiter rrl = limiter(1, 0);
        InetAddress client = InetAddress.getByName("192.0.2.1");
        assertEquals(RateLimiter.ALLOW, account(rrl, positive("a.example.test."), client));
        for (int i = 0; i < 100; i++) {
            assertEquals(RateLimiter.DROP, account(rrl, positive("a.example.test."), client));
        }
    }

    @Test
    void slipTwoTruncatesAboutHalf() throws Exception {
        RateLimiter rrl = limiter(1, 2);
        InetAddress client = InetAddress.getByName("192.0.2.1");
        account(rrl, positive("a.example.test."), client);
        int slipped = 0;
        for (int i = 0; i < 10_000; i++) {
            slipped += account(rrl, positive("a.example.test."), client) == RateLimiter.SLIP ? 1 : 0;
        }
        assertTrue(slipped > 4_500 && slipped < 5_500, slipped + " of 10000 slipped");
    }

    @Test
    void oneBudgetPerNetworkOfThePrefix() throws Exception {
        RateLimiter rrl = limiter(2, 1);
        assertEquals(RateLimiter.ALLOW, account(rrl, positive("a.example.test."), InetAddress.getByName("192.0.2.1")));
        assertEquals(
                RateLimiter.ALLOW, account(rrl, positive("a.example.test."), InetAddress.getByName("192.0.2.200")));
        assertEquals(RateLimiter.SLIP, account(rrl, positive("a.example.test."), InetAddress.getByName("192.0.2.9")));
        assertEquals(RateLimiter.ALLOW, account(rrl, positive("a.example.test."), InetAddress.getByName("192.0.3.1")));
        assertEquals(
                RateLimiter.ALLOW, account(rrl, positive("a.example.test."), InetAddress.getByName("2001:db8:0:1::1")));
        assertEquals(
                RateLimiter.ALLOW,
                account(rrl, positive("a.example.test."), InetAddress.getByName("2001:db8:0:ff::2")));
        assertEquals(
                RateLimiter.SLIP, account(rrl, positive("a.example.test."), InetAddress.getByName("2001:db8:0:22::3")));
        assertEquals(
                RateLimiter.ALLOW,
                account(rrl, positive("a.example.test."), InetAddress.getByName("2001:db8:0:100::1")));
    }

    @Test
    void positiveAnswersAreCountedByNameAndTypeNegativeOnesByZone() throws Exception {
        RateLimiter rrl = limiter(1, 1);
        InetAddress client = InetAddress.getByName("192.0.2.1");
        assertEquals(RateLimiter.ALLOW, account(rrl, positive("a.example.test."), client));
        assertEquals(RateLimiter.ALLOW, account(rrl, positive("B.example.test."), client));
        assertEquals(RateLimiter.SLIP, account(rrl, positive("b.EXAMPLE.test."), client));
        assertEquals(RateLimiter.ALLOW, account(rrl, nxdomain("x.example.test.", "example.test."), client));
        assertEquals(RateLimiter.SLIP, account(rrl, nxdomain("y.example.test.", "example.test."), client));
        assertEquals(RateLimiter.ALLOW, account(rrl, nxdomain("y.other.test.", "other.test."), client));
        assertEquals(RateLimiter.ALLOW, account(rrl, error(Rcode.REFUSED, "a.example.org."), client));
        assertEquals(RateLimiter.SLIP, account(rrl, error(Rcode.REFUSED, "b.example.org."), client));
    }

    @Test
    void exemptNetworksAreNeverLimited() throws Exception {
        RateLimiter rrl = limiter(1, 1, "192.0.2.0/25", "2001:db8::/32");
        for (int i = 0; i < 50; i++) {
            assertEquals(
                    RateLimiter.ALLOW, account(rrl, positive("a.example.test."), InetAddress.getByName("192.0.2.3")));
            assertEquals(
                    RateLimiter.ALLOW, account(rrl, positive("a.example.test."), InetAddress.getByName("2001:db8::9")));
        }
        InetAddress outside = InetAddress.getByName("192.0.2.130");
        assertEquals(RateLimiter.ALLOW, account(rrl, positive("a.example.test."), outside));
        assertEquals(RateLimiter.SLIP, account(rrl, positive("a.example.test."), outside));
    }

    @Test
    void theOnsetIsToldOnceUntilTheBudgetIsFullAgain() throws Exception {
        RateLimiter rrl = limiter(10, 1);
        InetAddress client = InetAddress.getByName("192.0.2.77");
        for (int second = 0; second < 3; second++) {
            for (int i = 0; i < 100; i++) {
                account(rrl, positive("a.example.test."), client);
                nanos.addAndGet(10_000_000L); // 100 answers/s, ten times the limit
            }
        }
        assertEquals(List.of("192.0.2.77/24 " + RateLimiter.POSITIVE), onsets);
        nanos.addAndGet(2_000_000_000L);
        account(rrl, positive("a.example.test."), client);
        for (int i = 0; i < 20; i++) {
            account(rrl, positive("a.example.test."), client);
        }
        assertEquals(2, onsets.size());
    }

    /** Counts an answer as QueryHandler does: the question read from the query's bytes. */
    private static int account(RateLimiter rrl, ByteBuf response, InetAddress client) {
        byte[] query = ByteBufUtil.getBytes(response);
        int nameLength = QueryDecoder.u16(query, 4) == 1 ? QueryDecoder.nameLength(query, 12, query.length) : 0;
        return rrl.account(response, client, query, nameLength);
    }

    private static ByteBuf positive(String name) throws Exception {
        Message m = message(name, Rcode.NOERROR);
        m.addRecord(
                new ARecord(Name.fromString(name), DClass.IN, 300, InetAddress.getByName("192.0.2.80")),
                Section.ANSWER);
        return Unpooled.wrappedBuffer(m.toWire());
    }

    private static ByteBuf nxdomain(String name, String zone) throws Exception {
        Message m = message(name, Rcode.NXDOMAIN);
        Name origin = Name.fromString(zone);
        m.addRecord(
                new SOARecord(
                        origin,
                        DClass.IN,
                        300,
                        Name.fromString("ns1", origin),
                        Name.fromString("h", origin),
                        1,
                        2,
                        3,
                        4,
                        5),
                Section.AUTHORITY);
        return Unpooled.wrappedBuffer(m.toWire());
    }

    private static ByteBuf error(int rcode, String name) throws Exception {
        return Unpooled.wrappedBuffer(message(name, rcode).toWire());
    }

    private static Message message(String name, int rcode) throws Exception {
        Message m = new Message(1);
        m.getHeader().setFlag(Flags.QR);
        m.getHeader().setRcode(rcode);
        m.addRecord(Record.newRecord(Name.fromString(name), Type.A, DClass.IN), Section.QUESTION);
        return m;
    }
}
