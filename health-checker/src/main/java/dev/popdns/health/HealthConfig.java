package dev.popdns.health;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Everything the health checker probes: the PoPs, each with its checks. Built by the config
 * loader from {@code pops.yaml}, immutable.
 *
 * @param pops the PoPs, ids unique, in the order the view lists them
 */
public record HealthConfig(List<PopTarget> pops) {
    /**
     * Validates that ids are unique.
     *
     * @throws IllegalArgumentException {@code "pops: duplicate id 'x' (expected: unique ids)"}
     */
    public HealthConfig {
        pops = List.copyOf(Validation.requirePresent("pops", pops));
        Set<String> ids = new HashSet<>();
        for (PopTarget pop : pops) {
            if (!ids.add(pop.id())) {
                throw new IllegalArgumentException("pops: duplicate id '" + pop.id() + "' (expected: unique ids)");
            }
        }
    }
}
