package dev.popdns.health;

/**
 * One named check as it applies to one PoP: what to probe and how often (a PoP's own overrides of
 * a check are merged into this record by the config loader).
 *
 * @param name the check's name in {@code pops.yaml} ({@code nginx}, {@code replica}), used in
 *     logs, events and metric labels
 * @param spec what to probe
 * @param timing interval, timeout, rise and fall
 */
public record CheckConfig(String name, ProbeSpec spec, CheckTiming timing) {
    /**
     * Validates the name and that spec and timing are present.
     *
     * @throws IllegalArgumentException naming the field, the value and the expectation
     */
    public CheckConfig {
        Validation.requireName("check", name);
        Validation.requirePresent("spec", spec);
        Validation.requirePresent("timing", timing);
    }

    /** The check {@code name} with the default timing. */
    public static CheckConfig of(String name, ProbeSpec spec) {
        return new CheckConfig(name, spec, CheckTiming.DEFAULT);
    }
}
