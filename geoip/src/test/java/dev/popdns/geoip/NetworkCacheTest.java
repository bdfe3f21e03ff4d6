package dev.popdns.geoip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class NetworkCacheTest {

    private static final long HIGH = 0x2001_0db8_1234_5678L;
    private static final long LOW = 0x9abc_def0_1122_3344L;
    private static final Location AMSTERDAM = new Location(52.37, 4.89, "NL", "EU", 24);

    @Test
    void masksBothHalvesAtEveryBoundary() {
        assertEquals(0, NetworkCache.maskHigh(HIGH, 0));
        assertEquals(0, NetworkCache.maskLow(LOW, 0));
        assertEquals(0x2001_0db8_0000_0000L, NetworkCache.maskHigh(HIGH, 32));
        assertEquals(0, NetworkCache.maskLow(LOW, 32));
        assertEquals(HIGH, NetworkCache.maskHigh(HIGH, 64));
        assertEquals(0, NetworkCache.maskLow(LOW, 64));
        assertEquals(HIGH, NetworkCache.maskHigh(HIGH, 120));
        assertEquals(0x9abc_def0_1122_3300L, NetworkCache.maskLow(LOW, 120));
        assertEquals(LOW, NetworkCache.maskLow(LOW, 128));
    }

    @Test
    void answersWhatWasPutUnderTheSameKeyOnly() {
        NetworkCache cache = new NetworkCache(1000);
        assertSame(NetworkCache.MISS, cache.get(HIGH, 0, 64));
        cache.put(HIGH, 0, 64, AMSTERDAM);
        assertSame(AMSTERDAM, cache.get(HIGH, 0, 64));
        // another prefix length, another network: a miss, not the /64's answer
        assertSame(NetworkCache.MISS, cache.get(HIGH, 0, 128));
        assertSame(NetworkCache.MISS, cache.get(HIGH ^ 1, 0, 64));
    }

    @Test
    void eightNetworksInOneGroupAllStayAndANinthDropsTheOldest() {
        NetworkCache cache = new NetworkCache(8); // one group of eight slots: every key shares it
        Location other = new Location(1.35, 103.82, "SG", "AS", 24);
        for (int k = 0; k < 8; k++) {
            cache.put(HIGH ^ k, 0, 64, k % 2 == 0 ? AMSTERDAM : other);
        }
        for (int k = 0; k < 8; k++) {
            assertSame(k % 2 == 0 ? AMSTERDAM : other, cache.get(HIGH ^ k, 0, 64), "key " + k);
        }
        // re-putting a key replaces it in place: no duplicate, nothing dropped
        cache.put(HIGH ^ 1, 0, 64, AMSTERDAM);
        assertEquals(8, cache.size());
        assertSame(AMSTERDAM, cache.get(HIGH ^ 1, 0, 64));
        cache.put(HIGH ^ 8, 0, 64, other);
        assertSame(NetworkCache.MISS, cache.get(HIGH, 0, 64), "the oldest is dropped");
        for (int k = 1; k <= 8; k++) {
            assertTrue(cache.get(HIGH ^ k, 0, 64) != NetworkCache.MISS, "key " + k);
        }
    }

    @Test
    void cachesNoLocationAsDistinctFromAMiss() {
        NetworkCache cache = new NetworkCache(4);
        cache.put(0, 0xFFFF_0A00_0001L, 128, null);
        cache.put(0, 0xFFFF_0A00_0003L, 128, AMSTERDAM);
        assertNull(cache.get(0, 0xFFFF_0A00_0001L, 128));
        assertSame(NetworkCache.MISS, cache.get(0, 0xFFFF_0A00_0002L, 128));
    }

    @Test
    void keepsMostOfAFullCacheAndNeverAnswersWrong() {
        int capacity = 100_000;
        NetworkCache cache = new NetworkCache(capacity);
        assertEquals(131_072, cache.slots(), "the capacity rounded up to a power of two");
        Location[] locations = new Location[capacity];
        for (int i = 0; i < capacity; i++) {
            locations[i] = new Location(Double.NaN, Double.NaN, "NL", "EU", 24);
            // consecutive IPv4 /24s, keyed IPv4-mapped as the locator does
            cache.put(0, 0xFFFF_0000_0000L | (long) i << 8, 120, locations[i]);
        }
        int kept = 0;
        for (int i = 0; i < capacity; i++) {
            Object got = cache.get(0, 0xFFFF_0000_0000L | (long) i << 8, 120);
            if (got != NetworkCache.MISS) {
                assertSame(locations[i], got, "slot " + i + " answered another network's location");
                kept++;
            }
        }
        // eight ways per group at a load of 0.76 keep most entries (measured: 94.5 %; four ways: 89 %)
        assertTrue(kept > 0.9 * capacity, "kept " + kept + " of " + capacity);
        assertEquals(kept, cache.size());
    }

    @Test
    void sizesSmallAndOddCapacities() {
        assertEquals(8, new NetworkCache(1).slots());
        assertEquals(8, new NetworkCache(5).slots());
        assertEquals(16, new NetworkCache(9).slots());
        assertEquals(65_536, new NetworkCache(65_536).slots());
        assertEquals(131_072, new NetworkCache(65_537).slots());
    }
}
