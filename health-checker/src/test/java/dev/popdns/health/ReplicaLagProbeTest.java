package dev.popdns.health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * {@code postgres-replica} checks against a real primary and streaming replica. The last test
 * takes the replica through its life: idle, paused under writes, resumed, cut from its primary,
 * stopped; the others only read.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ReplicaLagProbeTest {
    private static final Duration MAX_LAG = Duration.ofSeconds(2);
    private static final CheckTiming TIMING = new CheckTiming(Duration.ofSeconds(2), Duration.ofSeconds(1), 2, 3);
    private static final String PASSWORD = "correct horse battery staple";

    private static PostgresPair postgres;
    private static Path passwordFile;

    @BeforeAll
    static void startPostgres() throws IOException, SQLException {
        postgres = PostgresPair.start();
        postgres.createRole("popdns", PASSWORD, true);
        postgres.createRole("nomonitor", PASSWORD, false);
        postgres.createRole("leaky", "another password", true);
        passwordFile = postgres.dir().resolve("popdns-pg.secret");
        Files.writeString(passwordFile, PASSWORD + "\n");
        postgres.awaitReplayed(Duration.ofSeconds(10));
    }

    @AfterAll
    static void stopPostgres() {
        if (postgres != null) {
            postgres.close();
        }
    }

    @Test
    @Order(1)
    void thePrimaryIsNotAReplica() {
        ProbeResult.Down down =
                assertInstanceOf(ProbeResult.Down.class, probe(postgres.primaryPort(), "popdns", file()));
        assertEquals("not in recovery (expected: a replica, pg_is_in_recovery() = true)", down.reason());
    }

    /** sslmode reaches pgjdbc: this replica speaks no TLS, so require fails and disable works. */
    @Test
    @Order(1)
    void theSslModeReachesTheDriver() {
        ReplicaSpec spec = spec(postgres.replicaPort(), "popdns").withPassword(file());
        assertInstanceOf(
                ProbeResult.Up.class,
                bind(spec.withSslMode("disable"), Map.of()).probe());
        ProbeResult.Down down = assertInstanceOf(
                ProbeResult.Down.class,
                bind(spec.withSslMode("require"), Map.of()).probe());
        assertTrue(down.reason().startsWith("connect: ") && down.reason().contains("SSL"), down.reason());
        assertFalse(down.reason().contains(PASSWORD), down.reason());
    }

    /**
     * {@code sslmode: verify-full} with {@code sslrootcert}, as the README asks for a replica
     * reached over a network, against a replica that speaks TLS with a certificate for 127.0.0.1
     * signed by a CA of this test: Up with that CA; Down, before any password is sent, with
     * another CA or with no sslrootcert (pgjdbc then looks for ~/.postgresql/root.crt, which a
     * test machine does not have), each with pgjdbc's words.
     */
    @Test
    @Order(1)
    void verifyFullChecksTheReplicasCertificateAgainstTheSslRootCert() throws IOException, SQLException {
        Path tls = Files.createDirectories(postgres.dir().resolve("tls"));
        Certificates ours = Certificates.generate(tls, "replica", "IP:127.0.0.1");
        Path otherDir = Files.createDirectories(postgres.dir().resolve("tls-other"));
        Certificates other = Certificates.generate(otherDir, "replica", "IP:127.0.0.1");
        int port = Ports.free();
        try (StreamingReplica replica = StreamingReplica.start(postgres, "tls", "127.0.0.1", port, ours)) {
            ReplicaSpec spec = spec(port, "popdns").withPassword(file()).withSslMode("verify-full");
            assertInstanceOf(
                    ProbeResult.Up.class,
                    bind(spec.withSslRootCert(ours.caFile()), Map.of()).probe());
            ProbeResult.Down wrongCa = assertInstanceOf(
                    ProbeResult.Down.class,
                    bind(spec.withSslRootCert(other.caFile()), Map.of()).probe());
            // "connect: SSL error: (certificate_unknown) PKIX path validation failed: ... Path does
            // not chain with any of the trust anchors"
            assertTrue(
                    wrongCa.reason().startsWith("connect: SSL error")
                            && wrongCa.reason().contains("trust anchors"),
                    wrongCa.reason());
            ProbeResult.Down noCa = assertInstanceOf(
                    ProbeResult.Down.class, bind(spec, Map.of()).probe());
            assertTrue(noCa.reason().startsWith("connect: Could not open SSL root certificate file"), noCa.reason());
            for (ProbeResult.Down down : List.of(wrongCa, noCa)) {
                assertFalse(down.reason().contains(PASSWORD), down.reason());
            }
        }
    }

    @Test
    @Order(1)
    void thePasswordMayComeFromTheEnvironment() {
        ReplicaSpec spec =
                spec(postgres.replicaPort(), "popdns").withPassword(new PasswordSource.Environment("POPDNS_PG"));
        assertInstanceOf(
                ProbeResult.Up.class, bind(spec, Map.of("POPDNS_PG", PASSWORD)).probe());
        assertEquals(
                "password-env POPDNS_PG: not set",
                assertInstanceOf(ProbeResult.Down.class, bind(spec, Map.of()).probe())
                        .reason());
        ReplicaSpec missingFile =
                spec.withPassword(new PasswordSource.File(postgres.dir().resolve("nothing")));
        assertEquals(
                "password-file " + postgres.dir().resolve("nothing") + ": cannot read (NoSuchFileException)",
                assertInstanceOf(
                                ProbeResult.Down.class,
                                bind(missingFile, Map.of()).probe())
                        .reason());
    }

    @Test
    @Order(1)
    void aRoleWithoutPgMonitorCannotSeeTheWalReceiver() {
        assertEquals(
                "WAL receiver status hidden from nomonitor (expected: the role pg_monitor or pg_read_all_stats)",
                assertInstanceOf(ProbeResult.Down.class, probe(postgres.replicaPort(), "nomonitor", file()))
                        .reason());
    }

    @Test
    @Order(1)
    void thePasswordNeverAppearsInAResult() throws IOException {
        // The server names the user in its error; this user's password file holds its own name.
        Path leakyFile = postgres.dir().resolve("leaky.secret");
        Files.writeString(leakyFile, "leaky");
        ReplicaSpec spec = spec(postgres.replicaPort(), "leaky").withPassword(new PasswordSource.File(leakyFile));
        Probe probe = bind(spec, Map.of());
        ProbeResult.Down down = assertInstanceOf(ProbeResult.Down.class, probe.probe());
        assertEquals("connect: FATAL: password authentication failed for user \"*****\"", down.reason());
        assertFalse(probe.toString().contains(PASSWORD));
        assertEquals(
                "ReplicaLagProbe[jdbc:postgresql://127.0.0.1:" + postgres.replicaPort() + "/postgres user leaky "
                        + "password-file " + leakyFile + " max-lag 2s]",
                probe.toString());

        // Nor in a view or a log line of the monitor.
        RecordingLogs.clear();
        CheckConfig check = new CheckConfig("replica", spec, TIMING);
        try (HealthMonitor monitor = HealthMonitor.builder(
                        new HealthConfig(List.of(PopTarget.of("eu-west", "127.0.0.1", List.of(check)))))
                .build()) {
            HealthView view = monitor.start();
            assertEquals(
                    Optional.of("connect: FATAL: password authentication failed for user \"*****\""),
                    view.pop("eu-west")
                            .orElseThrow()
                            .check("replica")
                            .orElseThrow()
                            .lastError());
            assertFalse(view.toString().contains("leaky"));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            fail("interrupted");
        }
        assertEquals(
                1,
                RecordingLogs.matching("pop eu-west check replica: UNKNOWN -> DOWN")
                        .size(),
                RecordingLogs.lines().toString());
        for (String line : RecordingLogs.lines()) {
            assertFalse(line.contains("leaky"), line);
        }
    }

    /**
     * The connection stays open between probes; one the replica ends is replaced within the next
     * probe, a password that changed is tried at the next probe, and close() ends the session.
     */
    @Test
    @Order(1)
    void oneSessionServesTheProbesUntilItEndsOrThePasswordChanges() throws IOException, SQLException {
        postgres.createRole("rotated", "first password", true);
        postgres.awaitReplayed(Duration.ofSeconds(10));
        Path secret = postgres.dir().resolve("rotated.secret");
        Files.writeString(secret, "first password\n");
        ReplicaSpec spec = spec(postgres.replicaPort(), "rotated").withPassword(new PasswordSource.File(secret));
        Probe probe = bind(spec, Map.of());
        try {
            assertInstanceOf(ProbeResult.Up.class, probe.probe());
            List<Integer> first = awaitSessions("rotated", pids -> pids.size() == 1);
            assertInstanceOf(ProbeResult.Up.class, probe.probe());
            assertInstanceOf(ProbeResult.Up.class, probe.probe());
            assertEquals(first, sessions("rotated"), "the later probes ran in the first one's session");

            // as a restart or idle_session_timeout would: the next probe logs in again, and is UP
            execute(postgres.replica(), "SELECT pg_terminate_backend(" + first.get(0) + ")");
            assertInstanceOf(ProbeResult.Up.class, probe.probe());
            List<Integer> second = awaitSessions("rotated", pids -> pids.size() == 1 && !pids.equals(first));
            assertInstanceOf(ProbeResult.Up.class, probe.probe());
            assertEquals(second, sessions("rotated"));

            // a changed password is tried at once, although a session is open
            Files.writeString(secret, "wrong password\n");
            ProbeResult.Down refused = assertInstanceOf(ProbeResult.Down.class, probe.probe());
            assertTrue(refused.reason().startsWith("connect: FATAL: password authentication failed"), refused.reason());
            awaitSessions("rotated", List::isEmpty);
            Files.writeString(secret, "first password\n");
            assertInstanceOf(ProbeResult.Up.class, probe.probe());
            awaitSessions("rotated", pids -> pids.size() == 1);
        } finally {
            probe.close();
        }
        awaitSessions("rotated", List::isEmpty);
    }

    @Test
    @Order(2)
    void lagThroughTheReplicasLife() throws SQLException, InterruptedException {
        Probe probe = bind(spec(postgres.replicaPort(), "popdns").withPassword(file()), Map.of());

        // Idle for longer than max-lag: the last replayed transaction grows old, yet nothing lags.
        postgres.awaitReplayed(Duration.ofSeconds(10));
        long idleUntil = System.nanoTime() + MAX_LAG.multipliedBy(2).toNanos();
        while (System.nanoTime() < idleUntil) {
            ProbeResult.Up up = assertInstanceOf(ProbeResult.Up.class, probe.probe());
            assertEquals(Duration.ZERO, up.lag().orElseThrow());
            ExternalProcess.pause(Duration.ofMillis(250));
        }
        assertTrue(naiveLag().compareTo(MAX_LAG) > 0, "the naive timestamp lag is past max-lag: the trap is set");

        AtomicBoolean writing = new AtomicBoolean(true);
        Thread writer = Thread.ofPlatform().name("primary-writer").start(() -> writeEvery100ms(writing));
        try {
            execute(postgres.replica(), "SELECT pg_wal_replay_pause()");
            ProbeResult.Down lagging = (ProbeResult.Down)
                    awaitResult(probe, Duration.ofSeconds(15), result -> result instanceof ProbeResult.Down);
            assertTrue(lagging.reason().matches("lag [0-9]+(ms|s) \\(expected: at most 2s\\)"), lagging.reason());
            assertTrue(lagging.lag().orElseThrow().compareTo(MAX_LAG) > 0, "lag " + lagging.lag());

            execute(postgres.replica(), "SELECT pg_wal_replay_resume()");
            ProbeResult.Up caughtUp = (ProbeResult.Up)
                    awaitResult(probe, Duration.ofSeconds(15), result -> result instanceof ProbeResult.Up);
            assertTrue(caughtUp.lag().orElseThrow().compareTo(MAX_LAG) <= 0, "lag " + caughtUp.lag());
        } finally {
            writing.set(false);
            writer.join(Duration.ofSeconds(10));
        }

        postgres.stopPrimary();
        ProbeResult.Down orphaned = (ProbeResult.Down)
                awaitResult(probe, Duration.ofSeconds(15), result -> result instanceof ProbeResult.Down);
        assertTrue(
                orphaned.reason().startsWith("no WAL receiver")
                        || orphaned.reason().startsWith("WAL receiver status"),
                orphaned.reason());

        postgres.stopReplica();
        ProbeResult.Down stopped = assertInstanceOf(ProbeResult.Down.class, probe.probe());
        assertTrue(
                stopped.reason().startsWith("connect: Connection to 127.0.0.1:" + postgres.replicaPort() + " refused"),
                stopped.reason());
    }

    private static ProbeResult awaitResult(Probe probe, Duration timeout, Predicate<ProbeResult> wanted) {
        long deadline = System.nanoTime() + timeout.toNanos();
        ProbeResult last = null;
        while (System.nanoTime() < deadline) {
            last = probe.probe();
            if (wanted.test(last)) {
                return last;
            }
            ExternalProcess.pause(Duration.ofMillis(200));
        }
        return fail("no wanted result within " + Durations.format(timeout) + ", last: " + last);
    }

    /** The backend pids of {@code user}'s probe sessions on the replica. */
    private static List<Integer> sessions(String user) throws SQLException {
        List<Integer> pids = new ArrayList<>();
        try (Connection connection = postgres.replica();
                Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("SELECT pid FROM pg_stat_activity WHERE usename = '" + user
                        + "' AND application_name = 'popdns-health' ORDER BY pid")) {
            while (rows.next()) {
                pids.add(rows.getInt(1));
            }
        }
        return pids;
    }

    /** Polls {@link #sessions} until {@code wanted} (a session ends shortly after its client leaves). */
    private static List<Integer> awaitSessions(String user, Predicate<List<Integer>> wanted) throws SQLException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        List<Integer> pids = sessions(user);
        while (!wanted.test(pids)) {
            if (System.nanoTime() > deadline) {
                fail("sessions of " + user + " on the replica after 10s: " + pids);
            }
            ExternalProcess.pause(Duration.ofMillis(50));
            pids = sessions(user);
        }
        return pids;
    }

    private static void writeEvery100ms(AtomicBoolean writing) {
        try (Connection connection = postgres.primary();
                Statement statement = connection.createStatement()) {
            while (writing.get()) {
                statement.execute("INSERT INTO ticks DEFAULT VALUES");
                Thread.sleep(100);
            }
        } catch (SQLException | InterruptedException e) {
            if (writing.get()) {
                throw new IllegalStateException("writer failed", e);
            }
        }
    }

    private static Duration naiveLag() throws SQLException {
        try (Connection connection = postgres.replica();
                Statement statement = connection.createStatement();
                ResultSet row = statement.executeQuery(
                        "SELECT CAST(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) * 1000 AS bigint)")) {
            row.next();
            return Duration.ofMillis(row.getLong(1));
        }
    }

    private static void execute(Connection connection, String sql) throws SQLException {
        try (connection;
                Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }

    private static PasswordSource file() {
        return new PasswordSource.File(passwordFile);
    }

    private static ProbeResult probe(int port, String user, PasswordSource password) {
        Probe probe = bind(spec(port, user).withPassword(password), Map.of());
        try {
            return probe.probe();
        } finally {
            probe.close();
        }
    }

    private static ReplicaSpec spec(int port, String user) {
        return ReplicaSpec.of("//{address}:" + port + "/postgres", user).withMaxLag(MAX_LAG);
    }

    private static Probe bind(ReplicaSpec spec, Map<String, String> environment) {
        CheckConfig check = new CheckConfig("replica", spec, TIMING);
        return Probe.create(
                PopTarget.of("eu-west", "127.0.0.1", List.of(check)), check, Clock.systemUTC(), environment);
    }
}
