package dev.popdns.health;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Finds the real programs the tests start and runs one-shot commands. A missing program fails
 * the test with the Debian package to install: these tests are never skipped.
 */
public final class Programs {
    private Programs() {}

    /** The executable {@code name} on PATH or in /usr/sbin, /sbin; fails naming {@code debianPackage}. */
    public static Path require(String name, String debianPackage) {
        List<String> dirs =
                new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)));
        dirs.add("/usr/sbin");
        dirs.add("/sbin");
        for (String dir : dirs) {
            Path candidate = Path.of(dir.isEmpty() ? "." : dir, name);
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        return fail(name + " not found on PATH or in /usr/sbin: install the Debian package " + debianPackage
                + " (apt-get install " + debianPackage + ")");
    }

    /** The bin directory of the newest PostgreSQL server under /usr/lib/postgresql. */
    public static Path postgresBin() {
        Path root = Path.of("/usr/lib/postgresql");
        Path best = null;
        int bestVersion = -1;
        if (Files.isDirectory(root)) {
            try (var versions = Files.list(root)) {
                for (Path version : (Iterable<Path>) versions::iterator) {
                    String name = version.getFileName().toString();
                    if (name.matches("[0-9]+")
                            && Files.isExecutable(version.resolve("bin/initdb"))
                            && Integer.parseInt(name) > bestVersion) {
                        best = version.resolve("bin");
                        bestVersion = Integer.parseInt(name);
                    }
                }
            } catch (IOException e) {
                return fail("cannot list " + root + ": " + e);
            }
        }
        if (best == null) {
            return fail("no PostgreSQL server in /usr/lib/postgresql/*/bin: install the Debian package postgresql"
                    + " (apt-get install postgresql)");
        }
        return best;
    }

    public static boolean runningAsRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    /** Runs {@code command} in {@code dir}, failing the test with its output unless it exits 0 in time. */
    public static String run(Path dir, Duration timeout, List<String> command) {
        try {
            Path output = Files.createTempFile("popdns-cmd-", ".log");
            try {
                Process process = new ProcessBuilder(command)
                        .directory(dir.toFile())
                        .redirectErrorStream(true)
                        .redirectOutput(output.toFile())
                        .start();
                process.getOutputStream().close();
                if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    process.descendants().forEach(ProcessHandle::destroyForcibly);
                    process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                    fail(String.join(" ", command) + ": still running after " + Durations.format(timeout) + "\n"
                            + Files.readString(output, StandardCharsets.UTF_8));
                }
                String text = Files.readString(output, StandardCharsets.UTF_8);
                if (process.exitValue() != 0) {
                    fail(String.join(" ", command) + ": exit " + process.exitValue() + "\n" + text);
                }
                return text;
            } finally {
                Files.deleteIfExists(output);
            }
        } catch (IOException e) {
            return fail(String.join(" ", command) + ": " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return fail(String.join(" ", command) + ": interrupted");
        }
    }
}
