package dev.popdns.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.popdns.served.Served;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.net.InetAddress;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Type;

/**
 * A bug on the answer path (here: the answer listener throws for every geo-routed answer) costs
 * that query a SERVFAIL and counts in {@code popdns_internal_errors_total{stage="answer"}}; other
 * queries are answered as before.
 */
class QueryHandlerFaultTest {
    @Test
    void anExceptionOnTheAnswerPathIsCountedAndAnsweredWithServfail() throws Exception {
        Path root = Path.of(System.getProperty("popdns.root"));
        Served served = Served.load(root.resolve("src/test/resources/geo"), null);
        QueryMetrics metrics = new QueryMetrics(new SimpleMeterRegistry());
        QueryHandler handler = TestHandlers.unlocated(served, metrics, (name, pop) -> {
            throw new IllegalStateException("a bug in the answer listener");
        });

        assertEquals(Rcode.SERVFAIL, ask(handler, "geo.test.", Type.A).getRcode());
        assertEquals(Rcode.SERVFAIL, ask(handler, "geo.test.", Type.AAAA).getRcode());
        assertEquals(2, metrics.internalErrors().count(InternalErrors.Stage.ANSWER));

        Message plain = ask(handler, "geo.test.", Type.SOA);
        assertEquals(Rcode.NOERROR, plain.getRcode(), "a query that does not reach the bug");
        assertEquals(2, metrics.internalErrors().count(InternalErrors.Stage.ANSWER));
        assertEquals(0, metrics.internalErrors().count(InternalErrors.Stage.ENCODE));
    }

    private static Message ask(QueryHandler handler, String name, int type) throws Exception {
        Message query = Message.newQuery(Record.newRecord(Name.fromString(name), type, DClass.IN));
        ByteBuf out = handler.handle(
                Unpooled.wrappedBuffer(query.toWire()),
                UnpooledByteBufAllocator.DEFAULT,
                false,
                InetAddress.getLoopbackAddress());
        byte[] bytes = new byte[out.readableBytes()];
        out.readBytes(bytes);
        out.release();
        return new Message(bytes);
    }
}
