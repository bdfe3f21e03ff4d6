package dev.popdns.health;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HashSet;
import java.util.HexFormat;
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

    /**
     * A SHA-256 (hex) of what is probed and how it is judged: every PoP's id and probe address
     * with each check's name, spec and timing, in order. Nodes whose digests differ do not count
     * each other's votes. The admin state is left out: a drain is not a check.
     */
    public String checksDigest() {
        StringBuilder text = new StringBuilder();
        for (PopTarget pop : pops) {
            text.append(pop.id()).append('|').append(pop.probeAddress().orElse(pop.address()));
            for (CheckConfig check : pop.checks()) {
                text.append('|').append(check.name()).append('=').append(check.spec());
                text.append('/').append(check.timing());
            }
            text.append('\n');
        }
        try {
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256")
                            .digest(text.toString().getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    /** The shortest check interval, or null when no PoP has a check. */
    public Duration shortestInterval() {
        Duration shortest = null;
        for (PopTarget pop : pops) {
            for (CheckConfig check : pop.checks()) {
                Duration interval = check.timing().interval();
                shortest = shortest == null || interval.compareTo(shortest) < 0 ? interval : shortest;
            }
        }
        return shortest;
    }
}
