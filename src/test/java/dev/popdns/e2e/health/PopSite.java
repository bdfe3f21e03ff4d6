package dev.popdns.e2e.health;

import dev.popdns.health.NginxServer;
import dev.popdns.health.Ports;
import dev.popdns.health.PostgresPair;
import dev.popdns.health.PumaServer;
import dev.popdns.health.StreamingReplica;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;

/**
 * One PoP on one loopback address, as the probes see it: a real nginx, a real Puma and a
 * streaming replica of a shared primary, each on the same port at every PoP. The test breaks and
 * mends the pieces one by one; {@link #close()} stops whatever is running.
 */
public final class PopSite implements AutoCloseable {
    private static final Duration PUMA_START = Duration.ofSeconds(20);

    private final String address;
    private final Path dir;
    private final int nginxPort;
    // NginxServer waits for a port on 127.0.0.1; nginx binds this one and the PoP's in one go.
    private final int nginxReadyPort = Ports.free();
    private NginxServer nginx;
    private PumaServer puma;
    private StreamingReplica replica;

    private PopSite(String address, Path dir, int nginxPort) {
        this.address = address;
        this.dir = dir;
        this.nginxPort = nginxPort;
    }

    /**
     * Starts the PoP's nginx on {@code address:nginxPort}, Puma on {@code address:pumaPort} and a
     * replica of {@code postgres} on {@code address:postgresPort}; returns when all three accept
     * connections and the replica streams. On failure, stops what it started.
     */
    public static PopSite start(
            String id, String address, Path dir, PostgresPair postgres, int nginxPort, int pumaPort, int postgresPort)
            throws IOException, SQLException {
        PopSite site = new PopSite(address, dir, nginxPort);
        try {
            site.puma = PumaServer.start(Files.createDirectories(dir.resolve("puma")), address, pumaPort);
            site.replica = StreamingReplica.start(postgres, id, address, postgresPort); // while Puma boots
            site.startNginx();
            site.puma.awaitListening(PUMA_START);
            return site;
        } catch (IOException | SQLException | RuntimeException | AssertionError e) {
            site.close();
            throw e;
        }
    }

    public String address() {
        return address;
    }

    /** Starts nginx (again); returns once it listens. */
    public void startNginx() throws IOException {
        if (nginx != null) {
            throw new IllegalStateException("nginx on " + address + " is running already");
        }
        nginx = NginxServer.start(
                Files.createDirectories(dir.resolve("nginx")),
                """
                    server {
                        listen %s:%d;
                        listen 127.0.0.1:%d;
                        location / { return 200 "nginx on %1$s\\n"; }
                    }
                """.formatted(address, nginxPort, nginxReadyPort),
                nginxReadyPort);
    }

    /** Stops nginx (SIGTERM); returns once it is gone. */
    public void stopNginx() {
        NginxServer running = nginx;
        nginx = null;
        if (running != null) {
            running.close();
        }
    }

    /** Kills Puma (SIGKILL), as a crash would; returns once it is gone. */
    public void killPuma() {
        puma.kill();
    }

    public StreamingReplica replica() {
        return replica;
    }

    @Override
    public void close() {
        try {
            stopNginx();
        } finally {
            try {
                if (puma != null) {
                    puma.close();
                }
            } finally {
                if (replica != null) {
                    replica.close();
                }
            }
        }
    }
}
