package dev.popdns.geoip.bench;

import dev.popdns.geoip.GeoLocator;
import dev.popdns.geoip.GeoLocatorConfig;
import dev.popdns.geoip.Location;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
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

/**
 * The cost of {@link GeoLocator#locate} on the pinned GeoLite2-City database, the way the DNS
 * path calls it for an ECS query: a client network seen recently (cached), and a network never
 * seen (every lookup reads the database). Run with {@code src/test/bench/run-jmh.sh}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
        value = 1,
        jvmArgsAppend = {"-Xmx1g"})
public class GeoLocatorBenchmark {
    /** Client /24 networks that a busy resolver population keeps asking from: all cached. */
    private static final int SEEN = 1 << 15;
    /** Random addresses, far more networks than the default cache holds. */
    private static final int UNSEEN = 1 << 22;

    private GeoLocator locator;
    private InetAddress[] seen;
    private InetAddress[] unseen;
    private int next;

    @Setup(Level.Trial)
    public void open() throws IOException {
        Path database = Path.of(System.getProperty("popdns.geoip.dir", "geoip/data"), "GeoLite2-City.mmdb");
        if (!Files.isRegularFile(database)) {
            throw new IOException(database + " not found: run geoip/fetch-geolite2.sh (or set -Dpopdns.geoip.dir)");
        }
        locator = GeoLocator.open(GeoLocatorConfig.withDefaults(database));
        Random random = new Random(42);
        seen = addresses(random, SEEN, true);
        unseen = addresses(random, UNSEEN, false);
        for (InetAddress a : seen) {
            locator.locate(a);
        }
    }

    @TearDown(Level.Trial)
    public void close() throws IOException {
        locator.close();
    }

    private static InetAddress[] addresses(Random random, int count, boolean network) throws UnknownHostException {
        InetAddress[] out = new InetAddress[count];
        for (int i = 0; i < count; i++) {
            byte[] b = new byte[4];
            random.nextBytes(b);
            if (network) {
                b[3] = 0;
            }
            out[i] = InetAddress.getByAddress(b);
        }
        return out;
    }

    @Benchmark
    public Location seenNetwork() {
        return locator.locate(seen[next++ & (SEEN - 1)]);
    }

    @Benchmark
    public Location unseenNetwork() {
        return locator.locate(unseen[next++ & (UNSEEN - 1)]);
    }
}
