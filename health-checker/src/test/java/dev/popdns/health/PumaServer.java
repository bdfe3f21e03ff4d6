package dev.popdns.health;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A real Puma serving a tiny Rack app whose {@code /health} answers {@code OK}, bound to one
 * address (a PoP's loopback address), its files and log in a directory of the test's. Used here
 * and by the end-to-end tests (through this module's test-jar).
 */
public final class PumaServer implements AutoCloseable {
    private final ExternalProcess process;
    private final String address;
    private final int port;

    private PumaServer(ExternalProcess process, String address, int port) {
        this.process = process;
        this.address = address;
        this.port = port;
    }

    /** Starts Puma on {@code address:port} without waiting for it (Ruby boots in about a second). */
    public static PumaServer start(Path dir, String address, int port) throws IOException {
        Programs.require("ruby", "ruby");
        Path puma = Programs.require("puma", "puma");
        Files.writeString(dir.resolve("config.ru"), """
                run lambda { |env|
                  if env['PATH_INFO'] == '/health'
                    [200, { 'content-type' => 'text/plain' }, ['OK']]
                  else
                    [404, { 'content-type' => 'text/plain' }, ['not found']]
                  end
                }
                """);
        ExternalProcess process = ExternalProcess.start(
                "puma on " + address,
                dir,
                dir.resolve("puma.log"),
                List.of(
                        puma.toString(),
                        "--bind",
                        "tcp://" + address + ":" + port,
                        "--threads",
                        "1:2",
                        "--environment",
                        "none",
                        "config.ru"));
        return new PumaServer(process, address, port);
    }

    /** Waits until Puma accepts connections; fails with its log when it exits or after {@code timeout}. */
    public void awaitListening(Duration timeout) {
        process.awaitPort(address, port, timeout);
    }

    /** Kills Puma at once (SIGKILL), as a crash would; returns when it is gone. */
    public void kill() {
        process.kill();
    }

    public boolean alive() {
        return process.alive();
    }

    @Override
    public void close() {
        process.close();
    }
}
