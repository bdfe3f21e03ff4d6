package dev.popdns.geoip;

/**
 * A cache key: a 128-bit address masked to {@code prefixLength}. IPv4 addresses are written
 * IPv4-mapped ({@code ::ffff:a.b.c.d}, prefix + 96), so that both spellings of one IPv4 address
 * share entries.
 */
record NetworkKey(long high, long low, int prefixLength) {

  /** Returns the key of the network of {@code prefixLength} bits (0..128) around the address. */
  static NetworkKey masked(long high, long low, int prefixLength) {
    if (prefixLength <= 64) {
      return new NetworkKey(high & mask(prefixLength), 0, prefixLength);
    }
    return new NetworkKey(high, low & mask(prefixLength - 64), prefixLength);
  }

  private static long mask(int bits) {
    return bits == 0 ? 0 : -1L << (64 - bits);
  }
}
