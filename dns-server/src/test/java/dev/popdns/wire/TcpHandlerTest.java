package dev.popdns.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.popdns.served.Served;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.flow.FlowControlHandler;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Type;

/**
 * The TCP pipeline of {@link DnsTransport} (frame decoder, flow control, {@link TcpHandler}) on a
 * channel whose socket can be stalled: a hand-written {@link EmbeddedChannel} that keeps written
 * messages queued, as a peer that does not read would.
 */
class TcpHandlerTest {
    private SimpleMeterRegistry registry;
    private QueryHandler queries;

    @BeforeEach
    void load() throws Exception {
        Served served = Served.load(Path.of(System.getProperty("popdns.testZones")), null);
        registry = new SimpleMeterRegistry();
        queries = TestHandlers.unlocated(served, new QueryMetrics(registry), (name, pop) -> {});
    }

    @Test
    void atMostMaxInFlightAnswersWaitAndTheRestAreReadAsTheyDrain() throws Exception {
        StalledChannel ch = channel(32);
        ch.stalled = true;
        ch.writeInbound(framed(100));
        assertEquals(32, answered(), "answers pending on a peer that reads nothing");
        assertEquals(64, ch.pending(), "32 answers, each a length and a message, wait in the outbound buffer");

        ch.stalled = false;
        ch.flush(); // the peer reads: answers drain, and the queries behind them are read
        ch.runPendingTasks();
        assertEquals(100, answered());
        int replies = 0;
        for (Object out; (out = ch.readOutbound()) != null; ) {
            ByteBuf b = (ByteBuf) out;
            if (b.readableBytes() > 2) {
                byte[] bytes = new byte[b.readableBytes()];
                b.readBytes(bytes);
                assertEquals(Type.A, new Message(bytes).getQuestion().getType());
                replies++;
            }
            b.release();
        }
        assertEquals(100, replies);
        ch.finishAndReleaseAll();
    }

    @Test
    void aConnectionAboveTheWriteBufferHighWaterMarkStopsReading() throws Exception {
        StalledChannel ch = channel(1000);
        ch.stalled = true;
        ch.outboundBuffer().setUserDefinedWritability(1, false); // as above the high-water mark
        ch.runPendingTasks();
        ch.writeInbound(framed(10));
        assertEquals(1, answered(), "only the read already asked for is answered");
        ch.outboundBuffer().setUserDefinedWritability(1, true); // below the low-water mark again
        ch.runPendingTasks();
        assertEquals(10, answered());
        ch.finishAndReleaseAll();
    }

    @Test
    void aConnectionAboveTheHighWaterMarkForTheIdleTimeoutIsClosed() throws Exception {
        StalledChannel ch = channel(32);
        ch.freezeTime();
        ch.outboundBuffer().setUserDefinedWritability(1, false);
        ch.runPendingTasks();
        ch.advanceTimeBy(9, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        assertTrue(ch.isActive(), "9 s above the mark: still open");
        ch.outboundBuffer().setUserDefinedWritability(1, true); // drained below the low mark
        ch.runPendingTasks();
        ch.advanceTimeBy(9, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        assertTrue(ch.isActive(), "the clock restarts once writable again");
        ch.outboundBuffer().setUserDefinedWritability(1, false);
        ch.runPendingTasks();
        ch.advanceTimeBy(10, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        assertFalse(ch.isActive(), "10 s above the mark: closed");
    }

    @Test
    void aQueryAbove4096OctetsClosesTheConnectionWhenItsLengthIsRead() throws Exception {
        StalledChannel ch = channel(32);
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {0x10, 0x01, 0, 0}));
        assertFalse(ch.isActive(), "closed on the length prefix of a 4097-octet message");
        assertEquals(0, answered());
    }

    private StalledChannel channel(int maxInFlight) throws Exception {
        StalledChannel ch = new StalledChannel();
        ch.config().setOption(ChannelOption.AUTO_READ, false);
        ch.pipeline()
                .addLast(new TcpFrameDecoder(DnsTransport.MAX_TCP_QUERY, TimeUnit.SECONDS.toNanos(10)))
                .addLast(new FlowControlHandler())
                .addLast(new TcpHandler(queries, maxInFlight, TimeUnit.SECONDS.toNanos(10)));
        ch.register();
        assertTrue(ch.isActive());
        return ch;
    }

    private long answered() {
        return (long) registry.get("popdns_queries").tag("transport", "tcp").counters().stream()
                .mapToDouble(c -> c.count())
                .sum();
    }

    private static ByteBuf framed(int count) throws Exception {
        ByteBuf all = Unpooled.buffer();
        for (int i = 0; i < count; i++) {
            byte[] q = Message.newQuery(Record.newRecord(Name.fromString("example.test."), Type.A, DClass.IN))
                    .toWire();
            all.writeShort(q.length).writeBytes(q);
        }
        return all;
    }

    /** An embedded channel from a TCP peer whose socket accepts nothing while {@code stalled}. */
    private static final class StalledChannel extends EmbeddedChannel {
        boolean stalled;

        StalledChannel() {
            super(false, false);
        }

        ChannelOutboundBuffer outboundBuffer() {
            return unsafe().outboundBuffer();
        }

        /** Messages written and not yet taken by the "socket". */
        int pending() {
            return outboundBuffer().size();
        }

        @Override
        protected void doWrite(ChannelOutboundBuffer in) throws Exception {
            if (!stalled) {
                super.doWrite(in);
            }
        }

        @Override
        protected SocketAddress remoteAddress0() {
            return new InetSocketAddress("192.0.2.7", 5353);
        }
    }
}
