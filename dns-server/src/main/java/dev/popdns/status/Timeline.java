package dev.popdns.status;

import dev.popdns.health.HealthEvent;
import dev.popdns.health.HealthListener;
import dev.popdns.health.HealthView;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The last {@value #CAPACITY} things that changed what popdns answers: check state changes,
 * overrides, the prober cut-off alarm and reloads. Written by the health monitor's and the
 * reloader's threads, read by the HTTP thread; a small lock, never on the query path.
 */
public final class Timeline implements HealthListener {
    static final int CAPACITY = 200;

    /** One entry: when, what kind ({@code state}, {@code override}, {@code cut-off}, {@code reload}), and what. */
    public record Entry(Instant at, String kind, String text) {}

    private final ArrayDeque<Entry> entries = new ArrayDeque<>();
    private final Clock clock;

    public Timeline(Clock clock) {
        this.clock = clock;
    }

    public synchronized void add(String kind, String text) {
        add(new Entry(clock.instant(), kind, text));
    }

    private synchronized void add(Entry e) {
        if (entries.size() == CAPACITY) {
            entries.removeFirst();
        }
        entries.addLast(e);
    }

    /** Newest first. */
    public synchronized List<Entry> entries() {
        List<Entry> list = new ArrayList<>(entries);
        java.util.Collections.reverse(list);
        return list;
    }

    @Override
    public void onUpdate(HealthView view, List<HealthEvent> events) {
        for (HealthEvent event : events) {
            switch (event) {
                case HealthEvent.StateChanged s ->
                    add(new Entry(
                            s.at(),
                            "state",
                            s.pop() + " " + s.check() + ": " + s.from() + " -> " + s.to() + " (" + s.reason() + ")"));
                case HealthEvent.OverrideChanged o ->
                    add(
                            "override",
                            o.pop() + ": "
                                    + o.to().map(a -> a.action() + " until " + a.expires() + " (" + a.reason() + ")")
                                            .orElse("override cleared")
                                    + " [" + o.reason() + "]");
                case HealthEvent.CutOffChanged c ->
                    add(new Entry(
                            c.at(),
                            "cut-off",
                            (c.cutOff()
                                            ? "prober cut off: every PoP failing, keeping last known states"
                                            : "prober cut-off cleared")
                                    + " (" + c.reason() + ")"));
                case HealthEvent.ProbeCompleted p -> {}
            }
        }
    }
}
