package dev.popdns.e2e;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/** One run of the packaged jar as a command ({@code check}, {@code explain}, {@code diff}, ...), output captured. */
final class JarCommand {
    private JarCommand() {}

    /** Exit code, standard output and standard error of one run. */
    record Result(int exit, String out, String err) {}

    /** Runs {@code java -jar popdns.jar ARGS}; fails the test when it takes more than 60 s. */
    static Result run(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(ServerProcess.javaCommand());
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).start();
        // both pipes at once, so that a full stderr can never block the process
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
        String out = read(p.getInputStream());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "popdns " + String.join(" ", args) + " did not finish within 60 s");
        return new Result(p.exitValue(), out, err.get(10, TimeUnit.SECONDS));
    }

    /**
     * Runs {@code ./popdns ARGS}, the launcher at the root of the work tree, on the jar the build
     * running these tests made (no rebuild), with its environment changed by {@code environment};
     * fails the test when it takes more than 120 s. Standard error is merged into {@code out}.
     */
    static Result launcher(Consumer<Map<String, String>> environment, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(root().resolve("popdns").toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("POPDNS_SKIP_BUILD", "1");
        environment.accept(pb.environment());
        Process p = pb.start();
        String out = read(p.getInputStream());
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "./popdns " + String.join(" ", args) + " did not finish");
        return new Result(p.exitValue(), out, "");
    }

    /** The root of the work tree (the popdns.root property the build sets). */
    static Path root() {
        return Path.of(System.getProperty("popdns.root", "../.."));
    }

    private static String read(InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
