package dev.popdns.config;

import dev.popdns.health.CheckTiming;
import dev.popdns.health.Durations;
import dev.popdns.health.HttpSpec;
import dev.popdns.health.PasswordSource;
import dev.popdns.health.ProbeSpec;
import dev.popdns.health.ReplicaSpec;
import dev.popdns.health.TcpSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The check kinds of {@code pops.yaml}, each declared once: its key (which holds the probe's
 * target template), its own fields in the order a reader expects them, and its parser into the
 * health-checker's spec. Every check also takes the {@link #TIMING} fields. The loader, the
 * health-config builder, the pops.yaml writer and the Route 53 importer all read this.
 *
 * <p>Defaults are the health-checker's ({@link HttpSpec#of}: GET, expect [200], 64 KiB body;
 * {@link ReplicaSpec#of}: max-lag 30 s; {@link CheckTiming#DEFAULT}: 2 s, 1 s, rise 2, fall 3)
 * except {@link #DEFAULT_USER}.
 *
 * <p>Fields travel as raw values ({@code String} or a list of them) until {@link #spec} and
 * {@link #timing}, because a PoP may override any single field of a shared check.
 */
public enum CheckKind {
    /** {@code http: URL}: one HTTP/1.1 request; see {@link HttpSpec}. */
    HTTP("http", List.of("method", "host", "expect", "body", "max-body", "insecure", "ca-file")) {
        @Override
        ProbeSpec spec(Map<String, Object> f) {
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
            return spec;
        }
    },
    /** {@code tcp: ADDRESS:PORT}: a connection within the timeout; see {@link TcpSpec}. */
    TCP("tcp", List.of()) {
        @Override
        ProbeSpec spec(Map<String, Object> f) {
            return new TcpSpec(text(f, "tcp"));
        }
    },
    /** {@code postgres-replica: //ADDRESS:PORT/DB}: a streaming replica within max-lag; see {@link ReplicaSpec}. */
    POSTGRES_REPLICA(
            "postgres-replica", List.of("user", "password-file", "password-env", "sslmode", "sslrootcert", "max-lag")) {
        @Override
        ProbeSpec spec(Map<String, Object> f) {
            if (f.containsKey("password-file") && f.containsKey("password-env")) {
                throw new IllegalArgumentException("password-env: set with password-file (expected: one of them)");
            }
            ReplicaSpec spec =
                    ReplicaSpec.of(text(f, "postgres-replica"), f.containsKey("user") ? text(f, "user") : DEFAULT_USER);
            if (f.containsKey("password-file")) {
                spec = spec.withPassword(new PasswordSource.File(Path.of(text(f, "password-file"))));
            } else if (f.containsKey("password-env")) {
                spec = spec.withPassword(new PasswordSource.Environment(text(f, "password-env")));
            }
            if (f.containsKey("max-lag")) {
                spec = spec.withMaxLag(duration(f, "max-lag"));
            }
            if (f.containsKey("sslmode")) {
                spec = spec.withSslMode(text(f, "sslmode"));
            }
            if (f.containsKey("sslrootcert")) {
                spec = spec.withSslRootCert(Path.of(text(f, "sslrootcert")));
            }
            return spec;
        }
    };

    /** The fields every check kind takes: when and how its results are judged. */
    public static final List<String> TIMING = List.of("interval", "timeout", "rise", "fall");
    /** The database user of a {@code postgres-replica} check without {@code user}. */
    public static final String DEFAULT_USER = "popdns";
    /** Every key a check (or a PoP's override of one) may have, in reading order: the kinds, their fields, timing. */
    public static final List<String> FIELDS = fields();

    private final String key;
    private final List<String> fields;

    CheckKind(String key, List<String> fields) {
        this.key = key;
        this.fields = fields;
    }

    /** The key that names the kind in pops.yaml and holds the probe's target. */
    public String key() {
        return key;
    }

    /** The kind named {@code key}, or null. */
    public static CheckKind of(String key) {
        for (CheckKind kind : values()) {
            if (kind.key.equals(key)) {
                return kind;
            }
        }
        return null;
    }

    /** The kind keys, in declaration order: {@code http, tcp, postgres-replica}. */
    public static List<String> keys() {
        List<String> keys = new ArrayList<>();
        for (CheckKind kind : values()) {
            keys.add(kind.key);
        }
        return keys;
    }

    /** The probe of a check of this kind with these fields; messages start with the field at fault. */
    abstract ProbeSpec spec(Map<String, Object> fields);

    /** The timing of a check with these fields, defaults for those not set. */
    static CheckTiming timing(Map<String, Object> f) {
        CheckTiming d = CheckTiming.DEFAULT;
        return new CheckTiming(
                f.containsKey("interval") ? duration(f, "interval") : d.interval(),
                f.containsKey("timeout") ? duration(f, "timeout") : d.timeout(),
                f.containsKey("rise") ? integer("rise", text(f, "rise")) : d.rise(),
                f.containsKey("fall") ? integer("fall", text(f, "fall")) : d.fall());
    }

    private static List<String> fields() {
        List<String> all = new ArrayList<>(keys());
        for (CheckKind kind : values()) {
            all.addAll(kind.fields);
        }
        all.addAll(TIMING);
        return List.copyOf(all);
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
}
