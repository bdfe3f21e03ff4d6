package dev.popdns.wire.bench;

import dev.popdns.geoip.GeoLocator;
import dev.popdns.geoip.GeoLocatorConfig;
import dev.popdns.routing.ClientRankings;
import dev.popdns.routing.Eligibility;
import dev.popdns.served.Served;
import dev.popdns.wire.Answerer;
import dev.popdns.wire.ClientLocator;
import dev.popdns.wire.QueryHandler;
import dev.popdns.wire.QueryMetrics;
import dev.popdns.wire.ServerIdentity;
import dev.popdns.wire.Snapshot;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.xbill.DNS.ClientSubnetOption;
import org.xbill.DNS.DClass;
import org.xbill.DNS.EDNSOption;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * The whole query path in process, without sockets: {@link QueryHandler#handle} on the bundled
 * zones and PoPs ({@code zones/}) with the pinned GeoLite2-City, for {@code media.hachyderm.io A}
 * with an ECS option per query (a /24 that was seen before, or one that was not) and without ECS.
 * This is the Java work per query that the dnsperf benchmarks add on top of the kernel's. Run with
 * {@code src/test/bench/run-jmh.sh dns-server QueryPathBenchmark}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
        value = 1,
        jvmArgsAppend = {"-Xmx1g"})
public class QueryPathBenchmark {
    private static final int SEEN = 1 << 15;
    private static final int UNSEEN = 1 << 20;

    private GeoLocator geo;
    private QueryHandler handler;
    private ByteBuf[] seen;
    private ByteBuf[] unseen;
    private ByteBuf plain;
    private InetAddress resolver;
    private int next;

    @Setup(Level.Trial)
    public void start() throws Exception {
        Path root = Path.of(System.getProperty("popdns.root", ".."));
        Path db = Path.of(
                System.getProperty(
                        "popdns.geoip.dir", root.resolve("geoip/data").toString()),
                "GeoLite2-City.mmdb");
        if (!Files.isRegularFile(db)) {
            throw new IOException(db + " not found: run geoip/fetch-geolite2.sh");
        }
        geo = GeoLocator.open(GeoLocatorConfig.withDefaults(db));
        Served served = Served.load(root.resolve("zones"), null);
        handler = new QueryHandler(
                new Snapshot.Holder(
                        served.zones(),
                        served.routing(),
                        ClientRankings.build(served.routing(), geo),
                        Eligibility.adminOnly(),
                        100_000),
                new Answerer(ServerIdentity.none()),
                new ClientLocator(),
                QueryMetrics.none(),
                (name, pop) -> {});
        resolver = InetAddress.getByName("127.0.0.1");
        Random random = new Random(7);
        seen = queries(random, SEEN);
        unseen = queries(random, UNSEEN);
        plain = Unpooled.wrappedBuffer(query(null));
        for (ByteBuf q : seen) {
            ask(q);
        }
    }

    @TearDown(Level.Trial)
    public void stop() throws IOException {
        System.out.println("GeoIP over the trial: " + geo.stats());
        geo.close();
    }

    private static ByteBuf[] queries(Random random, int count) throws IOException {
        ByteBuf[] out = new ByteBuf[count];
        for (int i = 0; i < count; i++) {
            byte[] network = new byte[4];
            random.nextBytes(network);
            network[3] = 0;
            out[i] = Unpooled.wrappedBuffer(query(InetAddress.getByAddress(network)));
        }
        return out;
    }

    private static byte[] query(InetAddress subnet) throws IOException {
        Message m = Message.newQuery(Record.newRecord(Name.fromString("media.hachyderm.io."), Type.A, DClass.IN));
        java.util.List<EDNSOption> options =
                subnet == null ? java.util.List.of() : java.util.List.of(new ClientSubnetOption(24, subnet));
        m.addRecord(new OPTRecord(1232, 0, 0, 0, options), Section.ADDITIONAL);
        return m.toWire();
    }

    private int ask(ByteBuf query) {
        // the server's allocator; off Netty's own threads its thread-local cache costs a ThreadLocal lookup
        ByteBuf answer = handler.handle(query, PooledByteBufAllocator.DEFAULT, false, resolver);
        int length = answer.readableBytes();
        answer.release();
        return length;
    }

    @Benchmark
    public int ecsSeenNetwork() {
        return ask(seen[next++ & (SEEN - 1)]);
    }

    @Benchmark
    public int ecsUnseenNetwork() {
        return ask(unseen[next++ & (UNSEEN - 1)]);
    }

    @Benchmark
    public int noEcs() {
        return ask(plain);
    }
}
