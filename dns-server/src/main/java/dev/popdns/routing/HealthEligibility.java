package dev.popdns.routing;

import dev.popdns.health.HealthMonitor;
import dev.popdns.health.HealthView;

/**
 * Eligibility from the live health view: a PoP may serve a name when its runtime override says
 * force-up, or when it is not drained (config or override) and every check the name needs is UP
 * there (docs/DESIGN.md "Routing semantics" 3). Reads the monitor's current view, one volatile read,
 * on every call; the PoP's place in the view is fixed when this is built.
 */
public final class HealthEligibility implements Eligibility {
    private final HealthMonitor monitor;
    private final int[] viewIndex;

    /** @param table the routing table whose PoP indexes the router passes in */
    public HealthEligibility(HealthMonitor monitor, RoutingTable table) {
        this.monitor = monitor;
        HealthView view = monitor.view();
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
        return monitor.view().pop(viewIndex[pop.index()]).eligible(name.needs());
    }
}
