package dev.popdns.health;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * A real PostgreSQL primary and a streaming replica made from it with {@code pg_basebackup -R},
 * in a temporary directory, on loopback ports. PostgreSQL refuses to run as root, so as root
 * every server command runs as the {@code postgres} system user (through {@code runuser}) and
 * the directory belongs to it. {@link #close()} stops both servers and deletes everything.
 *
 * <p>Superuser {@code postgres} logs in without a password from loopback (only the tests use
 * it); every other role needs its password (scram-sha-256).
 */
public final class PostgresPair implements AutoCloseable {
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);

    private final Path bin;
    private final TempDir dir;
    private final boolean asRoot;
    private final int primaryPort;
    private final int replicaPort;
    private ExternalProcess primary;
    private StreamingReplica replica;

    private PostgresPair(Path bin, TempDir dir) {
        this.bin = bin;
        this.dir = dir;
        this.asRoot = Programs.runningAsRoot();
        this.primaryPort = Ports.free();
        this.replicaPort = Ports.free();
    }

    /** Creates, starts and connects both servers; returns once the replica is streaming. */
    public static PostgresPair start() throws IOException, SQLException {
        Path bin = Programs.postgresBin();
        if (Programs.runningAsRoot()) {
            Programs.require("runuser", "util-linux");
        }
        PostgresPair pair = new PostgresPair(bin, new TempDir("popdns-pg-"));
        try {
            pair.create();
            return pair;
        } catch (IOException | SQLException | RuntimeException | AssertionError e) {
            pair.close();
            throw e;
        }
    }

    public int primaryPort() {
        return primaryPort;
    }

    int replicaPort() {
        return replicaPort;
    }

    public Path dir() {
        return dir.path();
    }

    /** A superuser connection to the primary. */
    public Connection primary() throws SQLException {
        return connect(primaryPort);
    }

    /** A superuser connection to the replica. */
    Connection replica() throws SQLException {
        return connect(replicaPort);
    }

    void stopPrimary() {
        stop(primary, "primary");
    }

    void stopReplica() {
        if (replica != null) {
            replica.close();
        }
    }

    @Override
    public void close() {
        try {
            stopReplica();
            stopPrimary();
        } finally {
            dir.close();
        }
    }

    private void create() throws IOException, SQLException {
        if (asRoot) {
            dir.chown("postgres");
        }
        Path primaryData = dir.resolve("primary");
        server(List.of(
                bin.resolve("initdb").toString(),
                "-D",
                primaryData.toString(),
                "-U",
                "postgres",
                "--auth=trust",
                "--no-sync",
                "--encoding=UTF8",
                "--locale=C"));
        Files.writeString(primaryData.resolve("pg_hba.conf"), """
                local all all trust
                host replication postgres 127.0.0.1/32 trust
                host all postgres 127.0.0.1/32 trust
                host all all 127.0.0.1/32 scram-sha-256
                """);
        Files.writeString(
                primaryData.resolve("postgresql.conf"),
                """

                listen_addresses = '127.0.0.1'
                port = %d
                unix_socket_directories = '%s'
                fsync = off
                full_page_writes = off
                shared_buffers = 16MB
                max_connections = 30
                max_wal_senders = 4
                wal_level = replica
                hot_standby = on
                logging_collector = off
                """.formatted(primaryPort, dir.path()),
                StandardOpenOption.APPEND);
        primary = startServer("primary", primaryData, primaryPort);
        try (Connection connection = primary();
                Statement statement = connection.createStatement()) {
            statement.execute("CREATE TABLE ticks (id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now())");
            statement.execute("INSERT INTO ticks DEFAULT VALUES");
        }
        replica = StreamingReplica.start(this, "main", "127.0.0.1", replicaPort);
    }

    /** Creates role {@code name} with {@code password} (on the primary: it replicates). */
    public void createRole(String name, String password, boolean monitor) throws SQLException {
        try (Connection connection = primary();
                Statement statement = connection.createStatement()) {
            statement.execute("CREATE ROLE \"" + name + "\" LOGIN PASSWORD '" + password + "'");
            if (monitor) {
                statement.execute("GRANT pg_monitor TO \"" + name + "\"");
            }
        }
    }

    /** Waits until the replica has replayed everything the primary wrote so far. */
    void awaitReplayed(Duration timeout) throws SQLException {
        String lsn;
        try (Connection connection = primary();
                Statement statement = connection.createStatement();
                ResultSet row = statement.executeQuery("SELECT pg_current_wal_lsn()")) {
            row.next();
            lsn = row.getString(1);
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        try (Connection connection = replica();
                Statement statement = connection.createStatement()) {
            while (true) {
                try (ResultSet row =
                        statement.executeQuery("SELECT pg_last_wal_replay_lsn() >= '" + lsn + "'::pg_lsn")) {
                    row.next();
                    if (row.getBoolean(1)) {
                        return;
                    }
                }
                if (System.nanoTime() > deadline) {
                    fail("replica did not replay up to " + lsn + " within " + Durations.format(timeout));
                }
                ExternalProcess.pause(Duration.ofMillis(50));
            }
        }
    }

    private ExternalProcess startServer(String name, Path data, int port) {
        ExternalProcess process = ExternalProcess.start(
                "postgres " + name,
                dir.path(),
                dir.resolve(name + ".log"),
                command(List.of(bin.resolve("postgres").toString(), "-D", data.toString())));
        return process.awaitPort("127.0.0.1", port, START_TIMEOUT);
    }

    private void stop(ExternalProcess process, String name) {
        stopServer(bin, dir.path(), dir.resolve(name), process);
    }

    /**
     * Stops one server of this pair or a {@link StreamingReplica} ({@code pg_ctl stop -m fast}), then its
     * process whatever that did; nothing when it is not running.
     */
    static void stopServer(Path bin, Path workDir, Path data, ExternalProcess process) {
        if (process == null || !process.alive()) {
            return;
        }
        try {
            Programs.run(
                    workDir,
                    COMMAND_TIMEOUT,
                    asPostgres(List.of(
                            bin.resolve("pg_ctl").toString(),
                            "-D",
                            data.toString(),
                            "-m",
                            "fast",
                            "-w",
                            "-t",
                            "20",
                            "stop")));
        } finally {
            process.close();
        }
    }

    private void server(List<String> command) {
        Programs.run(dir.path(), COMMAND_TIMEOUT, command(command));
    }

    private List<String> command(List<String> command) {
        return asPostgres(command);
    }

    /** {@code command} run as the {@code postgres} user when the tests run as root (PostgreSQL refuses root). */
    static List<String> asPostgres(List<String> command) {
        if (!Programs.runningAsRoot()) {
            return command;
        }
        Programs.require("runuser", "util-linux");
        List<String> asPostgres = new ArrayList<>(List.of("runuser", "-u", "postgres", "--"));
        asPostgres.addAll(command);
        return asPostgres;
    }

    private static Connection connect(int port) throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", "postgres");
        properties.setProperty("connectTimeout", "5");
        properties.setProperty("socketTimeout", "10");
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres", properties);
    }
}
