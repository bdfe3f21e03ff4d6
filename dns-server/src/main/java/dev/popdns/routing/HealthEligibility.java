package dev.popdns.routing;

import dev.popdns.health.HealthView;
import java.util.function.Supplier;

/**
 * Eligibility from the live health view: a PoP may serve a name when its runtime override says
 * force-up, or when it is not drained (config or override) and every check the name needs is UP
 * there (docs/DESIGN.md "Routing semantics" 3). Reads the current view on every call (the monitor's
 * own, or the view agreed with the peers: one or two volatile reads); the PoP's place in the view
 * is fixed when this is built.
 */
public final class HealthEligibility implements Eligibility {
    private final Supplier<HealthView> views;
    private final int[] viewIndex;

    /**
     * @param views the current view on every call; each has the PoPs in the order of {@code view}
     * @param view a view of the monitor, for the PoPs' places
     * @param table the routing table whose PoP indexes the router passes in
     */
    public HealthEligibility(Supplier<HealthView> views, HealthView view, RoutingTable table) {
        this.views = views;
        this.viewIndex = new int[table.pops().size()];
        for (Pop pop : table.pops()) {
            int index = view.indexOf(pop.id());
            if (index < 0) {
                throw new IllegalArgumentException("PoP " + pop.id() + " is not in the health config");
            }
            viewIndex[pop.index()] = index;
        }
    }

    @Override
    public boolean eligible(Pop pop, GeoName name) {
        return views.get().pop(viewIndex[pop.index()]).eligible(name.needs());
    }
}
