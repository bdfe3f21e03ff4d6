package dev.popdns.health;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Properties;

/**
 * One more streaming replica of a {@link PostgresPair}'s primary, listening on its own address
 * (a PoP's loopback address), made with {@code pg_basebackup -R} into the pair's directory, run as
 * the {@code postgres} user when the tests run as root (PostgreSQL refuses root). Close it before
 * the pair: the pair deletes the directory.
 *
 * <p>{@link PostgresPair} makes its own replica with this on 127.0.0.1; the end-to-end tests (through
 * this module's test-jar) make one per PoP on the PoP's own address, where two PoPs may share one
 * port, as real PoPs do.
 */
public final class StreamingReplica implements AutoCloseable {
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
    private static final String CANNOT_CONNECT_NOW = "57P03";

    private final Path bin;
    private final Path workDir;
    private final Path data;
    private final String address;
    private final int port;
    private ExternalProcess process;

    private StreamingReplica(Path bin, Path workDir, Path data, String address, int port) {
        this.bin = bin;
        this.workDir = workDir;
        this.data = data;
        this.address = address;
        this.port = port;
    }

    /** Makes, starts and connects the replica; returns once it streams from the primary. */
    public static StreamingReplica start(PostgresPair primary, String name, String address, int port)
            throws IOException, SQLException {
        return start(primary, name, address, port, null);
    }

    /**
     * The same, speaking TLS with {@code tls}'s server certificate and key when it is not null
     * ({@code ssl = on}; clients may still connect without TLS, as pg_hba's {@code host} lines
     * allow both).
     */
    public static StreamingReplica start(PostgresPair primary, String name, String address, int port, Certificates tls)
            throws IOException, SQLException {
        StreamingReplica replica = new StreamingReplica(
                Programs.postgresBin(), primary.dir(), primary.dir().resolve("replica-" + name), address, port);
        try {
            replica.create(primary.primaryPort(), name, tls);
            return replica;
        } catch (IOException | SQLException | RuntimeException | AssertionError e) {
            replica.close();
            throw e;
        }
    }

    private void create(int primaryPort, String name, Certificates tls) throws IOException, SQLException {
        Programs.run(
                workDir,
                COMMAND_TIMEOUT,
                asPostgres(List.of(
                        bin.resolve("pg_basebackup").toString(),
                        "-h",
                        "127.0.0.1",
                        "-p",
                        Integer.toString(primaryPort),
                        "-U",
                        "postgres",
                        "-D",
                        data.toString(),
                        "-R",
                        "-X",
                        "stream",
                        "-c",
                        "fast",
                        "--no-sync")));
        // The primary's settings come along; these win because they come last. No Unix socket:
        // replicas on one port would collide on its name.
        Files.writeString(data.resolve("postgresql.conf"), """

                listen_addresses = '%s'
                port = %d
                unix_socket_directories = ''
                """.formatted(address, port), StandardOpenOption.APPEND);
        if (tls != null) {
            // PostgreSQL reads the key only when its owner alone may read it
            Path certificate = data.resolve("server.crt");
            Path key = data.resolve("server.key");
            Files.copy(tls.certificate(), certificate);
            Files.copy(tls.key(), key);
            Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
            if (Programs.runningAsRoot()) {
                UserPrincipal postgres =
                        data.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("postgres");
                Files.setOwner(certificate, postgres);
                Files.setOwner(key, postgres);
            }
            Files.writeString(
                    data.resolve("postgresql.conf"),
                    "ssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n",
                    StandardOpenOption.APPEND);
        }
        process = ExternalProcess.start(
                "postgres replica " + name,
                workDir,
                workDir.resolve("replica-" + name + ".log"),
                asPostgres(List.of(bin.resolve("postgres").toString(), "-D", data.toString())));
        process.awaitPort(address, port, START_TIMEOUT);
        awaitStreaming();
    }

    /** A superuser connection (trusted from loopback, as in {@link PostgresPair}). */
    public Connection connect() throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", "postgres");
        properties.setProperty("connectTimeout", "5");
        properties.setProperty("socketTimeout", "10");
        return DriverManager.getConnection("jdbc:postgresql://" + address + ":" + port + "/postgres", properties);
    }

    /**
     * Waits until the replica has replayed a transaction since it started: before that it knows
     * no replay time ({@code pg_last_xact_replay_timestamp()} is null), so there is no lag to measure.
     */
    public void awaitReplayedTransaction(Duration timeout) throws SQLException {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (Connection connection = connect();
                Statement statement = connection.createStatement()) {
            while (true) {
                try (ResultSet row = statement.executeQuery("SELECT pg_last_xact_replay_timestamp() IS NOT NULL")) {
                    row.next();
                    if (row.getBoolean(1)) {
                        return;
                    }
                }
                if (System.nanoTime() > deadline) {
                    fail("replica on " + address + ":" + port + " replayed no transaction within " + timeout.toMillis()
                            + " ms");
                }
                ExternalProcess.pause(Duration.ofMillis(50));
            }
        }
    }

    /** Stops replaying WAL (it still receives it): lag grows while the primary writes. */
    public void pauseReplay() throws SQLException {
        execute("SELECT pg_wal_replay_pause()");
    }

    public void resumeReplay() throws SQLException {
        execute("SELECT pg_wal_replay_resume()");
    }

    /** Stops the server ({@code pg_ctl stop -m fast}), then its process whatever that did. */
    @Override
    public void close() {
        PostgresPair.stopServer(bin, workDir, data, process);
    }

    private void execute(String sql) throws SQLException {
        try (Connection connection = connect();
                Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }

    private void awaitStreaming() throws SQLException {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (!streaming()) {
            if (System.nanoTime() > deadline) {
                fail("replica on " + address + ":" + port + " not streaming after " + START_TIMEOUT.toSeconds() + "s:\n"
                        + process.logText());
            }
            ExternalProcess.pause(Duration.ofMillis(50));
        }
    }

    /** Whether the WAL receiver streams; false while the server starts up (it listens before it lets anyone in). */
    private boolean streaming() throws SQLException {
        try (Connection connection = connect();
                Statement statement = connection.createStatement();
                ResultSet row = statement.executeQuery("SELECT status FROM pg_stat_wal_receiver")) {
            return row.next() && "streaming".equals(row.getString(1));
        } catch (SQLException e) {
            if (CANNOT_CONNECT_NOW.equals(e.getSQLState())) {
                return false; // "the database system is starting up"
            }
            throw e;
        }
    }

    private static List<String> asPostgres(List<String> command) {
        return PostgresPair.asPostgres(command);
    }
}
