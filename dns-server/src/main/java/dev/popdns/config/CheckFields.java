package dev.popdns.config;

import static dev.popdns.config.CheckFields.Values.or;
import static dev.popdns.config.CheckFields.Values.unless;

import dev.popdns.health.CheckTiming;
import dev.popdns.health.Durations;
import dev.popdns.health.ProbeSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The fields of one check in {@code pops.yaml}, typed: one record per {@link CheckKind}
 * ({@link HttpCheck}, {@link TcpCheck}, {@link ReplicaCheck}), each with the {@link Timing} every
 * check takes. A component is null when the file does not set it: a shared check sets its target
 * and what it needs, a PoP's override ({@code pops.ID.checks.NAME}) only the fields it replaces.
 * Defaults are applied by {@link #spec} and {@link Timing#resolve}, nowhere else.
 */
public sealed interface CheckFields permits HttpCheck, TcpCheck, ReplicaCheck {
    CheckKind kind();

    /** The probe's target template (the value of the kind's key), or null when not set. */
    String target();

    Timing timing();

    /**
     * The health-checker's probe for these fields, defaults for those not set; validates.
     *
     * @throws IllegalArgumentException whose message starts with the field at fault, as in
     *     {@code "expect: 600 (expected: 100..599)"}
     */
    ProbeSpec spec();

    /**
     * These fields with those {@code override} sets put in their place.
     *
     * @throws IllegalArgumentException when {@code override} is of another kind
     */
    CheckFields merge(CheckFields override);

    /** The fields that differ from {@code base}'s, the others not set: the override that makes {@code base} this. */
    CheckFields except(CheckFields base);

    /** The fields set, in reading order (the kind's key, its own fields, timing), as pops.yaml spells them. */
    Map<String, Value> values();

    /** Whether the field {@code key} is set. */
    default boolean sets(String key) {
        return values().containsKey(key);
    }

    /**
     * When a check runs and how its results are judged: the fields every kind takes, null when
     * not set; {@link #resolve} applies {@link CheckTiming#DEFAULT}.
     */
    record Timing(Duration interval, Duration timeout, Integer rise, Integer fall) {
        /** No timing field set. */
        public static final Timing NONE = new Timing(null, null, null, null);

        static Timing read(FieldReader f) {
            return new Timing(f.duration("interval"), f.duration("timeout"), f.integer("rise"), f.integer("fall"));
        }

        /** The health-checker's timing, defaults for the fields not set; validates like {@link CheckTiming}. */
        public CheckTiming resolve() {
            CheckTiming d = CheckTiming.DEFAULT;
            return new CheckTiming(
                    or(interval, d.interval()), or(timeout, d.timeout()), or(rise, d.rise()), or(fall, d.fall()));
        }

        Timing merge(Timing o) {
            return new Timing(or(o.interval, interval), or(o.timeout, timeout), or(o.rise, rise), or(o.fall, fall));
        }

        Timing except(Timing b) {
            return new Timing(
                    unless(interval, b.interval),
                    unless(timeout, b.timeout),
                    unless(rise, b.rise),
                    unless(fall, b.fall));
        }

        void addTo(Values v) {
            v.put("interval", interval)
                    .put("timeout", timeout)
                    .put("rise", rise)
                    .put("fall", fall);
        }
    }

    /** A field's value as pops.yaml spells it: a scalar, or a list of scalars ({@code expect}). */
    record Value(List<String> items, boolean list) {
        public Value {
            items = List.copyOf(items);
        }

        /** The scalar, or the list as {@code [a, b]}. */
        public String text() {
            return list ? items.toString() : items.get(0);
        }
    }

    /** Builds {@link #values()}: the fields set, in the order put, each spelled as pops.yaml has it. */
    final class Values {
        private final Map<String, Value> map = new LinkedHashMap<>();

        private Values() {}

        static Values of(CheckFields fields) {
            return new Values().put(fields.kind().key(), fields.target());
        }

        /** {@code override} when set, else {@code base}: one field of {@link #merge}. */
        static <T> T or(T override, T base) {
            return override != null ? override : base;
        }

        /** {@code value}, or null when it equals {@code base}: one field of {@link #except}. */
        static <T> T unless(T value, T base) {
            return Objects.equals(value, base) ? null : value;
        }

        /** Adds {@code key} unless {@code value} is null; durations in their canonical spelling ({@code 2s}). */
        Values put(String key, Object value) {
            switch (value) {
                case null -> {}
                case List<?> list -> {
                    List<String> items = new ArrayList<>();
                    for (Object item : list) {
                        items.add(String.valueOf(item));
                    }
                    map.put(key, new Value(items, true));
                }
                case Duration d -> map.put(key, new Value(List.of(Durations.format(d)), false));
                default -> map.put(key, new Value(List.of(String.valueOf(value)), false));
            }
            return this;
        }

        /** The fields put so far, then the timing's. */
        Map<String, Value> map(Timing timing) {
            timing.addTo(this);
            return Collections.unmodifiableMap(map);
        }
    }
}
