package dev.popdns.health;

import java.time.Instant;
import java.util.Optional;

/**
 * The latest override decision for one PoP: an override set ({@code override} present) or
 * cleared ({@code override} empty), when, and by which node. It travels with each node's view so
 * that a drain set on one node is applied by all of them; the newest event per PoP wins
 * ({@link #newerThan}), so every node that has seen the same events holds the same override.
 *
 * @param pop the PoP's id
 * @param override the override set, or empty for a clear
 * @param at when it was set or cleared, by the clock of the node where that happened
 * @param origin the id of that node
 */
public record OverrideEvent(String pop, Optional<AdminOverride> override, Instant at, String origin) {
    /**
     * Validates the fields.
     *
     * @throws IllegalArgumentException naming the field, the value and the expectation
     */
    public OverrideEvent {
        Validation.requireName("pop", pop);
        Validation.requirePresent("override", override);
        Validation.requirePresent("at", at);
        Validation.requireText("origin", origin);
    }

    /** Whether this event wins over {@code other}: later, or as late and from a greater origin id. */
    public boolean newerThan(OverrideEvent other) {
        int byTime = at.compareTo(other.at);
        return byTime != 0 ? byTime > 0 : origin.compareTo(other.origin) > 0;
    }

    /** {@code drain until T (reason)}, {@code force-up until T (reason)} or {@code cleared}, for logs. */
    public String describe() {
        return override.map(o -> (o.action() == AdminOverride.Action.DRAIN ? "drain" : "force-up") + " until "
                        + o.expires() + " (" + o.reason() + ")")
                .orElse("cleared");
    }
}
