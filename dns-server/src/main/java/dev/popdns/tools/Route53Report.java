package dev.popdns.tools;

import dev.popdns.tools.Route53Input.RecordSet;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one Route 53 import could not map, what it mapped differently from Route 53, and the
 * comments for {@code pops.yaml}: written by every step of {@link Route53Mapper}.
 */
final class Route53Report {
    /** Problems with the index of the record set they belong to, listed in file order at the end. */
    final List<Map.Entry<Integer, String>> unmapped = new ArrayList<>();

    final List<String> notes = new ArrayList<>();
    final Map<String, String> comments = new LinkedHashMap<>();

    void unmapped(RecordSet s, String reason) {
        unmapped.add(Map.entry(s.index(), s.label() + ": " + reason));
    }

    /** The same reason for each of {@code sets} (an endpoint's A and AAAA record sets). */
    void unmapped(List<RecordSet> sets, String reason) {
        for (RecordSet s : sets) {
            unmapped(s, reason);
        }
    }

    /** The problems in the order of the record sets they belong to. */
    List<String> unmappedInFileOrder() {
        List<Map.Entry<Integer, String>> sorted = new ArrayList<>(unmapped);
        sorted.sort(Map.Entry.comparingByKey());
        List<String> problems = new ArrayList<>();
        for (Map.Entry<Integer, String> u : sorted) {
            problems.add(u.getValue());
        }
        return problems;
    }
}
