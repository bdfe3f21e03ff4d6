package dev.popdns.health;

import java.time.Duration;

/**
 * The textual form of durations in the configuration and in every message of this module:
 * a whole number and one unit, {@code ms}, {@code s}, {@code m} or {@code h} ({@code 100ms},
 * {@code 2s}, {@code 30s}, {@code 1h}).
 *
 * <p>{@link #format} picks the largest unit that represents the value exactly, so
 * {@code format(parse(text))} gives the canonical spelling and {@code parse(format(d))} gives
 * {@code d} back for every whole number of milliseconds.
 */
public final class Durations {
    private Durations() {}

    /**
     * Parses {@code text} such as {@code 2s} or {@code 100ms}.
     *
     * @throws IllegalArgumentException naming the text and the expected form when it is not a
     *     non-negative whole number followed by {@code ms}, {@code s}, {@code m} or {@code h}
     */
    public static Duration parse(String text) {
        int digits = 0;
        while (digits < text.length() && Character.isDigit(text.charAt(digits))) {
            digits++;
        }
        String unit = text.substring(digits);
        if (digits == 0 || digits > 12) {
            throw invalid(text);
        }
        long amount = Long.parseLong(text, 0, digits, 10);
        return switch (unit) {
            case "ms" -> Duration.ofMillis(amount);
            case "s" -> Duration.ofSeconds(amount);
            case "m" -> Duration.ofMinutes(amount);
            case "h" -> Duration.ofHours(amount);
            default -> throw invalid(text);
        };
    }

    /**
     * Formats {@code duration} with the largest unit that holds it exactly; a negative duration
     * gets a leading minus, anything finer than a millisecond is rounded down to milliseconds.
     */
    public static String format(Duration duration) {
        long millis = duration.toMillis();
        if (millis < 0) {
            return "-" + format(Duration.ofMillis(-millis));
        }
        if (millis == 0) {
            return "0s";
        }
        if (millis % 3_600_000 == 0) {
            return millis / 3_600_000 + "h";
        }
        if (millis % 60_000 == 0) {
            return millis / 60_000 + "m";
        }
        if (millis % 1000 == 0) {
            return millis / 1000 + "s";
        }
        return millis + "ms";
    }

    private static IllegalArgumentException invalid(String text) {
        return new IllegalArgumentException(
                "duration: '" + text + "' (expected: a whole number and ms, s, m or h, like 2s or 100ms)");
    }
}
