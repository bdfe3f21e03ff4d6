package dev.popdns.wire;

import dev.popdns.routing.ClientRankings;
import dev.popdns.routing.Eligibility;
import dev.popdns.routing.RoutingTable;
import dev.popdns.zone.ZoneSet;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The served zones, the routing table compiled against them, the client rankings built for that
 * table, who may serve (admin state and health) and the answers cached from them, swapped
 * together as one immutable unit. Readers on the query threads take {@link Holder#current()} once
 * per query; a reload calls {@link Holder#swap}, a GeoIP reload {@link Holder#withRankings}.
 */
public record Snapshot(
        ZoneSet zones, RoutingTable routing, ClientRankings rankings, Eligibility eligibility, ResponseCache cache) {

    /**
     * The one reference through which the query path reads zones and routing. Writers that build
     * rankings for the current routing table and swap them in (a zones reload, a GeoIP reload)
     * hold this object's monitor across build and swap, so that neither swaps in rankings built
     * for a table or a database that the other has just replaced.
     */
    public static final class Holder {
        private final AtomicReference<Snapshot> current;
        private final long cacheSize;

        public Holder(
                ZoneSet zones, RoutingTable routing, ClientRankings rankings, Eligibility eligibility, long cacheSize) {
            this.cacheSize = cacheSize;
            this.current = new AtomicReference<>(
                    new Snapshot(zones, routing, rankings, eligibility, new ResponseCache(cacheSize)));
        }

        public Snapshot current() {
            return current.get();
        }

        /** Serves {@code zones} and {@code routing} from now on, with an empty cache. */
        public void swap(ZoneSet zones, RoutingTable routing, ClientRankings rankings, Eligibility eligibility) {
            current.set(new Snapshot(zones, routing, rankings, eligibility, new ResponseCache(cacheSize)));
        }

        /**
         * Serves {@code rankings} (built for the current routing table) from now on; the cached
         * answers stay, since they are keyed by the chosen PoP.
         */
        public void withRankings(ClientRankings rankings) {
            current.updateAndGet(s -> new Snapshot(s.zones(), s.routing(), rankings, s.eligibility(), s.cache()));
        }
    }
}
