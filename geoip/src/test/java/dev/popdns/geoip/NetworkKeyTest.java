package dev.popdns.geoip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import org.junit.jupiter.api.Test;

class NetworkKeyTest {

  private static final long HIGH = 0x2001_0db8_1234_5678L;
  private static final long LOW = 0x9abc_def0_1122_3344L;

  @Test
  void masksBothHalvesAtEveryBoundary() {
    assertEquals(new NetworkKey(0, 0, 0), NetworkKey.masked(HIGH, LOW, 0));
    assertEquals(new NetworkKey(0x2001_0db8_0000_0000L, 0, 32), NetworkKey.masked(HIGH, LOW, 32));
    assertEquals(new NetworkKey(HIGH, 0, 64), NetworkKey.masked(HIGH, LOW, 64));
    assertEquals(
        new NetworkKey(HIGH, 0x9abc_def0_1122_3300L, 120), NetworkKey.masked(HIGH, LOW, 120));
    assertEquals(new NetworkKey(HIGH, LOW, 128), NetworkKey.masked(HIGH, LOW, 128));
  }

  @Test
  void samePrefixBitsShareAKeyAndPrefixLengthsNever() {
    assertEquals(
        NetworkKey.masked(HIGH, LOW, 48), NetworkKey.masked(HIGH, LOW ^ 0xFFFFL, 48));
    assertNotEquals(NetworkKey.masked(HIGH, 0, 64), NetworkKey.masked(HIGH, 0, 128));
  }
}
