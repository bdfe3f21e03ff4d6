package dev.popdns.health;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicReference;
import org.postgresql.Driver;

/**
 * A {@link ReplicaSpec postgres-replica} check bound to one PoP address.
 *
 * <p>Each {@link #probe()} reads the password from its {@link PasswordSource} and runs one
 * query over the connection the previous probe left open, or over a new one. A login per probe
 * (a new backend process on the replica, the SCRAM key derivation here) cost more than half the
 * CPU of an idle popdns with probes (BENCHMARKS.md "Idle (issue 12)"), so the connection stays
 * open, idle outside any transaction, between probes. It is replaced by a new login when its
 * query fails (a replica that restarted or closed idle sessions: the new login's outcome is the
 * probe's, within the same deadline) and when the password read now differs from the one it
 * logged in with (a rotated password is tried at the next probe); the query's own verdicts
 * (not a replica, lag) keep it. {@link #close()} closes it.
 *
 * <p>The driver's {@code connectTimeout} and {@code socketTimeout} (which also bounds every read
 * of the login) are the check's timeout in whole seconds, at least 1; for the query the rest of
 * the deadline is the network timeout. The driver's {@code loginTimeout} is not used: it would
 * start a platform thread per probe. The scheduler's own deadline bounds what the driver's second
 * granularity cannot.
 *
 * <p>The password is held only during the probe (between probes only its SHA-256 digest, to
 * notice a change) and replaced by {@code *****} in every reported text; {@link #toString()}
 * names only where it comes from. Thread-safe: concurrent probes each take the open connection
 * or open their own, and one of them is kept.
 */
public final class ReplicaLagProbe implements Probe {
    // One row even when pg_stat_wal_receiver has none (no WAL receiver running).
    private static final String QUERY = """
            SELECT pg_is_in_recovery(),
                   r.pid IS NOT NULL,
                   r.status,
                   pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn(),
                   CAST(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) * 1000 AS bigint)
            FROM (SELECT 1) AS one LEFT JOIN pg_stat_wal_receiver AS r ON true""";
    private static final Driver DRIVER = new Driver();

    private final ReplicaSpec spec;
    private final String url;
    private final Duration timeout;
    private final Clock clock;
    private final Map<String, String> environment;
    /** The connection between probes, or {@code null}: a probe takes it, and puts back a working one. */
    private final AtomicReference<Session> idle = new AtomicReference<>();

    private volatile boolean closed;

    /** An open connection and the digest of the password it logged in with. */
    private record Session(Connection connection, byte[] passwordDigest) {}

    ReplicaLagProbe(ReplicaSpec spec, String address, Duration timeout, Clock clock, Map<String, String> environment) {
        this.spec = spec;
        this.url = "jdbc:postgresql:" + Addresses.bind(spec.url(), address);
        this.timeout = timeout;
        this.clock = clock;
        this.environment = Map.copyOf(environment);
    }

    @Override
    public ProbeResult probe() {
        Instant at = clock.instant();
        long start = System.nanoTime();
        String password;
        try {
            password = readPassword();
        } catch (PasswordException e) {
            return down(at, start, e.getMessage(), Optional.empty());
        }
        ProbeResult result = query(at, start, password);
        // Whatever the driver or the server put into a message, the password never leaves.
        return password != null && result instanceof ProbeResult.Down down
                ? new ProbeResult.Down(down.at(), down.latency(), Reasons.clean(down.reason(), password), down.lag())
                : result;
    }

    private ProbeResult query(Instant at, long start, String password) {
        byte[] digest = digest(password);
        Session open = idle.getAndSet(null);
        if (open != null) {
            if (Arrays.equals(open.passwordDigest(), digest)) {
                try {
                    ProbeResult result = ask(open.connection(), at, start);
                    keep(open);
                    return result;
                } catch (SQLException | RuntimeException e) {
                    // closed by the replica (restart, idle_session_timeout) or broken: log in again below
                }
            }
            closeQuietly(open.connection());
        }
        String phase = "connect";
        Connection connection = null;
        try {
            connection = DRIVER.connect(url, properties(password));
            if (connection == null) {
                return down(at, start, "connect: '" + url + "' is not a pgjdbc URL", Optional.empty());
            }
            phase = "query";
            ProbeResult result = ask(connection, at, start);
            keep(new Session(connection, digest));
            connection = null;
            return result;
        } catch (SQLException | RuntimeException e) {
            return down(at, start, phase + ": " + Reasons.describe(e), Optional.empty());
        } finally {
            if (connection != null) {
                closeQuietly(connection);
            }
        }
    }

    private Properties properties(String password) {
        Properties properties = new Properties();
        properties.setProperty("user", spec.user());
        if (password != null) {
            properties.setProperty("password", password);
        }
        String seconds = Long.toString(Math.max(1, timeout.toSeconds()));
        properties.setProperty("connectTimeout", seconds);
        properties.setProperty("socketTimeout", seconds);
        properties.setProperty("ApplicationName", "popdns-health");
        spec.sslMode().ifPresent(mode -> properties.setProperty("sslmode", mode));
        spec.sslRootCert().ifPresent(file -> properties.setProperty("sslrootcert", file.toString()));
        return properties;
    }

