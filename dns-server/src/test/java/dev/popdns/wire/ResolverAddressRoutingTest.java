package dev.popdns.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.popdns.geoip.GeoLocator;
import dev.popdns.geoip.GeoLocatorConfig;
import dev.popdns.routing.ClientRankings;
import dev.popdns.routing.Eligibility;
import dev.popdns.served.Served;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * Without ECS the resolver's own address decides. Over loopback every resolver is 127.0.0.1, so
 * this drives the real pipeline (decoder, locator on the pinned GeoLite2 City database, router,
 * cache, encoder) with the peer address a resolver elsewhere would have.
 */
class ResolverAddressRoutingTest {
    private static GeoLocator geo;
    private static QueryHandler handler;

    @BeforeAll
    static void start() throws Exception {
        Path root = Path.of(System.getProperty("popdns.root"));
        Path db = root.resolve("geoip/data/GeoLite2-City.mmdb");
        assertTrue(Files.isRegularFile(db), "GeoLite2 database missing at " + db + ": run geoip/fetch-geolite2.sh");
        geo = GeoLocator.open(GeoLocatorConfig.withDefaults(db));
        Served served = Served.load(root.resolve("src/test/resources/geo"), null);
        handler = new QueryHandler(
                new Snapshot.Holder(
                        served.zones(),
                        served.routing(),
                        ClientRankings.build(served.routing(), geo),
                        Eligibility.adminOnly(),
                        1000),
                new Answerer(ServerIdentity.none()),
                new ClientLocator(),
                QueryMetrics.none(),
                (name, pop) -> {});
    }

    @AfterAll
    static void stop() throws Exception {
        geo.close();
    }

    @ParameterizedTest(name = "resolver {0} -> {1}")
    @CsvSource({
        "131.180.1.1, 192.0.2.4", // NL -> eu-west
        "128.30.1.1, 198.51.100.10", // US east coast -> us-east
        "171.64.1.1, 198.51.100.20", // US west coast -> us-west
        "137.132.1.1, 203.0.113.30", // SG -> ap-southeast
        "137.158.1.1, 192.0.2.1", // ZA -> hq
        "10.1.2.3, 192.0.2.1", // private -> hq
        "2001:610::1, 192.0.2.4", // IPv6 resolver in NL -> eu-west
        "::ffff:128.30.1.1, 198.51.100.10", // IPv4-mapped IPv6 peer
    })
    void theResolverAddressDecides(String resolver, String expected) throws Exception {
        for (int round = 0; round < 2; round++) {
            Message query = Message.newQuery(Record.newRecord(Name.fromString("geo.test."), Type.A, DClass.IN));
            ByteBuf out = handler.handle(
                    Unpooled.wrappedBuffer(query.toWire()),
                    UnpooledByteBufAllocator.DEFAULT,
                    false,
                    InetAddress.getByName(resolver));
            byte[] bytes = new byte[out.readableBytes()];
            out.readBytes(bytes);
            out.release();
            Message reply = new Message(bytes);
            assertEquals(
                    expected,
                    ((ARecord) reply.getSection(Section.ANSWER).get(0))
                            .getAddress()
                            .getHostAddress());
        }
    }
}
