package dev.popdns.routing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.popdns.geoip.GeoLocator;
import dev.popdns.geoip.GeoLocatorConfig;
import dev.popdns.geoip.Location;
import dev.popdns.geoip.NetworkTable;
import dev.popdns.served.Served;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.xbill.DNS.Type;

/**
 * The client table against ranking each client's GeoIP location directly, on the pinned GeoLite2
 * City database and real pops.yaml files (the bundled zones, and the test zones with country and
 * continent overrides and a drained PoP): for 300,000 random addresses and both ends of each one's
 * merged block, every geo name gets the same ranking and the same decision, and the merged block
 * holds the client's database network (the ECS scope only widens).
 */
class ClientRankingsTest {
    private static GeoLocator geo;

    @BeforeAll
    static void open() throws Exception {
        Path db = Path.of(System.getProperty("popdns.root"), "geoip/data/GeoLite2-City.mmdb");
        assertTrue(Files.isRegularFile(db), "GeoLite2 database missing at " + db + ": run geoip/fetch-geolite2.sh");
        geo = GeoLocator.open(GeoLocatorConfig.withDefaults(db));
    }

    @AfterAll
    static void close() throws Exception {
        geo.close();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"zones", "src/test/resources/geo"})
    void theTableRoutesEveryClientAsItsLocationDoes(String dir) throws Exception {
        RoutingTable table = Served.load(Path.of(System.getProperty("popdns.root"), dir), null)
                .routing();
        assertTrue(table.hasGeoNames());
        ClientRankings rankings = ClientRankings.build(table, geo);
        assertTrue(rankings.classes() < 200, rankings.classes() + " classes");
        assertTrue(rankings.bytes() < 32L << 20, rankings.bytes() + " bytes");
        Random random = new Random(dir.hashCode());
        int compared = 0;
        for (int i = 0; i < 300_000; i++) {
            byte[] address;
            if (i % 3 == 2) {
                address = new byte[16];
                random.nextBytes(address);
                address[0] = (byte) (0x20 + random.nextInt(4)); // 2000::/6: the allocated space
            } else {
                address = new byte[4];
                random.nextBytes(address);
            }
            int found = rankings.find(address);
            compared += agree(table, rankings, address, found);
            int prefix = NetworkTable.prefixOf(found);
            if (address.length == 4 && i % 10 == 0) { // both ends of the merged block
                int a = java.nio.ByteBuffer.wrap(address).getInt();
                int first = prefix == 0 ? 0 : a & (-1 << (32 - prefix));
                int last = prefix == 0 ? -1 : first | ~(-1 << (32 - prefix));
                for (int end : new int[] {first, last}) {
                    byte[] b = java.nio.ByteBuffer.allocate(4).putInt(end).array();
                    assertEquals(NetworkTable.classOf(found), NetworkTable.classOf(rankings.find(b)));
                    compared += agree(table, rankings, b, rankings.find(b));
                }
            }
        }
        assertTrue(compared > 300_000, compared + " comparisons");
    }

    /** Compares every name's ranking and decision; returns 1. */
    private static int agree(RoutingTable table, ClientRankings rankings, byte[] address, int found) throws Exception {
        Location location = geo.locate(address);
        String text = InetAddress.getByAddress(address).getHostAddress() + " at " + location;
        for (GeoName name : table.names()) {
            Ranking expected = Router.rank(table, name, location);
            Ranking actual = rankings.ranking(found, name);
            assertArrayEquals(expected.order(), actual.order(), text);
            assertEquals(expected.pinned(), actual.pinned(), text);
            assertEquals(expected.unknown(), actual.unknown(), text);
            for (int qtype : new int[] {Type.A, Type.AAAA}) {
                assertEquals(
                        Router.decide(table, name, location, qtype, Eligibility.adminOnly()),
                        Router.decide(table, name, actual, qtype, Eligibility.adminOnly()),
                        text);
            }
        }
        if (location != null) {
            assertTrue(NetworkTable.prefixOf(found) <= location.networkPrefixLength(), text);
        }
        return 1;
    }

    /**
     * Fifty PoPs: a class keeps the first {@link ClientRankings#DEPTH} PoPs of each ranking (whole
     * rankings made nearly every location a class and the build ran out of a 128 MiB heap). With
     * every PoP in, the cut ranking decides as the whole one; with the client's first eight out, the
     * cut ranking gives way (null) and {@link ClientRankings#whole} decides as the location does.
     */
    @org.junit.jupiter.api.Test
    void fiftyPopsKeepTheFirstEightAndFallBackToTheWholeRanking(@org.junit.jupiter.api.io.TempDir Path dir)
            throws Exception {
        Random random = new Random(50);
        StringBuilder pops = new StringBuilder("pops:\n");
        for (int i = 0; i < 50; i++) {
            pops.append(String.format(
                    java.util.Locale.ROOT,
                    "  p%02d: { location: [%.2f, %.2f], addresses: [192.0.2.%d]%s }%n",
                    i,
                    random.nextDouble() * 115 - 50,
                    random.nextDouble() * 340 - 170,
                    i + 1,
                    i == 0 ? ", hq: true" : ""));
        }
        pops.append("names:\n  www.t.test.: { ttl: 30 }\n");
        Files.writeString(dir.resolve("pops.yaml"), pops.toString());
        Files.writeString(
                dir.resolve("t.test.zone"),
                "$ORIGIN t.test.\n$TTL 300\n@ SOA ns1 host 1 3600 600 86400 300\n@ NS ns1\nns1 A 192.0.2.200\n");
        RoutingTable table = Served.load(dir, null).routing();
        ClientRankings rankings = ClientRankings.build(table, geo);
        System.out.println("ClientRankingsTest: 50 PoPs: " + rankings.classes() + " classes, " + rankings.networks()
                + " networks, " + (rankings.bytes() >> 10) + " KiB");
        assertTrue(rankings.bytes() < 32L << 20, rankings.bytes() + " bytes");
        GeoName name = table.names().get(0);
        int fellBack = 0;
        for (int i = 0; i < 20_000; i++) {
            byte[] address = new byte[4];
            random.nextBytes(address);
            Location location = geo.locate(address);
            int found = rankings.find(address);
            Ranking cut = rankings.ranking(found, name);
            assertTrue(cut.order().length <= ClientRankings.DEPTH);
            assertEquals(
                    Router.decide(table, name, location, Type.A, Eligibility.adminOnly()),
                    Router.decide(table, name, cut, Type.A, Eligibility.adminOnly()));
            java.util.Set<Integer> out = new java.util.HashSet<>();
            for (int pop : cut.order()) {
                out.add(pop);
            }
            Eligibility firstOut = (pop, n) -> !out.contains(pop.index());
            Decision decision = Router.decide(table, name, cut, Type.A, firstOut);
            if (decision == null) {
                fellBack++;
                decision = Router.decide(table, name, rankings.whole(table, name, address), Type.A, firstOut);
            }
            assertEquals(Router.decide(table, name, location, Type.A, firstOut), decision);
        }
        assertTrue(fellBack > 10_000, fellBack + " fallbacks");
    }
}