    /** The query, within what is left of the deadline, judged. */
    private ProbeResult ask(Connection connection, Instant at, long start) throws SQLException {
        long left = timeout.toNanos() - (System.nanoTime() - start);
        connection.setNetworkTimeout(Runnable::run, (int) Math.max(1, left / 1_000_000));
        try (Statement statement = connection.createStatement();
                ResultSet row = statement.executeQuery(QUERY)) {
            row.next();
            return judge(at, start, row);
        }
    }

    /** Keeps {@code session} for the next probe, unless another is kept already or the probe is closed. */
    private void keep(Session session) {
        if (closed || !idle.compareAndSet(null, session)) {
            closeQuietly(session.connection());
        } else if (closed && idle.compareAndSet(session, null)) {
            closeQuietly(session.connection()); // close() ran between the check and the set
        }
    }

    /** Closes the connection kept between probes; a probe after this logs in and closes again. */
    @Override
    public void close() {
        closed = true;
        Session open = idle.getAndSet(null);
        if (open != null) {
            closeQuietly(open.connection());
        }
    }

    private static void closeQuietly(Connection connection) {
        try {
            connection.close();
        } catch (SQLException | RuntimeException e) {
            // the connection is dropped either way
        }
    }

    private static byte[] digest(String password) {
        if (password == null) {
            return new byte[0];
        }
        try {
            return MessageDigest.getInstance("SHA-256").digest(password.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    private ProbeResult judge(Instant at, long start, ResultSet row) throws SQLException {
        if (!row.getBoolean(1)) {
            return down(
                    at, start, "not in recovery (expected: a replica, pg_is_in_recovery() = true)", Optional.empty());
        }
        if (!row.getBoolean(2)) {
            return down(
                    at,
                    start,
                    "no WAL receiver (expected: a row in pg_stat_wal_receiver, status streaming)",
                    Optional.empty());
        }
        String status = row.getString(3);
        if (status == null) {
            return down(
                    at,
                    start,
                    "WAL receiver status hidden from " + spec.user()
                            + " (expected: the role pg_monitor or pg_read_all_stats)",
                    Optional.empty());
        }
        if (!status.equals("streaming")) {
            return down(at, start, "WAL receiver status " + status + " (expected: streaming)", Optional.empty());
        }
        Duration lag;
        if (row.getBoolean(4)) {
            lag = Duration.ZERO; // everything received is replayed: an idle primary is no lag
        } else {
            long millis = row.getLong(5);
            if (row.wasNull()) {
                return down(at, start, "lag unknown: WAL received but no transaction replayed yet", Optional.empty());
            }
            lag = Duration.ofMillis(Math.max(0, millis));
        }
        if (lag.compareTo(spec.maxLag()) > 0) {
            return down(
                    at,
                    start,
                    "lag " + Durations.format(lag) + " (expected: at most " + Durations.format(spec.maxLag()) + ")",
                    Optional.of(lag));
        }
        return new ProbeResult.Up(at, Duration.ofNanos(System.nanoTime() - start), Optional.of(lag));
    }

    /** The password, {@code null} when none is configured. */
    private String readPassword() throws PasswordException {
        if (spec.password().isEmpty()) {
            return null;
        }
        return switch (spec.password().get()) {
            case PasswordSource.File file -> {
                try {
                    yield Files.readString(file.path()).stripTrailing();
                } catch (IOException e) {
                    throw new PasswordException("password-file " + file.path() + ": cannot read ("
                            + e.getClass().getSimpleName() + ")");
                }
            }
            case PasswordSource.Environment variable -> {
                String value = environment.get(variable.name());
                if (value == null) {
                    throw new PasswordException("password-env " + variable.name() + ": not set");
                }
                yield value;
            }
        };
    }

    @Override
    public String toString() {
        return "ReplicaLagProbe[" + url + " user " + spec.user()
                + spec.password()
                        .map(p -> switch (p) {
                            case PasswordSource.File file -> " password-file " + file.path();
                            case PasswordSource.Environment variable -> " password-env " + variable.name();
                        })
                        .orElse("")
                + " max-lag " + Durations.format(spec.maxLag()) + "]";
    }

    private static ProbeResult down(Instant at, long start, String reason, Optional<Duration> lag) {
        return new ProbeResult.Down(at, Duration.ofNanos(System.nanoTime() - start), Reasons.clean(reason, null), lag);
    }

    /** The password could not be read; its message names the source, never a value. */
    private static final class PasswordException extends Exception {
        @java.io.Serial
        private static final long serialVersionUID = 1L;

        PasswordException(String message) {
            super(message, null, false, false);
        }
    }
}
