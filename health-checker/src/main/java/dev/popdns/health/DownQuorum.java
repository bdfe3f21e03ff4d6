package dev.popdns.health;

import java.util.Locale;

/**
 * How many fresh views must see a check DOWN before the nodes agree it is DOWN: {@code majority}
 * of the configured nodes (the default), {@code all}, {@code any} (one), or a number.
 *
 * @param kind which rule
 * @param count the number, for {@link Kind#COUNT} only (0 otherwise)
 */
public record DownQuorum(Kind kind, int count) {
    /** The forms the setting takes. */
    public enum Kind {
        MAJORITY,
        ALL,
        ANY,
        COUNT
    }

    /** The default: a majority of the nodes. */
    public static final DownQuorum MAJORITY = new DownQuorum(Kind.MAJORITY, 0);

    /**
     * Validates the count.
     *
     * @throws IllegalArgumentException such as {@code "down-quorum: 0 (expected: 1..1000)"}
     */
    public DownQuorum {
        Validation.requirePresent("kind", kind);
        if (kind == Kind.COUNT) {
            Validation.requireRange("down-quorum", count, 1, 1000);
        } else if (count != 0) {
            throw new IllegalArgumentException(
                    "down-quorum: count " + count + " with " + kind + " (expected: 0 unless a number)");
        }
    }

    /**
     * Parses {@code majority}, {@code all}, {@code any} or a number.
     *
     * @throws IllegalArgumentException such as {@code "down-quorum: 'most' (expected: majority, all, any or a number 1..1000)"}
     */
    public static DownQuorum parse(String text) {
        String value = text == null ? "" : text.strip().toLowerCase(Locale.ROOT);
        switch (value) {
            case "majority" -> {
                return MAJORITY;
            }
            case "all" -> {
                return new DownQuorum(Kind.ALL, 0);
            }
            case "any" -> {
                return new DownQuorum(Kind.ANY, 0);
            }
            default -> {
                if (value.matches("[0-9]{1,4}")) {
                    return new DownQuorum(Kind.COUNT, Integer.parseInt(value));
                }
                throw new IllegalArgumentException("down-quorum: " + Validation.quote(text)
                        + " (expected: majority, all, any or a number 1..1000)");
            }
        }
    }

    /** The number of DOWN views needed among {@code nodes} nodes; at least 1. */
    public int required(int nodes) {
        return switch (kind) {
            case MAJORITY -> nodes / 2 + 1;
            case ALL -> nodes;
            case ANY -> 1;
            case COUNT -> count;
        };
    }

    @Override
    public String toString() {
        return kind == Kind.COUNT ? Integer.toString(count) : kind.name().toLowerCase(Locale.ROOT);
    }
}
