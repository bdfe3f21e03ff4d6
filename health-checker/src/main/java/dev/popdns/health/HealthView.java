package dev.popdns.health;

import java.time.Instant;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An immutable snapshot of everything the health checker knows: per PoP its admin state and
 * runtime override, per (PoP, check) the state, since when, the latest result with its latency
 * and lag, the latest error; and whether the prober is cut off.
 *
 * <p>The {@link HealthMonitor} publishes a new view through one volatile reference on every
 * change (every probe result, override or alarm change) and hands it to its listeners; readers
 * never lock and a reader holding a view sees one consistent state. PoPs keep the order of the
 * configuration, so a reader may resolve ids to indexes once ({@link #indexOf}) and use
 * {@link #pop(int)} on the hot path.
 *
 * <p><b>Cut off.</b> {@link #cutOff()} is true while every check of every PoP has failed since
 * the latest success anywhere (see {@link HealthMonitor}): states then show the last known
 * states, not the failures, and the alarm says so.
 */
public final class HealthView {
    private final long version;
    private final Instant updated;
    private final Instant cutOffSince;
    private final PopHealth[] pops;
    private final List<PopHealth> popList;
    private final Map<String, Integer> index;
    private final OverrideEvent[] overrideEvents;

    private HealthView(
            long version,
            Instant updated,
            Instant cutOffSince,
            PopHealth[] pops,
            Map<String, Integer> index,
            OverrideEvent[] overrideEvents) {
        this.version = version;
        this.updated = updated;
        this.cutOffSince = cutOffSince;
        this.pops = pops;
        this.popList = Collections.unmodifiableList(Arrays.asList(pops));
        this.index = index;
        this.overrideEvents = overrideEvents;
    }

    /** The view before any result: every pair UNKNOWN since {@code created}, no override. */
    static HealthView initial(HealthConfig config, Instant created) {
        return initial(config, created, Map.of());
    }

    /**
     * The view before any result, but with the pairs in {@code carried} (keyed by {@link
     * #pairKey}) starting from those values instead of UNKNOWN.
     */
    static HealthView initial(HealthConfig config, Instant created, Map<String, CheckHealth> carried) {
        PopHealth[] pops = new PopHealth[config.pops().size()];
        Map<String, Integer> index = new HashMap<>();
        for (int p = 0; p < pops.length; p++) {
            PopTarget target = config.pops().get(p);
            CheckHealth[] checks = new CheckHealth[target.checks().size()];
            for (int c = 0; c < checks.length; c++) {
                String name = target.checks().get(c).name();
                CheckHealth known = carried.get(pairKey(target.id(), name));
                checks[c] = known != null ? known : CheckHealth.unknown(name, created);
            }
            pops[p] = new PopHealth(target.id(), target.adminState(), Optional.empty(), List.of(checks));
            index.put(target.id(), p);
        }
        return new HealthView(0, created, null, pops, Map.copyOf(index), new OverrideEvent[pops.length]);
    }

    /** The key of a (PoP, check) pair in maps of pairs. */
    static String pairKey(String pop, String check) {
        return pop + "\u0000" + check;
    }

    /** Increases by one with every published view of one monitor. */
    public long version() {
        return version;
    }

    /** When this view was published. */
    public Instant updated() {
        return updated;
    }

    /** Whether the prober is cut off: every PoP failed, states are held (see the type's javadoc). */
    public boolean cutOff() {
        return cutOffSince != null;
    }

    /** Since when the prober is cut off, while it is. */
    public Optional<Instant> cutOffSince() {
        return Optional.ofNullable(cutOffSince);
    }

    /** Every PoP, in configuration order. */
    public List<PopHealth> pops() {
        return popList;
    }

    /** The PoP at {@code index} in configuration order. */
    public PopHealth pop(int index) {
        return pops[index];
    }

    /** The PoP {@code id}, if configured. */
    public Optional<PopHealth> pop(String id) {
        Integer i = index.get(id);
        return i == null ? Optional.empty() : Optional.of(pops[i]);
    }

    /** The configuration-order index of PoP {@code id}, or -1; fixed for the monitor's life. */
    public int indexOf(String id) {
        Integer i = index.get(id);
        return i == null ? -1 : i;
    }

    /**
     * The latest override event of the PoP at {@code index}: the set or clear that made its
     * override what it is (kept after the override expires), if any was ever made.
     */
    public Optional<OverrideEvent> overrideEvent(int index) {
        return Optional.ofNullable(overrideEvents[index]);
    }

    HealthView withCheck(int pop, int check, CheckHealth health) {
        PopHealth[] copy = pops.clone();
        copy[pop] = pops[pop].withCheck(check, health);
        return new HealthView(version, updated, cutOffSince, copy, index, overrideEvents);
    }

    /** The PoP's override replaced; {@code event}, when not null, becomes its latest override event. */
    HealthView withOverride(int pop, Optional<AdminOverride> override, OverrideEvent event) {
        PopHealth[] copy = pops.clone();
        copy[pop] = pops[pop].withOverride(override);
        OverrideEvent[] events = overrideEvents;
        if (event != null) {
            events = overrideEvents.clone();
            events[pop] = event;
        }
        return new HealthView(version, updated, cutOffSince, copy, index, events);
    }

    /** This view with every check replaced by {@code checks[pop][check]}: same version, PoPs and overrides. */
    HealthView withChecks(CheckHealth[][] checks) {
        PopHealth[] copy = new PopHealth[pops.length];
        for (int p = 0; p < pops.length; p++) {
            copy[p] = new PopHealth(pops[p].id(), pops[p].adminState(), pops[p].override(), List.of(checks[p]));
        }
        return new HealthView(version, updated, cutOffSince, copy, index, overrideEvents);
    }

    /** This view as the next version, published at {@code at}, cut off since {@code since} or not (null). */
    HealthView next(Instant at, Instant since) {
        return new HealthView(version + 1, at, since, pops, index, overrideEvents);
    }

    @Override
    public String toString() {
        StringBuilder text = new StringBuilder("HealthView[version ").append(version);
        if (cutOffSince != null) {
            text.append(", cut off since ").append(cutOffSince);
        }
        for (PopHealth pop : pops) {
            text.append(", ").append(pop.id());
            pop.override().ifPresent(o -> text.append(" override ").append(o.action()));
            if (pop.adminState() != AdminState.ACTIVE) {
                text.append(' ').append(pop.adminState());
            }
            text.append(" {");
            for (int c = 0; c < pop.checks().size(); c++) {
                CheckHealth check = pop.checks().get(c);
                text.append(c == 0 ? "" : ", ")
                        .append(check.check())
                        .append(' ')
                        .append(check.state());
            }
            text.append('}');
        }
        return text.append(']').toString();
    }
}
