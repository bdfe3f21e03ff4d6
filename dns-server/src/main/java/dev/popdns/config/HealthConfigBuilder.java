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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

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
        List<String> problems = new ArrayList<>();
        List<PopTarget> targets = new ArrayList<>();
        for (PopsConfig.Pop pop : pops.pops()) {
            List<CheckConfig> checks = new ArrayList<>();
            for (PopsConfig.Check check : pops.checks().values()) {
                Map<String, Object> fields = new LinkedHashMap<>(check.fields());
                Map<String, Object> override = pop.checkOverrides().get(check.name());
                if (override != null) {
                    fields.putAll(override);
                }
                String key =
                        override == null ? "checks." + check.name() : "pops." + pop.id() + ".checks." + check.name();
                int line = override == null ? check.line() : pop.line();
                try {
                    checks.add(new CheckConfig(check.name(), spec(check.type(), fields), timing(fields)));
                } catch (IllegalArgumentException e) {
                    problems.add(file + ":" + line + ": " + key + ": " + e.getMessage());
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
                problems.add(file + ":" + pop.line() + ": pops." + pop.id() + ": " + e.getMessage());
            }
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(String.join("\n", problems));
        }
        return new HealthConfig(targets);
    }

    private static ProbeSpec spec(String type, Map<String, Object> f) {
        return switch (type) {
            case "http" -> {
                HttpSpec spec = HttpSpec.of(text(f, "http"));
                if (f.containsKey("method")) {
                    spec = spec.withMethod(
                            HttpSpec.Method.valueOf(text(f, "method").toUpperCase(java.util.Locale.ROOT)));
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
                    throw new IllegalArgumentException(
                            "password-file and password-env both set (expected: one of them)");
                }
                ReplicaSpec spec =
                        ReplicaSpec.of(text(f, "postgres-replica"), f.containsKey("user") ? text(f, "user") : "popdns");
                if (f.containsKey("password-file")) {
                    spec = spec.withPassword(new PasswordSource.File(Path.of(text(f, "password-file"))));
                } else if (f.containsKey("password-env")) {
                    spec = spec.withPassword(new PasswordSource.Environment(text(f, "password-env")));
                }
                if (f.containsKey("max-lag")) {
                    spec = spec.withMaxLag(Durations.parse(text(f, "max-lag")));
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
                f.containsKey("interval") ? Durations.parse(text(f, "interval")) : d.interval(),
                f.containsKey("timeout") ? Durations.parse(text(f, "timeout")) : d.timeout(),
                f.containsKey("rise") ? integer("rise", text(f, "rise")) : d.rise(),
                f.containsKey("fall") ? integer("fall", text(f, "fall")) : d.fall());
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
