package dev.popdns.config;

import static dev.popdns.config.CheckFields.Values.or;
import static dev.popdns.config.CheckFields.Values.unless;

import dev.popdns.health.PasswordSource;
import dev.popdns.health.ReplicaSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * A {@code postgres-replica} check, {@code postgres-replica: //ADDRESS:PORT/DB}: a streaming
 * replica within max-lag; see {@link ReplicaSpec}, whose defaults apply to the fields not set
 * (max-lag 30 s, no password), except the user, {@link #DEFAULT_USER}. Null: not set.
 */
public record ReplicaCheck(
        String target,
        String user,
        Path passwordFile,
        String passwordEnv,
        String sslmode,
        Path sslrootcert,
        Duration maxLag,
        Timing timing)
        implements CheckFields {
    /** The database user of a check without {@code user}. */
    public static final String DEFAULT_USER = "popdns";

    public ReplicaCheck {
        timing = or(timing, Timing.NONE);
    }

    static ReplicaCheck read(FieldReader f) {
        return new ReplicaCheck(
                f.text("postgres-replica"),
                f.text("user"),
                f.path("password-file"),
                f.text("password-env"),
                f.text("sslmode"),
                f.path("sslrootcert"),
                f.duration("max-lag"),
                Timing.read(f));
    }

    @Override
    public CheckKind kind() {
        return CheckKind.POSTGRES_REPLICA;
    }

    @Override
    public ReplicaSpec spec() {
        if (passwordFile != null && passwordEnv != null) {
            throw new IllegalArgumentException("password-env: set with password-file (expected: one of them)");
        }
        ReplicaSpec spec = ReplicaSpec.of(target, or(user, DEFAULT_USER));
        if (passwordFile != null) {
            spec = spec.withPassword(new PasswordSource.File(passwordFile));
        } else if (passwordEnv != null) {
            spec = spec.withPassword(new PasswordSource.Environment(passwordEnv));
        }
        if (maxLag != null) {
            spec = spec.withMaxLag(maxLag);
        }
        if (sslmode != null) {
            spec = spec.withSslMode(sslmode);
        }
        if (sslrootcert != null) {
            spec = spec.withSslRootCert(sslrootcert);
        }
        return spec;
    }

    @Override
    public ReplicaCheck merge(CheckFields override) {
        ReplicaCheck o = (ReplicaCheck) kind().check(override);
        return new ReplicaCheck(
                or(o.target, target),
                or(o.user, user),
                or(o.passwordFile, passwordFile),
                or(o.passwordEnv, passwordEnv),
                or(o.sslmode, sslmode),
                or(o.sslrootcert, sslrootcert),
                or(o.maxLag, maxLag),
                timing.merge(o.timing));
    }

    @Override
    public ReplicaCheck except(CheckFields base) {
        ReplicaCheck b = (ReplicaCheck) kind().check(base);
        return new ReplicaCheck(
                unless(target, b.target),
                unless(user, b.user),
                unless(passwordFile, b.passwordFile),
                unless(passwordEnv, b.passwordEnv),
                unless(sslmode, b.sslmode),
                unless(sslrootcert, b.sslrootcert),
                unless(maxLag, b.maxLag),
                timing.except(b.timing));
    }

    @Override
    public Map<String, Value> values() {
        return Values.of(this)
                .put("user", user)
                .put("password-file", passwordFile)
                .put("password-env", passwordEnv)
                .put("sslmode", sslmode)
                .put("sslrootcert", sslrootcert)
                .put("max-lag", maxLag)
                .map(timing);
    }
}
