package dev.popdns.e2e;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * The packaged server (dns-server/target/popdns.jar) run as a separate process on free loopback
 * ports, as an operator would run it. Collects its log lines; stops it with SIGTERM.
 */
final class ServerProcess implements AutoCloseable {
    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final ObjectMapper JSON = new ObjectMapper();

    private static final Duration START_TIMEOUT = Duration.ofSeconds(40);

    final int dnsPort;
    final int httpPort;
    private final Process process;
    private final List<String> log = new ArrayList<>();
    private final Thread reader;

    private ServerProcess(int dnsPort, int httpPort, Process process) {
        this.dnsPort = dnsPort;
        this.httpPort = httpPort;
        this.process = process;
        this.reader = new Thread(
                () -> {
                    try (BufferedReader r = new BufferedReader(
                            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                        String line;
                        while ((line = r.readLine()) != null) {
                            synchronized (log) {
                                log.add(line);
                                log.notifyAll();
                            }
                        }
                    } catch (IOException e) {
                        // the process ended
                    }
                },
                "server-log");
        reader.setDaemon(true);
        reader.start();
    }

    /** Starts the server on the given zones with extra {@code serve} arguments; waits for "ready". */
    static ServerProcess start(Path zones, String... extra) throws IOException {
        return start(List.of(), java.util.Map.of(), zones, extra);
    }

    /**
     * Starts the server with extra JVM options (after the defaults, so a later {@code -Xmx} wins)
     * and extra environment variables.
     */
    static ServerProcess start(List<String> jvmOptions, java.util.Map<String, String> env, Path zones, String... extra)
            throws IOException {
        int dns = freePort();
        int http = freePort();
        List<String> cmd = new ArrayList<>(javaCommand());
        cmd.addAll(cmd.size() - 2, jvmOptions); // before -jar popdns.jar
        cmd.addAll(List.of(
                "serve",
                "--zones",
                zones.toString(),
                "--listen",
                "127.0.0.1:" + dns,
                "--listen",
                "[::1]:" + dns,
                "--http",
                "127.0.0.1:" + http));
        cmd.addAll(List.of(extra));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        ServerProcess server = new ServerProcess(dns, http, p);
        if (!server.awaitLog(line -> line.endsWith(" ready"), START_TIMEOUT)) {
            String output = server.logText();
            server.close();
            fail("server did not report ready within " + START_TIMEOUT + "; output:\n" + output);
        }
        return server;
    }

    /** {@code java [flags] -jar popdns.jar}, with the JDK that runs the tests. */
    static List<String> javaCommand() {
        Path jar = Path.of(System.getProperty("popdns.jar", "../../dns-server/target/popdns.jar"));
        assertTrue(Files.isRegularFile(jar), "packaged server missing: " + jar + " (mvn package builds it)");
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        int feature = Runtime.version().feature();
        if (feature >= 22) {
            cmd.add("--enable-native-access=ALL-UNNAMED");
        }
        if (feature >= 24) {
            cmd.add("--sun-misc-unsafe-memory-access=allow");
        }
        cmd.add("-Xmx256m");
        cmd.add("-jar");
        cmd.add(jar.toString());
        return cmd;
    }

    /** A port free for both UDP and TCP on 127.0.0.1 and ::1 at the time of asking. */
    static int freePort() throws IOException {
        for (int attempt = 0; attempt < 50; attempt++) {
            try (ServerSocket tcp = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                int port = tcp.getLocalPort();
                try (DatagramSocket udp4 = new DatagramSocket(new InetSocketAddress("127.0.0.1", port));
                        DatagramSocket udp6 = new DatagramSocket(new InetSocketAddress("::1", port));
                        ServerSocket tcp6 = new ServerSocket(port, 1, InetAddress.getByName("::1"))) {
                    return port;
                } catch (IOException taken) {
                    // try another
                }
            }
        }
        throw new IOException("no free loopback port found");
    }

    InetSocketAddress v4() {
        return new InetSocketAddress("127.0.0.1", dnsPort);
    }

    InetSocketAddress v6() {
        return new InetSocketAddress("::1", dnsPort);
    }

    long pid() {
        return process.pid();
    }

    /** Sends SIGHUP. */
    void hangUp() throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-HUP", Long.toString(process.pid())).start();
        assertTrue(kill.waitFor(5, TimeUnit.SECONDS) && kill.exitValue() == 0, "kill -HUP failed");
    }

