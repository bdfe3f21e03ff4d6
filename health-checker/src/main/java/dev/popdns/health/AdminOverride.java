package dev.popdns.health;

import java.time.Instant;

/**
 * A runtime override of a PoP's admin state, for emergencies: it wins over the {@code state}
 * of {@code pops.yaml} and over the checks until {@code expires}, when the monitor removes it.
 *
 * @param action {@code DRAIN} or {@code FORCE_UP}
 * @param expires when the override falls away; must be in the future when it is set
 * @param reason why, for the log and the status page; non-blank
 */
public record AdminOverride(Action action, Instant expires, String reason) {
    /** What the override does to the PoP. */
    public enum Action {
        /** Never route to the PoP, whatever its checks say. */
        DRAIN,
        /** Route to the PoP as if it were active and every check UP (its checks go on). */
        FORCE_UP
    }

    /**
     * Validates the fields.
     *
     * @throws IllegalArgumentException naming the field, the value and the expectation
     */
    public AdminOverride {
        Validation.requirePresent("action", action);
        Validation.requirePresent("expires", expires);
        Validation.requireText("reason", reason);
    }
}
