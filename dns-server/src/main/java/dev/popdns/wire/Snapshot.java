package dev.popdns.wire;

import dev.popdns.routing.Eligibility;
import dev.popdns.routing.RoutingTable;
import dev.popdns.zone.ZoneSet;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The served zones, the routing table compiled against them, who may serve (admin state and
 * health) and the answers cached from them,
 * swapped together as one immutable unit. Readers on the event loops take {@link Holder#current()}
 * once per query; a reload calls {@link Holder#swap}.
 */
public record Snapshot(ZoneSet zones, RoutingTable routing, Eligibility eligibility, ResponseCache cache) {

    /** The one reference through which the query path reads zones and routing. */
    public static final class Holder {
        private final AtomicReference<Snapshot> current;
        private final long cacheSize;

        public Holder(ZoneSet zones, RoutingTable routing, Eligibility eligibility, long cacheSize) {
            this.cacheSize = cacheSize;
            this.current =
                    new AtomicReference<>(new Snapshot(zones, routing, eligibility, new ResponseCache(cacheSize)));
        }

        public Snapshot current() {
            return current.get();
        }

        /** Serves {@code zones} and {@code routing} from now on, with an empty cache. */
        public void swap(ZoneSet zones, RoutingTable routing, Eligibility eligibility) {
            current.set(new Snapshot(zones, routing, eligibility, new ResponseCache(cacheSize)));
        }
    }
}
