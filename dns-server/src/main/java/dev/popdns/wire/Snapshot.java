package dev.popdns.wire;

import dev.popdns.zone.ZoneSet;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The served zones and the answers cached from them, swapped together as one immutable pair.
 * Readers on the event loops take {@link #current()} once per query; a reload calls
 * {@link Holder#swap}.
 */
public record Snapshot(ZoneSet zones, ResponseCache cache) {

    /** The one reference through which the query path reads the zones. */
    public static final class Holder {
        private final AtomicReference<Snapshot> current;
        private final long cacheSize;

        public Holder(ZoneSet zones, long cacheSize) {
            this.cacheSize = cacheSize;
            this.current = new AtomicReference<>(new Snapshot(zones, new ResponseCache(cacheSize)));
        }

        public Snapshot current() {
            return current.get();
        }

        /** Serves {@code zones} from now on, with an empty cache. */
        public void swap(ZoneSet zones) {
            current.set(new Snapshot(zones, new ResponseCache(cacheSize)));
        }
    }
}
