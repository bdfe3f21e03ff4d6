package dev.popdns.config;

import dev.popdns.health.AdminState;
import dev.popdns.health.CheckConfig;
import dev.popdns.health.CheckTiming;
import dev.popdns.health.Durations;
import dev.popdns.health.HealthConfig;
import dev.popdns.health.HttpSpec;
import dev.popdns.health.PasswordSource;
import dev.popdns.health.PopTarget;
import dev.popdns.health.ProbeSpec;
import dev.popdns.health.ReplicaSpec;
import dev.popdns.health.TcpSpec;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Turns the checks of {@code pops.yaml} into the health-checker's config: every PoP gets every
 * declared check, with the PoP's own overrides merged over the shared fields. The health-checker
 * validates values (durations, ranges, URLs); its messages are prefixed with the key and line.
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
                Map<String, Object> fields = new LinkedHashMap<>(check.fields());
                Map<String, Object> override = pop.checkOverrides().get(check.name());
                if (override != null) {
                    fields.putAll(override);
                }
                try {
                    checks.add(new CheckConfig(check.name(), spec(check.type(), fields), timing(fields)));
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
            Map<String, Object> override,
            String message) {
        int colon = message.indexOf(':');
        String field = colon > 0 ? message.substring(0, colon) : "";
        String shared = "checks." + check.name();
        String own = "pops." + pop.id() + ".checks." + check.name();
        String key;
        int line;
        if (override != null && override.containsKey(field)) {
            key = own;
            line = pops.line(own + "." + field, pop.line());
        } else if (check.fields().containsKey(field)) {
            key = shared;
            line = pops.line(shared + "." + field, check.line());
        } else {
            key = override != null ? own : shared;
            line = pops.line(key, override != null ? pop.line() : check.line());
        }
        return file + ":" + line + ": " + key + ": " + message;
    }

    private static ProbeSpec spec(String type, Map<String, Object> f) {
        return switch (type) {
            case "http" -> {
                HttpSpec spec = HttpSpec.of(text(f, "http"));
                if (f.containsKey("method")) {
                    spec = spec.withMethod(method(text(f, "method")));
                }
                if (f.containsKey("host")) {
                    spec = spec.withHost(text(f, "host"));
                }
                if (f.containsKey("ca-file")) {
                    spec = spec.withCaFile(Path.of(text(f, "ca-file")));
                }
                if (f.containsKey("insecure")) {
                    spec = spec.withInsecure(bool(f, "insecure"));
                }
                if (f.containsKey("expect")) {
                    List<Integer> codes = new ArrayList<>();
                    for (String code : list(f, "expect")) {
                        codes.add(integer("expect", code));
                    }
                    spec = spec.withExpect(codes);
                }
                if (f.containsKey("body")) {
                    spec = spec.withBody(text(f, "body"));
                }
                if (f.containsKey("max-body")) {
                    spec = spec.withMaxBodyBytes(integer("max-body", text(f, "max-body")));
                }
                yield spec;
            }
            case "tcp" -> new TcpSpec(text(f, "tcp"));
            case "postgres-replica" -> {
                if (f.containsKey("password-file") && f.containsKey("password-env")) {
                    throw new IllegalArgumentException("password-env: set with password-file (expected: one of them)");
                }
                ReplicaSpec spec =
                        ReplicaSpec.of(text(f, "postgres-replica"), f.containsKey("user") ? text(f, "user") : "popdns");
                if (f.containsKey("password-file")) {
                    spec = spec.withPassword(new PasswordSource.File(Path.of(text(f, "password-file"))));
                } else if (f.containsKey("password-env")) {
                    spec = spec.withPassword(new PasswordSource.Environment(text(f, "password-env")));
                }
                if (f.containsKey("max-lag")) {
                    spec = spec.withMaxLag(duration(f, "max-lag"));
                }
                yield spec;
            }
            default ->
                throw new IllegalArgumentException("type " + type + " (expected: http, tcp or postgres-replica)");
        };
    }

    private static CheckTiming timing(Map<String, Object> f) {
        CheckTiming d = CheckTiming.DEFAULT;
        return new CheckTiming(
                f.containsKey("interval") ? duration(f, "interval") : d.interval(),
                f.containsKey("timeout") ? duration(f, "timeout") : d.timeout(),
                f.containsKey("rise") ? integer("rise", text(f, "rise")) : d.rise(),
                f.containsKey("fall") ? integer("fall", text(f, "fall")) : d.fall());
    }

    private static Duration duration(Map<String, Object> f, String key) {
        try {
            return Durations.parse(text(f, key));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(key + ": " + e.getMessage(), e);
        }
    }

    private static HttpSpec.Method method(String text) {
        for (HttpSpec.Method m : HttpSpec.Method.values()) {
            if (m.name().equalsIgnoreCase(text)) {
                return m;
            }
        }
        throw new IllegalArgumentException("method: '" + text + "' (expected: GET or HEAD)");
    }

    private static String text(Map<String, Object> f, String key) {
        if (f.get(key) instanceof String s) {
            return s;
        }
        throw new IllegalArgumentException(key + ": " + f.get(key) + " (expected: a single value)");
    }

    @SuppressWarnings("unchecked")
    private static List<String> list(Map<String, Object> f, String key) {
        Object v = f.get(key);
        if (v instanceof List<?> l) {
            return (List<String>) l;
        }
        return List.of(text(f, key));
    }

    private static boolean bool(Map<String, Object> f, String key) {
        String v = text(f, key);
        if (!v.equals("true") && !v.equals("false")) {
            throw new IllegalArgumentException(key + ": " + v + " (expected: true or false)");
        }
        return Boolean.parseBoolean(v);
    }

    private static int integer(String key, String text) {
        try {
            return Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + ": " + text + " (expected: a whole number)");
        }
    }

    private static String literal(InetAddress address) {
        return address.getHostAddress();
    }
}
