package dev.popdns.config;

import dev.popdns.config.YamlTree.ListNode;
import dev.popdns.config.YamlTree.MapNode;
import dev.popdns.config.YamlTree.Node;
import dev.popdns.config.YamlTree.Scalar;
import dev.popdns.health.Durations;
import dev.popdns.health.HttpSpec;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the fields of one check, or of one PoP's override of it, from its pops.yaml mapping into
 * typed values for the {@link CheckFields} records. A value that does not read is a problem at its
 * key's line, {@code checks.web: method: 'PUT' (expected: GET or HEAD)}, and reads as not set.
 */
final class FieldReader {
    /** Where problems go: {@code file:line: message} is the caller's to write. */
    interface Problems {
        void add(int line, String message);
    }

    private final MapNode node;
    private final String key;
    private final Problems problems;

    /**
     * @param key the mapping's dotted path ({@code checks.web}, {@code pops.eu.checks.web}), which
     *     starts every message
     */
    FieldReader(MapNode node, String key, Problems problems) {
        this.node = node;
        this.key = key;
        this.problems = problems;
    }

    /** A scalar's text, or null when absent or not a single value. */
    String text(String field) {
        switch (node.entries().get(field)) {
            case null -> {}
            case Scalar s
            when s.text() != null -> {
                return s.text();
            }
            case MapNode m -> problems.add(m.line(), key + "." + field + ": a mapping (expected: a scalar or a list)");
            case Scalar s -> problem(field, "null (expected: a single value)");
            case ListNode l -> problem(field, texts(l) + " (expected: a single value)");
        }
        return null;
    }

    Integer integer(String field) {
        String text = text(field);
        return text == null ? null : whole(field, text);
    }

    Boolean bool(String field) {
        String text = text(field);
        if (text == null || text.equals("true") || text.equals("false")) {
            return text == null ? null : Boolean.valueOf(text);
        }
        problem(field, text + " (expected: true or false)");
        return null;
    }

    Duration duration(String field) {
        String text = text(field);
        try {
            return text == null ? null : Durations.parse(text);
        } catch (IllegalArgumentException e) {
            problem(field, e.getMessage());
            return null;
        }
    }

    Path path(String field) {
        String text = text(field);
        try {
            return text == null ? null : Path.of(text);
        } catch (InvalidPathException e) {
            problem(field, "'" + text + "' (expected: a file path)");
            return null;
        }
    }

    HttpSpec.Method method(String field) {
        String text = text(field);
        if (text == null) {
            return null;
        }
        for (HttpSpec.Method m : HttpSpec.Method.values()) {
            if (m.name().equalsIgnoreCase(text)) {
                return m;
            }
        }
        problem(field, "'" + text + "' (expected: GET or HEAD)");
        return null;
    }

    /** A list of whole numbers, or one as a scalar; null when absent or when an item does not read. */
    List<Integer> integers(String field) {
        Node n = node.entries().get(field);
        if (!(n instanceof ListNode l)) {
            Integer one = integer(field);
            return one == null ? null : List.of(one);
        }
        List<Integer> out = new ArrayList<>();
        for (Node item : l.items()) {
            Integer value = null;
            if (item instanceof Scalar s) {
                value = whole(field, s.text());
            } else {
                problems.add(item.line(), key + "." + field + ": nested value (expected: a list of scalars)");
            }
            if (value == null) {
                return null;
            }
            out.add(value);
        }
        return out;
    }

    private Integer whole(String field, String text) {
        try {
            return Integer.parseInt(text);
        } catch (NumberFormatException e) {
            problem(field, text + " (expected: a whole number)");
            return null;
        }
    }

    private static List<String> texts(ListNode l) {
        List<String> items = new ArrayList<>();
        for (Node item : l.items()) {
            items.add(item instanceof Scalar s ? s.text() : "...");
        }
        return items;
    }

    private void problem(String field, String message) {
        problems.add(node.keyLines().get(field), key + ": " + field + ": " + message);
    }
}
