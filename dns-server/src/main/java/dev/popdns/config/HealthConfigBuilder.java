package dev.popdns.config;

import dev.popdns.health.AdminState;
import dev.popdns.health.CheckConfig;
import dev.popdns.health.HealthConfig;
import dev.popdns.health.PopTarget;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Turns the checks of {@code pops.yaml} into the health-checker's config: every PoP gets every
 * declared check, with the PoP's own overrides merged over the shared fields. The loader has read
 * the values (numbers, durations); the health-checker validates them (ranges, URLs) and its
 * messages are prefixed with the key and line.
 */
public final class HealthConfigBuilder {
    private HealthConfigBuilder() {}

    /** The health config for {@code pops}, or null when it declares no checks. */
    public static HealthConfig build(PopsConfig pops, String file) throws ConfigException {
        if (pops.checks().isEmpty()) {
            return null;
        }
        // a fault in a shared check shows for every PoP: report it once
        Set<String> problems = new LinkedHashSet<>();
        List<PopTarget> targets = new ArrayList<>();
        for (PopsConfig.Pop pop : pops.pops()) {
            List<CheckConfig> checks = new ArrayList<>();
            for (PopsConfig.Check check : pops.checks().values()) {
                CheckFields override = pop.checkOverrides().get(check.name());
                CheckFields fields =
                        override == null ? check.fields() : check.fields().merge(override);
                try {
                    checks.add(new CheckConfig(
                            check.name(), fields.spec(), fields.timing().resolve()));
                } catch (IllegalArgumentException e) {
                    problems.add(problem(pops, file, pop, check, override, e.getMessage()));
                }
            }
            try {
                targets.add(new PopTarget(
                        pop.id(),
                        literal(pop.addresses().get(0)),
                        Optional.ofNullable(pop.probeAddress()).map(HealthConfigBuilder::literal),
                        pop.state() == PopsConfig.AdminState.DRAIN ? AdminState.DRAIN : AdminState.ACTIVE,
                        checks));
            } catch (IllegalArgumentException e) {
                String key = "pops." + pop.id();
                problems.add(file + ":" + pops.line(key, pop.line()) + ": " + key + ": " + e.getMessage());
            }
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(String.join("\n", problems));
        }
        return new HealthConfig(targets);
    }

    /**
     * {@code file:line: key: message} for a check that did not bind, at the line of the field the
     * health-checker named ({@code "interval: 0s (expected: ...)"}): the PoP's override when it set
     * that field, else the shared check; a field set nowhere points at the check itself.
     */
    private static String problem(
            PopsConfig pops,
            String file,
            PopsConfig.Pop pop,
            PopsConfig.Check check,
            CheckFields override,
            String message) {
        int colon = message.indexOf(':');
        String field = colon > 0 ? message.substring(0, colon) : "";
        String shared = "checks." + check.name();
        String own = "pops." + pop.id() + ".checks." + check.name();
        String key;
        int line;
        if (override != null && override.sets(field)) {
            key = own;
            line = pops.line(own + "." + field, pop.line());
        } else if (check.fields().sets(field)) {
            key = shared;
            line = pops.line(shared + "." + field, check.line());
        } else {
            key = override != null ? own : shared;
            line = pops.line(key, override != null ? pop.line() : check.line());
        }
        return file + ":" + line + ": " + key + ": " + message;
    }

    private static String literal(InetAddress address) {
        return address.getHostAddress();
    }
}
