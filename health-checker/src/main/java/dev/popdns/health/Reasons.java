package dev.popdns.health;

import java.time.Duration;

/** Builds the one-line texts of {@link ProbeResult.Down}: bounded, printable, free of secrets. */
final class Reasons {
    static final String REDACTED = "*****";
    private static final int MAX_LENGTH = 300;

    private Reasons() {}

    /** The exception's message, or its class name when it has none. */
    static String describe(Throwable failure) {
        String message = failure.getMessage();
        return message == null || message.isBlank() ? failure.getClass().getSimpleName() : message;
    }

    /** {@code "timed out after 1s (during connect)"}. */
    static String timedOut(Duration timeout, String phase) {
        return "timed out after " + Durations.format(timeout) + " (during " + phase + ")";
    }

    /**
     * {@code text} with every occurrence of {@code secret} replaced, control characters turned
     * into spaces, and cut to 300 characters. A null or empty secret redacts nothing.
     */
    static String clean(String text, String secret) {
        String redacted = secret == null || secret.isEmpty() ? text : text.replace(secret, REDACTED);
        StringBuilder line = new StringBuilder(Math.min(redacted.length(), MAX_LENGTH + 3));
        for (int i = 0; i < redacted.length() && line.length() < MAX_LENGTH; i++) {
            char c = redacted.charAt(i);
            line.append(Character.isISOControl(c) ? ' ' : c);
        }
        if (redacted.length() > MAX_LENGTH) {
            line.append("...");
        }
        return line.toString().strip();
    }
}
