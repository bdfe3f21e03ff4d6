package dev.popdns.wire;

import dev.popdns.routing.RoutingTable;
import dev.popdns.zone.ZoneSet;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The served zones, the routing table compiled against them and the answers cached from both,
 * swapped together as one immutable unit. Readers on the event loops take {@link Holder#current()}
 * once per query; a reload calls {@link Holder#swap}.
 */
public record Snapshot(ZoneSet zones, RoutingTable routing, ResponseCache cache) {

    /** The one reference through which the query path reads zones and routing. */
    public static final class Holder {
        private final AtomicReference<Snapshot> current;
        private final long cacheSize;

        public Holder(ZoneSet zones, RoutingTable routing, long cacheSize) {
            this.cacheSize = cacheSize;
            this.current = new AtomicReference<>(new Snapshot(zones, routing, new ResponseCache(cacheSize)));
        }

        public Snapshot current() {
            return current.get();
        }

        /** Serves {@code zones} and {@code routing} from now on, with an empty cache. */
        public void swap(ZoneSet zones, RoutingTable routing) {
            current.set(new Snapshot(zones, routing, new ResponseCache(cacheSize)));
        }
    }
}