    /** Waits until a log line (already written or new) matches. */
    boolean awaitLog(Predicate<String> match, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (log) {
            int seen = 0;
            while (true) {
                for (; seen < log.size(); seen++) {
                    if (match.test(log.get(seen))) {
                        return true;
                    }
                }
                long left = deadline - System.nanoTime();
                if (left <= 0 || !process.isAlive() && seen == log.size()) {
                    return false;
                }
                try {
                    log.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
        }
    }

    /** Number of log lines so far (to wait only for lines after a point). */
    int logSize() {
        synchronized (log) {
            return log.size();
        }
    }

    /** Waits for a matching line written after line {@code from}. */
    boolean awaitLogAfter(int from, Predicate<String> match, Duration timeout) {
        int[] index = {0};
        return awaitLog(line -> index[0]++ >= from && match.test(line), timeout);
    }

    /** The Prometheus text of {@code GET /metrics}. */
    String metrics() throws IOException, InterruptedException {
        return get("/metrics");
    }

    /** The document of {@code GET /api/v1/status}. */
    JsonNode status() throws IOException, InterruptedException {
        return JSON.readTree(get("/api/v1/status"));
    }

    /** Polls {@code GET /api/v1/status} every 100 ms until {@code condition} holds; fails after {@code within}. */
    JsonNode awaitStatus(Duration within, Predicate<JsonNode> condition) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        JsonNode status;
        do {
            status = status();
            if (condition.test(status)) {
                return status;
            }
            Thread.sleep(100);
        } while (System.nanoTime() < deadline);
        throw new AssertionError(
                "status did not change as expected within " + within + ":\n" + status.toPrettyString());
    }

    /** The PoP {@code id} of a status document. */
    static JsonNode pop(JsonNode status, String id) {
        for (JsonNode p : status.path("pops")) {
            if (p.path("id").asText().equals(id)) {
                return p;
            }
        }
        throw new AssertionError("no PoP " + id + " in " + status);
    }

    private String get(String path) throws IOException, InterruptedException {
        HttpResponse<String> r = HTTP.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path))
                        .timeout(Duration.ofSeconds(10))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertTrue(r.statusCode() == 200, "GET " + path + ": " + r.statusCode());
        return r.body();
    }

    /**
     * The sum of the samples of {@code metric} whose labels contain every one of {@code labels}
     * (such as {@code rcode="SERVFAIL"}); 0 when there are none.
     */
    static double sum(String metrics, String metric, String... labels) {
        double total = 0;
        for (String line : metrics.split("\n")) {
            if (!line.startsWith(metric + "{") && !line.startsWith(metric + " ")) {
                continue;
            }
            boolean all = true;
            for (String label : labels) {
                all &= line.contains(label);
            }
            if (all) {
                total += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return total;
    }

    String logText() {
        synchronized (log) {
            return String.join("\n", log);
        }
    }

    boolean alive() {
        return process.isAlive();
    }

    /** SIGTERM, then waits; returns the exit code. */
    int stop() throws InterruptedException {
        // through the handle: Process.destroy() would also close our end of its output pipe
        process.toHandle().destroy();
        if (!process.waitFor(15, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            fail("server did not stop within 15 s of SIGTERM");
        }
        reader.join(5000); // the last lines
        return process.exitValue();
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroy();
            try {
                if (!process.waitFor(15, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }
}
