package dev.popdns.wire.bench;

import dev.popdns.config.RateLimitConfig;
import dev.popdns.routing.ClientRankings;
import dev.popdns.routing.Eligibility;
import dev.popdns.served.Served;
import dev.popdns.wire.Answerer;
import dev.popdns.wire.ClientLocator;
import dev.popdns.wire.Cookies;
import dev.popdns.wire.QueryHandler;
import dev.popdns.wire.QueryMetrics;
import dev.popdns.wire.RateLimiter;
import dev.popdns.wire.ServerIdentity;
import dev.popdns.wire.Snapshot;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * What response rate limiting adds to the query path in process: {@link QueryHandler#handle} for
 * {@code hachyderm.io NS} (a cache hit) from 512 client networks in turn (198.18.0.0/15 and 2001:db8::/32, as data only), with rate limiting off
 * and on at a limit the load stays under (every answer counted in the table and allowed), IPv4 and
 * IPv6 clients; and {@link RateLimiter#account} alone on that answer. Run with {@code src/test/bench/run-jmh.sh dns-server RateLimiterBenchmark}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
        value = 1,
        jvmArgsAppend = {"-Xmx1g"})
public class RateLimiterBenchmark {
    private static final int CLIENTS = 1 << 9;

    @Param({"off", "on"})
    public String rateLimit;

    @Param({"v4", "v6"})
    public String family;

    private QueryHandler handler;
    private RateLimiter limiter;
    private ByteBuf answer;
    private byte[] question;
    private ByteBuf query;
    private InetAddress[] clients;
    private int next;

    @Setup(Level.Trial)
    public void start() throws Exception {
        Path root = Path.of(System.getProperty("popdns.root", ".."));
        Served served = Served.load(root.resolve("src/test/resources/zones"), null);
        limiter = rateLimit.equals("on")
                ? new RateLimiter(
                        new RateLimitConfig(1_000_000, 2, 24, 56, List.of()), System::nanoTime, (c, k, p) -> {})
                : null;
        handler = new QueryHandler(
                new Snapshot.Holder(
                        served.zones(),
                        served.routing(),
                        ClientRankings.unlocated(served.routing()),
                        Eligibility.adminOnly(),
                        100_000),
                new Answerer(ServerIdentity.none()),
                new ClientLocator(),
                QueryMetrics.none(),
                (name, pop) -> {},
                Cookies.random(),
                limiter);
        Message m = Message.newQuery(Record.newRecord(Name.fromString("example.test."), Type.NS, DClass.IN));
        m.addRecord(new OPTRecord(1232, 0, 0, 0), Section.ADDITIONAL);
        query = Unpooled.wrappedBuffer(m.toWire());
        clients = new InetAddress[CLIENTS];
        for (int i = 0; i < CLIENTS; i++) {
            clients[i] = family.equals("v4")
                    ? InetAddress.getByAddress(new byte[] {(byte) 198, (byte) (18 + (i >> 8)), (byte) i, 7})
                    : InetAddress.getByAddress(new byte[] {
                        0x20, 0x01, 0x0d, (byte) 0xb8, (byte) (i >> 8), (byte) i, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1
                    });
        }
        ask();
        answer = handler.handle(query.duplicate(), PooledByteBufAllocator.DEFAULT, false, clients[0]);
        question = m.toWire();
    }

    private int ask() {
        ByteBuf answer = handler.handle(
                query.duplicate(), PooledByteBufAllocator.DEFAULT, false, clients[next++ & (CLIENTS - 1)]);
        int length = answer.readableBytes();
        answer.release();
        return length;
    }

    @Benchmark
    public int cacheHit() {
        return ask();
    }

    /** The limiter alone on the same answer ({@code on} only; {@code off} measures an empty call). */
    @Benchmark
    public int accountOnly() {
        InetAddress client = clients[next++ & (CLIENTS - 1)];
        return limiter == null ? client.hashCode() : limiter.account(answer, client, question, 14);
    }
}
