package dev.popdns.zone;

import java.util.List;

/** A set of zone files that cannot be served; carries every problem found, not only the first. */
public final class ZoneLoadException extends Exception {
    @java.io.Serial
    private static final long serialVersionUID = 1L;

    private final transient List<ZoneProblem> problems;

    public ZoneLoadException(List<ZoneProblem> problems) {
        super(problems.size() + " zone error(s), first: " + problems.get(0));
        this.problems = List.copyOf(problems);
    }

    public List<ZoneProblem> problems() {
        return problems;
    }
}
