package dev.popdns.e2e.web;

import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Headless Chromium (Debian package {@code chromium}) started for one test class with a fresh
 * profile and DevTools on a port of its own choosing (read from {@code DevToolsActivePort}), no
 * network of its own (no sync, updates, QUIC or background fetches). {@link #close()} ends the
 * browser and every process it started, then deletes the profile.
 */
public final class Chromium implements AutoCloseable {
    /** Where Debian's {@code chromium} package puts the browser. */
    public static final Path BINARY = Path.of("/usr/bin/chromium");

    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);

    private final Process process;
    private final Path profile;
    private final Path log;
    private final DevToolsConnection devTools;

    private Chromium(Process process, Path profile, Path log, DevToolsConnection devTools) {
        this.process = process;
        this.profile = profile;
        this.log = log;
        this.devTools = devTools;
    }

    /**
     * Fails (never skips) when the browser is not installed: the status page is tested in a real
     * browser or not at all.
     */
    public static void requireInstalled() {
        if (!Files.isExecutable(BINARY)) {
            fail(BINARY + " is missing: install the Debian packages chromium and chromium-driver "
                    + "(apt-get install chromium chromium-driver); the status page test runs in a real browser");
        }
    }

    /** Starts the browser with a profile under {@code workDir} and connects to it. */
    public static Chromium start(Path workDir) throws IOException {
        requireInstalled();
        Path profile = Files.createDirectories(workDir.resolve("chromium-profile"));
        Path log = workDir.resolve("chromium.log");
        List<String> command = List.of(
                BINARY.toString(),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
                "--disable-dev-shm-usage",
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
                "--user-data-dir=" + profile,
                "about:blank");
        Process process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        Path portFile = profile.resolve("DevToolsActivePort");
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        try {
            while (true) {
                if (Files.isRegularFile(portFile)) {
                    List<String> lines = Files.readAllLines(portFile);
                    if (lines.size() >= 2 && !lines.get(1).isBlank()) {
                        URI endpoint = URI.create("ws://127.0.0.1:"
                                + lines.get(0).strip() + lines.get(1).strip());
                        return new Chromium(process, profile, log, DevToolsConnection.open(endpoint));
                    }
                }
                if (!process.isAlive()) {
                    throw new IOException("chromium exited with " + process.exitValue()
                            + " before DevTools was up; its log:\n" + Files.readString(log));
                }
                if (System.nanoTime() > deadline) {
                    throw new IOException("chromium wrote no " + portFile + " within " + START_TIMEOUT + "; its log:\n"
                            + Files.readString(log));
                }
                Thread.sleep(50);
            }
        } catch (IOException | InterruptedException | RuntimeException e) {
            stop(process, process.descendants().toList(), Duration.ZERO);
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw e instanceof IOException io ? io : new IOException("chromium did not start", e);
        }
    }

    /** The browser's version string, e.g. "Chrome/131.0.6778.85". */
    public String version() throws IOException {
        return devTools.send(null, "Browser.getVersion", null).path("product").asText();
    }

    /** A new tab on {@code about:blank}, attached in flat mode. */
    public BrowserPage newPage() throws IOException {
        JsonNode target = devTools.send(
                null,
                "Target.createTarget",
                DevToolsConnection.JSON.createObjectNode().put("url", "about:blank"));
        JsonNode attached = devTools.send(
                null,
                "Target.attachToTarget",
                DevToolsConnection.JSON
                        .createObjectNode()
                        .put("targetId", target.path("targetId").asText())
                        .put("flatten", true));
        return new BrowserPage(devTools, attached.path("sessionId").asText());
    }

    /** What the browser printed (for failure messages). */
    public String log() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    @Override
    public void close() {
        List<ProcessHandle> helpers = process.descendants().toList(); // before they are orphaned
        try {
            devTools.send(null, "Browser.close", null);
        } catch (IOException e) {
            // it may be gone already; the process handles below make sure
        }
        devTools.close();
        stop(process, helpers, Duration.ofSeconds(3));
        try (Stream<Path> files = Files.walk(profile)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a temp directory: JUnit's @TempDir cleanup gets another go
        }
    }

    /**
     * Waits up to {@code grace} for the browser to exit, then ends it and the helper processes it
     * started (renderer, zygote, utility), each by its handle.
     */
    private static void stop(Process process, List<ProcessHandle> helpers, Duration grace) {
        try {
            if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroy();
                if (!process.waitFor(5, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        for (ProcessHandle helper : helpers) {
            if (helper.isAlive()) {
                helper.destroyForcibly();
            }
        }
    }
}
