package dev.popdns.health;

import java.time.Duration;
import java.util.regex.Pattern;

/** Checks shared by the config records; every message names the key, the value and the expectation. */
final class Validation {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,62}");

    private Validation() {}

    static String requireName(String key, String value) {
        if (value == null || !NAME.matcher(value).matches()) {
            throw new IllegalArgumentException(key + ": " + quote(value)
                    + " (expected: 1..63 letters, digits, '.', '_' or '-', starting with a letter or digit)");
        }
        return value;
    }

    static String requireText(String key, String value) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(key + ": " + quote(value) + " (expected: a non-blank string)");
        }
        return value;
    }

    static int requireRange(String key, int value, int min, int max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(key + ": " + value + " (expected: " + min + ".." + max + ")");
        }
        return value;
    }

    static Duration requireRange(String key, Duration value, Duration min, Duration max) {
        String range = Durations.format(min) + ".." + Durations.format(max);
        if (value == null) {
            throw new IllegalArgumentException(key + ": missing (expected: " + range + ")");
        }
        if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
            throw new IllegalArgumentException(key + ": " + Durations.format(value) + " (expected: " + range + ")");
        }
        return value;
    }

    static <T> T requirePresent(String key, T value) {
        if (value == null) {
            throw new IllegalArgumentException(key + ": missing (expected: a value)");
        }
        return value;
    }

    static String quote(String value) {
        return value == null ? "null" : "'" + value + "'";
    }
}
