package dev.popdns.geoip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The table against the database's own lookups, on the pinned GeoLite2 databases: for random
 * addresses of both families, the class of the table is the class of {@link GeoLocator#locate}'s
 * answer and its merged block holds the database network; with a coarse classifier both ends of a
 * merged block have the block's class.
 */
class NetworkTableTest {

    /** One class per distinct location (coordinates, country, continent); 0 for none. */
    private static final class ByLocation {
        final Map<List<Object>, Integer> ids = new HashMap<>();

        int classify(Location l) {
            if (l == null) {
                return 0;
            }
            return ids.computeIfAbsent(
                    List.of(
                            l.latitude(),
                            l.longitude(),
                            String.valueOf(l.countryCode()),
                            String.valueOf(l.continentCode())),
                    k -> ids.size() + 1);
        }
    }

    @Test
    void everyAddressGetsTheClassOfItsDatabaseRecord() throws IOException {
        try (GeoLocator locator = GeoLocator.open(GeoLocatorConfig.withDefaults(GeoLiteDatabases.city()))) {
            ByLocation classes = new ByLocation();
            NetworkTable table = locator.buildTable(classes::classify);
            assertTrue(table.networks() > 1_000_000, "finest classes merge little: " + table.networks());
            Random random = new Random(20261207);
            List<byte[]> addresses = new ArrayList<>();
            for (int i = 0; i < 100_000; i++) {
                byte[] v4 = new byte[4];
                ByteBuffer.wrap(v4).putInt(random.nextInt());
                addresses.add(v4);
                byte[] v6 = new byte[16];
                random.nextBytes(v6);
                v6[0] = (byte) (0x20 + random.nextInt(4)); // 2000::/6: where the allocated space is
                addresses.add(v6);
            }
            for (String s : List.of(
                    "2002:8383:0101::1", // 6to4 alias of 131.131.1.1
                    "::ffff:131.111.1.1", // IPv4-mapped
                    "::131.111.1.1", // the IPv4 subtree itself
                    "2001:0:8383:0101::1", // Teredo server alias
                    "0.0.0.0",
                    "255.255.255.255",
                    "::",
                    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")) {
                byte[] b = new byte[16];
                byte[] a = InetAddress.getByName(s).getAddress();
                System.arraycopy(a, 0, b, 16 - a.length, a.length);
                if (a.length == 4 && !s.startsWith("::")) {
                    addresses.add(a);
                } else {
                    if (s.startsWith("::ffff:")) {
                        b[10] = (byte) 0xFF;
                        b[11] = (byte) 0xFF;
                    }
                    addresses.add(a.length == 16 ? a : b);
                }
            }
            int checked = 0;
            for (byte[] address : addresses) {
                assertAgrees(locator, table, classes, address);
                checked++;
            }
            assertEquals(200_008, checked);
        }
    }

    /**
     * The table's answer for {@code address} is the class of the database's record and its block
     * holds the database network; the query path's array-free lookups answer the same.
     */
    private static void assertAgrees(GeoLocator locator, NetworkTable table, ByLocation classes, byte[] address)
            throws IOException {
        Location expected = locator.locate(address);
        int found = table.find(address);
        String text = InetAddress.getByAddress(address).getHostAddress() + " (" + address.length + " bytes)";
        ByteBuffer numbers = ByteBuffer.wrap(address);
        assertEquals(
                found,
                address.length == 4
                        ? table.findV4(numbers.getInt())
                        : table.findV6(numbers.getLong(), numbers.getLong()),
                text);
        assertEquals(classes.classify(expected), NetworkTable.classOf(found), text);
        if (expected != null) {
            assertTrue(
                    NetworkTable.prefixOf(found) <= expected.networkPrefixLength(),
                    "the merged block holds the database network: " + text);
        }
    }

    private static byte[] v6(long high, long low) {
        return ByteBuffer.allocate(16).putLong(high).putLong(low).array();
    }

    /**
     * The edges a packed layout gets wrong: both ends of every IPv4 /16 (the index buckets), so the
     * addresses from 128.0.0.0 up that are negative as ints, and buckets that one block covers
     * (answered by the index alone) next to buckets of many blocks; the same addresses IPv4-mapped
     * and through MaxMind's aliases (::/96, 2002::/16, Teredo), whose IPv6 search continues in the
     * IPv4 table; both ends of the IPv6 buckets of 2000::/4.
     */
    @Test
    void bucketEdgesAndHighAddressesAgreeWithTheDatabase() throws IOException {
        try (GeoLocator locator = GeoLocator.open(GeoLocatorConfig.withDefaults(GeoLiteDatabases.city()))) {
            ByLocation classes = new ByLocation();
            NetworkTable table = locator.buildTable(classes::classify);
            int oneBlock = 0;
            int locatedOneBlock = 0;
            for (int b = 0; b < 65_536; b++) {
                int first = b << 16;
                int last = first | 0xFFFF;
                for (int address : new int[] {first, last}) {
                    assertAgrees(
                            locator,
                            table,
                            classes,
                            ByteBuffer.allocate(4).putInt(address).array());
                }
                int found = table.findV4(first);
                if (NetworkTable.prefixOf(found) <= 16) {
                    oneBlock++;
                    locatedOneBlock += NetworkTable.classOf(found) != 0 ? 1 : 0;
                }
                if (b % 64 == 0 || b >= 0x7FFF && b <= 0x8000 || b == 0xFFFF) {
                    for (int address : new int[] {first, last}) {
                        long v4 = address & 0xFFFF_FFFFL;
                        assertAgrees(locator, table, classes, v6(0, 0xFFFF_0000_0000L | v4)); // ::ffff:a.b.c.d
                        assertAgrees(locator, table, classes, v6(0, v4)); // ::a.b.c.d
                        assertAgrees(locator, table, classes, v6(0x2002L << 48 | v4 << 16, 0)); // 6to4
                        assertAgrees(locator, table, classes, v6(0x2002L << 48 | v4 << 16 | 0xFFFF, -1));
                        assertAgrees(locator, table, classes, v6(0x2001_0000L << 32 | v4, 0)); // Teredo
                        assertAgrees(locator, table, classes, v6(0x2001_0000L << 32 | v4, -1));
                    }
                }
            }
            assertTrue(locatedOneBlock > 100, "located /16s in one block: " + locatedOneBlock);
            assertTrue(oneBlock < 60_000, "/16s in one block: " + oneBlock + " of 65,536");
            for (long b = 0x2000; b < 0x3000; b++) {
                assertAgrees(locator, table, classes, v6(b << 48, 0));
                assertAgrees(locator, table, classes, v6(b << 48 | 0xFFFF_FFFF_FFFFL, -1));
            }
            for (long high : new long[] {0, -1, 0x8000_0000_0000_0000L, 0x7FFF_FFFF_FFFF_FFFFL}) {
                for (long low : new long[] {0, -1, 0x8000_0000_0000_0000L, 0xFFFF_FFFF_FFFFL}) {
                    assertAgrees(locator, table, classes, v6(high, low));
                }
            }
        }
    }

    /**
     * The crowded buckets, where the lookup searches up to thousands of blocks (3,710 in one IPv4
     * /16, 64,174 in one IPv6 /16 with GeoLite2 City) and where the random addresses of the other
     * tests seldom land: both ends and a random address of random /24s in every IPv4 /16 of more
     * than one block, and of random /32s in every such IPv6 /16 of 2000::/3, where the allocated
     * space and nearly all IPv6 blocks are (the other tests draw from 2000::/6 only).
     */
    @Test
    void crowdedBucketsAgreeWithTheDatabase() throws IOException {
        try (GeoLocator locator = GeoLocator.open(GeoLocatorConfig.withDefaults(GeoLiteDatabases.city()))) {
            ByLocation classes = new ByLocation();
            NetworkTable table = locator.buildTable(classes::classify);
            Random random = new Random(24);
            int crowded = 0;
            for (int b = 0; b < 65_536; b++) {
                if (NetworkTable.prefixOf(table.findV4(b << 16)) <= 16) {
                    continue;
                }
                crowded++;
                for (int i = 0; i < 4; i++) {
                    int slash24 = b << 16 | random.nextInt(256) << 8;
                    for (int address : new int[] {slash24, slash24 | 0xFF, slash24 | random.nextInt(256)}) {
                        assertAgrees(
                                locator,
                                table,
                                classes,
                                ByteBuffer.allocate(4).putInt(address).array());
                    }
                }
            }
            assertTrue(crowded > 10_000, "IPv4 /16s of more than one block: " + crowded);
            int crowdedV6 = 0;
            for (long b = 0x2000; b < 0x4000; b++) {
                if (NetworkTable.prefixOf(table.findV6(b << 48, 0)) <= 16) {
                    continue;
                }
                crowdedV6++;
                for (int i = 0; i < 400; i++) {
                    long slash32 = b << 48 | (random.nextLong() & 0xFFFF_0000_0000L);
                    assertAgrees(locator, table, classes, v6(slash32, 0));
                    assertAgrees(locator, table, classes, v6(slash32 | 0xFFFF_FFFFL, -1));
                    assertAgrees(
                            locator, table, classes, v6(slash32 | random.nextInt() & 0xFFFF_FFFFL, random.nextLong()));
                }
            }
            assertTrue(crowdedV6 > 40, "IPv6 /16s of more than one block: " + crowdedV6);
        }
    }

    @Test
    void mergedBlocksHoldOneClassEndToEnd() throws IOException {
        try (GeoLocator locator = GeoLocator.open(GeoLocatorConfig.withDefaults(GeoLiteDatabases.city()))) {
            // a coarse classifier: by continent, as a handful of PoPs would split the world
            Map<String, Integer> continents = new HashMap<>();
            NetworkTable table = locator.buildTable(l -> l == null || l.continentCode() == null
                    ? 0
                    : continents.computeIfAbsent(l.continentCode(), k -> continents.size() + 1));
            assertTrue(table.networks() < 500_000, "merged: " + table.networks());
            assertTrue(table.bytes() < 32L << 20, table.bytes() + " bytes");
            Random random = new Random(7);
            for (int i = 0; i < 20_000; i++) {
                int v4 = random.nextInt();
                int found = table.find(ByteBuffer.allocate(4).putInt(v4).array());
                int prefix = NetworkTable.prefixOf(found);
                int first = prefix == 0 ? 0 : v4 & (-1 << (32 - prefix));
                int last = prefix == 0 ? -1 : first | ~(-1 << (32 - prefix));
                for (int end : new int[] {first, last}) {
                    Location l =
                            locator.locate(ByteBuffer.allocate(4).putInt(end).array());
                    int expected = l == null || l.continentCode() == null ? 0 : continents.get(l.continentCode());
                    assertEquals(NetworkTable.classOf(found), expected, "block of " + Integer.toUnsignedString(v4));
                    assertTrue(l == null || l.networkPrefixLength() >= prefix, "merged block at least the network");
                }
            }
        }
    }

    @Test
    void countryDatabaseBuildsToo() throws IOException {
        try (GeoLocator locator = GeoLocator.open(GeoLocatorConfig.withDefaults(GeoLiteDatabases.country()))) {
            NetworkTable table = locator.buildTable(l -> l == null ? 0 : 1);
            int found = table.find(InetAddress.getByName("131.111.1.1").getAddress());
            assertEquals(1, NetworkTable.classOf(found));
            assertEquals(
                    0,
                    NetworkTable.classOf(
                            table.find(InetAddress.getByName("10.1.2.3").getAddress())));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> table.find(new byte[5]));
            assertEquals("address: 5 bytes (expected: 4 or 16)", e.getMessage());
        }
    }

    @Test
    void aClassOutOfRangeFailsTheBuild() throws IOException {
        try (GeoLocator locator = GeoLocator.open(GeoLocatorConfig.withDefaults(GeoLiteDatabases.country()))) {
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> locator.buildTable(l -> -1));
            assertEquals("class: -1 (expected: 0..8388606)", e.getMessage());
        }
    }
}
