package dev.popdns.e2e.web;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * What the server's http checks probe in the end-to-end tests: one tiny HTTP server per PoP,
 * each on its own loopback address (127.0.0.2, 127.0.0.3, ...: all of 127/8 is on {@code lo})
 * and all on the same port, so one check URL {@code http://{address}:PORT/health} fits every
 * PoP. Each answers "OK" with 200 until told to answer otherwise.
 */
public final class ProbeTargets implements AutoCloseable {
    /** How one target answers every request. */
    public record Answer(int status, String location, String body) {
        public static final Answer OK = new Answer(200, null, "OK\n");

        /** {@code status} with a short body that is not "OK". */
        public static Answer status(int status) {
            return new Answer(status, null, "unavailable\n");
        }

        /** A redirect to {@code location}: any text, a probe error quotes it. */
        public static Answer redirect(String location) {
            return new Answer(302, location, "");
        }
    }

    private final int port;
    private final Map<String, Target> targets = new LinkedHashMap<>();
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();

    private ProbeTargets(int port) {
        this.port = port;
    }

    /** Binds a target on every address, all on one port that is free on each. */
    public static ProbeTargets start(List<String> addresses) throws IOException {
        IOException last = null;
        for (int attempt = 0; attempt < 20; attempt++) {
            ProbeTargets group = null;
            try {
                HttpServer first = HttpServer.create(new InetSocketAddress(addresses.get(0), 0), 16);
                group = new ProbeTargets(first.getAddress().getPort());
                group.add(addresses.get(0), first);
                for (String address : addresses.subList(1, addresses.size())) {
                    group.add(address, HttpServer.create(new InetSocketAddress(address, group.port), 16));
                }
                group.warmUp();
                return group;
            } catch (IOException taken) {
                last = taken;
                if (group != null) {
                    group.close();
                }
            }
        }
        throw new IOException("no port free on every one of " + addresses, last);
    }

    private void add(String address, HttpServer server) {
        Target target = new Target();
        server.createContext("/", target::handle);
        server.setExecutor(executor);
        server.start();
        target.server = server;
        targets.put(address, target);
    }

    /**
     * One request to each target, so the server's first probe round does not pay for class
     * loading and JIT here (on a busy machine that alone can outlast a short probe timeout).
     */
    private void warmUp() throws IOException {
        try (HttpClient client =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
            for (String address : targets.keySet()) {
                client.send(
                        HttpRequest.newBuilder(URI.create("http://" + address + ":" + port + "/warm-up"))
                                .timeout(Duration.ofSeconds(5))
                                .build(),
                        HttpResponse.BodyHandlers.discarding());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while warming up the probe targets", e);
        }
    }

    public int port() {
        return port;
    }

    /** From now on the target at {@code address} answers every request with {@code answer}. */
    public void answer(String address, Answer answer) {
        Target target = targets.get(address);
        if (target == null) {
            throw new IllegalArgumentException("no target on " + address + " (have " + targets.keySet() + ")");
        }
        target.answer = answer;
    }

    @Override
    public void close() {
        for (Target t : targets.values()) {
            t.server.stop(0);
        }
        executor.shutdownNow();
    }

    private static final class Target {
        volatile Answer answer = Answer.OK;
        HttpServer server;

        void handle(HttpExchange exchange) throws IOException {
            Answer a = answer;
            byte[] body = a.body().getBytes(StandardCharsets.UTF_8);
            exchange.getRequestBody().readAllBytes();
            if (a.location() != null) {
                exchange.getResponseHeaders().set("Location", a.location());
            }
            exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
            exchange.sendResponseHeaders(a.status(), body.length == 0 ? -1 : body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }
}
