package dev.popdns.geoip.bench;

import dev.popdns.geoip.GeoLocator;
import dev.popdns.geoip.GeoLocatorConfig;
import dev.popdns.geoip.Location;
import dev.popdns.geoip.NetworkTable;
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
 * GeoIP lookups on the pinned GeoLite2-City database: {@link NetworkTable#find} (the query path:
 * one lookup in the merged table, classes by continent here) against {@link GeoLocator#locate}
 * (a decode through the MaxMind reader, as explain and the status page do), over random IPv4
 * addresses. Run with {@code src/test/bench/run-jmh.sh}.
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
    /** Random addresses: far more than any cache in front of the database would hold. */
    private static final int ADDRESSES = 1 << 22;

    private GeoLocator locator;
    private NetworkTable table;
    private InetAddress[] addresses;
    private byte[][] bytes;
    private int next;

    @Setup(Level.Trial)
    public void open() throws IOException {
        Path database = Path.of(System.getProperty("popdns.geoip.dir", "geoip/data"), "GeoLite2-City.mmdb");
        if (!Files.isRegularFile(database)) {
            throw new IOException(database + " not found: run geoip/fetch-geolite2.sh (or set -Dpopdns.geoip.dir)");
        }
        locator = GeoLocator.open(GeoLocatorConfig.withDefaults(database));
        table = locator.buildTable(l ->
                l == null || l.continentCode() == null ? 0 : l.continentCode().hashCode() & 0xFFFF);
        addresses = addresses(new Random(42), ADDRESSES);
        bytes = new byte[ADDRESSES][];
        for (int i = 0; i < ADDRESSES; i++) {
            bytes[i] = addresses[i].getAddress();
        }
    }

    @TearDown(Level.Trial)
    public void close() throws IOException {
        locator.close();
    }

    private static InetAddress[] addresses(Random random, int count) throws UnknownHostException {
        InetAddress[] out = new InetAddress[count];
        for (int i = 0; i < count; i++) {
            byte[] b = new byte[4];
            random.nextBytes(b);
            out[i] = InetAddress.getByAddress(b);
        }
        return out;
    }

    @Benchmark
    public int table() {
        return table.find(bytes[next++ & (ADDRESSES - 1)]);
    }

    @Benchmark
    public Location database() {
        return locator.locate(addresses[next++ & (ADDRESSES - 1)]);
    }
}
