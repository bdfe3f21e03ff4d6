package dev.popdns.wire;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

/**
 * Encoded, untruncated answers by {@link CacheKey}; bounded in entries (Caffeine, W-TinyLFU).
 * One cache belongs to one zone snapshot and is dropped with it, so a reload can never leave an
 * answer from the old zones behind, even one computed while the reload ran.
 */
final class ResponseCache {
    private final Cache<CacheKey, byte[]> cache;

    ResponseCache(long maximumSize) {
        this.cache = Caffeine.newBuilder()
                .maximumSize(maximumSize)
                .executor(Runnable::run)
                .build();
    }

    byte[] get(CacheKey key) {
        return cache.getIfPresent(key);
    }

    void put(CacheKey key, byte[] response) {
        cache.put(key, response);
    }
}
