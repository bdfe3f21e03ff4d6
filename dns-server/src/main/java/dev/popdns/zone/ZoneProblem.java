package dev.popdns.zone;

/**
 * One thing wrong with a zone file: where ({@code file:line}), which rule, and what.
 *
 * @param file the file as the operator named it (relative to the zones directory's parent when possible)
 * @param line 1-based line, or 0 when the problem belongs to the file as a whole
 * @param rule a short stable rule id, e.g. {@code cname-exclusive}
 * @param message what is wrong, with the value and the expectation
 */
public record ZoneProblem(String file, int line, String rule, String message) {
    @Override
    public String toString() {
        return (line > 0 ? file + ":" + line : file) + ": " + message + " [" + rule + "]";
    }
}
