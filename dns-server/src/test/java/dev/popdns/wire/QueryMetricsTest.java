package dev.popdns.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.popdns.served.Served;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.net.InetAddress;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Type;

/** Every answer is counted; one in 16, at random, is timed (and only those read the clock). */
class QueryMetricsTest {
    @Test
    void everyAnswerIsCountedAndASixteenthTimed() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        QueryHandler handler = TestHandlers.unlocated(
                Served.load(Path.of(System.getProperty("popdns.testZones")), null),
                new QueryMetrics(registry),
                (name, pop) -> {});
        byte[] wire = Message.newQuery(Record.newRecord(Name.fromString("mail.example.test."), Type.A, DClass.IN))
                .toWire();
        int queries = 3200;
        for (int i = 0; i < queries; i++) {
            ByteBuf answer = handler.handle(
                    Unpooled.wrappedBuffer(wire), DnsTransport.ALLOCATOR, false, InetAddress.getLoopbackAddress());
            answer.release();
        }
        double counted = registry.find("popdns_queries").counters().stream()
                .mapToDouble(Counter::count)
                .sum();
        assertEquals(queries, counted);
        long timed = registry.get("popdns_query_duration").timer().count();
        // binomial(3200, 1/16): mean 200, standard deviation 13.7; these bounds are 7 of them away
        assertTrue(timed > 100 && timed < 300, "timed " + timed + " of " + queries);
    }
}
