package dev.popdns.health;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A server the tests start as a child process (nginx, Puma, PostgreSQL), its output in a log
 * file. {@link #close()} stops it and every descendant, forcibly when it does not stop within
 * 5s, so a failing test leaves nothing running.
 */
public final class ExternalProcess implements AutoCloseable {
    private final String name;
    private final Process process;
    private final Path log;

    private ExternalProcess(String name, Process process, Path log) {
        this.name = name;
        this.process = process;
        this.log = log;
    }

    public static ExternalProcess start(String name, Path dir, Path log, List<String> command) {
        try {
            Process process = new ProcessBuilder(command)
                    .directory(dir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .start();
            process.getOutputStream().close();
            return new ExternalProcess(name, process, log);
        } catch (IOException e) {
            return fail(name + ": cannot start " + String.join(" ", command) + ": " + e);
        }
    }

    /** Waits until {@code host:port} accepts connections; fails when the process exits or after {@code timeout}. */
    public ExternalProcess awaitPort(String host, int port, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                fail(name + " exited with " + process.exitValue() + " before listening on " + port + ":\n" + logText());
            }
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(host, port), 200);
                return this;
            } catch (IOException e) {
                pause(Duration.ofMillis(50));
            }
        }
        return fail(name + " not listening on " + host + ":" + port + " after " + Durations.format(timeout) + ":\n"
                + logText());
    }

    /** Kills the process and its descendants at once (SIGKILL), as a crash would. */
    public void kill() {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        awaitExit(Duration.ofSeconds(5));
    }

    public boolean alive() {
        return process.isAlive();
    }

    public String logText() {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    /** Stops gracefully (SIGTERM), then forcibly after 5s. */
    @Override
    public void close() {
        if (!process.isAlive()) {
            return;
        }
        List<ProcessHandle> descendants = process.descendants().toList();
        process.destroy();
        if (!awaitExit(Duration.ofSeconds(5))) {
            descendants.forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            awaitExit(Duration.ofSeconds(5));
        }
        for (ProcessHandle descendant : descendants) {
            if (descendant.isAlive()) {
                descendant.destroyForcibly();
            }
        }
    }

    private boolean awaitExit(Duration timeout) {
        try {
            return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    public static void pause(Duration duration) {
        try {
            Thread.sleep(duration);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
