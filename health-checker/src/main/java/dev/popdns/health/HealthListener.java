package dev.popdns.health;

import java.util.List;

/**
 * Receives every {@link HealthView} the monitor publishes, with the events that led to it.
 *
 * <p>Called on the thread that made the change (a probe's thread, the timer thread, or the
 * caller of an override method) while the monitor holds its lock, so a listener sees the views
 * in order, each exactly once. It must therefore return quickly, never block, and not call the
 * monitor's mutating methods; an exception it throws is logged and otherwise ignored.
 */
@FunctionalInterface
public interface HealthListener {
    /**
     * @param view the new view, already returned by {@link HealthMonitor#view()}
     * @param events what changed, in order; never empty
     */
    void onUpdate(HealthView view, List<HealthEvent> events);
}
