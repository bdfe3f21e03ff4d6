package dev.popdns.geoip.bench;

import dev.popdns.geoip.Distance;
import dev.popdns.geoip.GeoLocator;
import dev.popdns.geoip.GeoLocatorConfig;
import dev.popdns.geoip.Location;
import dev.popdns.geoip.NetworkTable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@link NetworkTable#findV4} and {@link NetworkTable#findV6} as the query path calls them with
 * EDNS Client Subnet: one address in each of 131,072 different real networks (drawn uniformly over
 * the table's located blocks, as run-geo-dnsperf.sh draws its subnets over the database's
 * networks), in random order, so that most lookups miss the CPU caches. The table is classed as
 * the server classes it: by the order of five PoPs by great-circle distance (about a million
 * merged blocks with GeoLite2 City, as the server's table). Run with {@code
 * src/test/bench/run-jmh.sh geoip NetworkTableBenchmark}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
        value = 1,
        jvmArgsAppend = {"-Xmx1g"})
public class NetworkTableBenchmark {
    private static final int NETWORKS = 1 << 17;
    /** Amsterdam, Ashburn, Portland, Singapore, Sydney. */
    private static final double[][] POPS = {
        {52.37, 4.90}, {39.04, -77.49}, {45.52, -122.68}, {1.35, 103.82}, {-33.87, 151.21}
    };
    /** 2000::/3, where the allocated IPv6 networks are. */
    private static final long V6_FIRST = 0x2000L << 48;

    private static final long V6_END = 0x4000L << 48;

    private NetworkTable table;
    private int[] v4;
    private long[] v6High;
    private long[] v6Low;
    private int next;

    @Setup(Level.Trial)
    public void open() throws IOException {
        Path database = Path.of(System.getProperty("popdns.geoip.dir", "geoip/data"), "GeoLite2-City.mmdb");
        if (!Files.isRegularFile(database)) {
            throw new IOException(database + " not found: run geoip/fetch-geolite2.sh (or set -Dpopdns.geoip.dir)");
        }
        try (GeoLocator locator = GeoLocator.open(GeoLocatorConfig.withDefaults(database))) {
            table = locator.buildTable(NetworkTableBenchmark::popOrder);
        }
        Random random = new Random(7871);
        v4 = v4Networks(random);
        long[][] v6 = v6Networks(random);
        v6High = v6[0];
        v6Low = v6[1];
    }

    /** The order of the PoPs by distance, as a number (0: no coordinates). */
    private static int popOrder(Location location) {
        if (location == null || !location.hasCoordinates()) {
            return 0;
        }
        double[] km = new double[POPS.length];
        for (int p = 0; p < POPS.length; p++) {
            km[p] = Distance.kilometres(location.latitude(), location.longitude(), POPS[p][0], POPS[p][1]);
        }
        int order = 1;
        boolean[] taken = new boolean[POPS.length];
        for (int rank = 0; rank < POPS.length; rank++) {
            int best = -1;
            for (int p = 0; p < POPS.length; p++) {
                if (!taken[p] && (best < 0 || km[p] < km[best])) {
                    best = p;
                }
            }
            taken[best] = true;
            order = order * POPS.length + best;
        }
        return order;
    }

    /** One random address in each of NETWORKS blocks drawn from the located IPv4 blocks. */
    private int[] v4Networks(Random random) {
        long[] starts = new long[1 << 20];
        int[] prefixes = new int[starts.length];
        int count = 0;
        for (long at = 0; at < 1L << 32; ) {
            int found = table.findV4((int) at);
            int prefix = NetworkTable.prefixOf(found);
            long size = 1L << (32 - prefix);
            long start = at & -size;
            if (NetworkTable.classOf(found) != 0) {
                if (count == starts.length) {
                    starts = Arrays.copyOf(starts, count * 2);
                    prefixes = Arrays.copyOf(prefixes, count * 2);
                }
                starts[count] = start;
                prefixes[count++] = prefix;
            }
            at = start + size;
        }
        int[] out = new int[NETWORKS];
        for (int i = 0; i < NETWORKS; i++) {
            int b = random.nextInt(count);
            long size = 1L << (32 - prefixes[b]);
            out[i] = (int) (starts[b] + (random.nextLong() & (size - 1)));
        }
        return out;
    }

    /**
     * One random address in each of NETWORKS blocks drawn from the located IPv6 blocks of
     * 2000::/3, MaxMind's IPv4 aliases in it (2001::/32, 2002::/16) left out.
     */
    private long[][] v6Networks(Random random) {
        long[] highs = new long[1 << 19];
        long[] lows = new long[highs.length];
        int[] prefixes = new int[highs.length];
        int count = 0;
        long high = V6_FIRST;
        long low = 0;
        while (Long.compareUnsigned(high, V6_END) < 0) {
            if (high >>> 48 == 0x2002) {
                high = 0x2003L << 48;
                continue;
            }
            if (high >>> 32 == 0x2001_0000L) {
                high = 0x2001_0001L << 32;
                continue;
            }
            int found = table.findV6(high, low);
            int prefix = NetworkTable.prefixOf(found);
            long highMask = prefix >= 64 ? -1L : prefix == 0 ? 0 : -1L << (64 - prefix);
            long lowMask = prefix <= 64 ? 0 : prefix == 128 ? -1L : -1L << (128 - prefix);
            if (NetworkTable.classOf(found) != 0) {
                if (count == highs.length) {
                    highs = Arrays.copyOf(highs, count * 2);
                    lows = Arrays.copyOf(lows, count * 2);
                    prefixes = Arrays.copyOf(prefixes, count * 2);
                }
                highs[count] = high & highMask;
                lows[count] = low & lowMask;
                prefixes[count++] = prefix;
            }
            if (prefix <= 64) {
                high = (high | ~highMask) + 1;
                low = 0;
            } else {
                low = (low | ~lowMask) + 1;
                if (low == 0) {
                    high++;
                }
            }
        }
        long[][] out = {new long[NETWORKS], new long[NETWORKS]};
        for (int i = 0; i < NETWORKS; i++) {
            int b = random.nextInt(count);
            int prefix = prefixes[b];
            long highMask = prefix >= 64 ? -1L : prefix == 0 ? 0 : -1L << (64 - prefix);
            long lowMask = prefix <= 64 ? 0 : prefix == 128 ? -1L : -1L << (128 - prefix);
            out[0][i] = highs[b] | (random.nextLong() & ~highMask);
            out[1][i] = lows[b] | (random.nextLong() & ~lowMask);
        }
        return out;
    }

    private int last;

    /**
     * As {@link #v4Networks}, but each lookup's address depends on the previous answer, so that
     * the CPU cannot overlap the cache misses of successive lookups: the latency of one lookup, as
     * the query path pays it (one per query, between system calls), not the throughput of many.
     */
    @Benchmark
    public int v4Chained() {
        last = table.findV4(v4[(next++ + (last & 1)) & (NETWORKS - 1)]);
        return last;
    }

    /** {@link #v6Networks}, one lookup at a time (see {@link #v4Chained}). */
    @Benchmark
    public int v6Chained() {
        int i = (next++ + (last & 1)) & (NETWORKS - 1);
        last = table.findV6(v6High[i], v6Low[i]);
        return last;
    }

    @Benchmark
    public int v4Networks() {
        return table.findV4(v4[next++ & (NETWORKS - 1)]);
    }

    @Benchmark
    public int v6Networks() {
        int i = next++ & (NETWORKS - 1);
        return table.findV6(v6High[i], v6Low[i]);
    }
}
