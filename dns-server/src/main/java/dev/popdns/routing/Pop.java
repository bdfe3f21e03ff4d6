package dev.popdns.routing;

/**
 * A PoP as the router sees it.
 *
 * @param index   position in {@link RoutingTable#pops()}, fixed at config time
 * @param bias    -99..99: the PoP's distances are scaled by (1 - bias/100)
 * @param drained {@code state: drain} in config
 */
public record Pop(int index, String id, boolean hq, double latitude, double longitude, int bias, boolean drained) {
    /** The factor applied to distances from this PoP. */
    double scale() {
        return 1.0 - bias / 100.0;
    }
}
