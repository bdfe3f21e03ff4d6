package dev.popdns.e2e.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One Chrome DevTools Protocol connection (the browser endpoint) over java.net.http.WebSocket:
 * JSON commands with ids, answered by id; events are kept in arrival order for the tests to
 * inspect. Page sessions use flat mode: a command carries the {@code sessionId} it is for.
 * Every call is bounded by {@link #COMMAND_TIMEOUT}.
 */
public final class DevToolsConnection implements AutoCloseable {
    static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(15);
    static final ObjectMapper JSON = new ObjectMapper();

    /** A CDP event: method, params and the session it came from (null for the browser). */
    public record Event(String method, JsonNode params, String sessionId) {}

    private final WebSocket socket;
    private final AtomicInteger ids = new AtomicInteger();
    private final Map<Integer, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
    private final List<Event> events = new ArrayList<>();

    private DevToolsConnection(URI endpoint) throws IOException {
        try {
            socket = HttpClient.newHttpClient()
                    .newWebSocketBuilder()
                    .connectTimeout(COMMAND_TIMEOUT)
                    .buildAsync(endpoint, new Listener())
                    .get(COMMAND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new IOException("cannot open the DevTools WebSocket " + endpoint + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while connecting to " + endpoint, e);
        }
    }

    static DevToolsConnection open(URI endpoint) throws IOException {
        return new DevToolsConnection(endpoint);
    }

    /** Sends {@code method} with {@code params} (may be null) to {@code sessionId} (null: the browser); returns its result. */
    public JsonNode send(String sessionId, String method, ObjectNode params) throws IOException {
        int id = ids.incrementAndGet();
        ObjectNode message = JSON.createObjectNode().put("id", id).put("method", method);
        message.set("params", params == null ? JSON.createObjectNode() : params);
        if (sessionId != null) {
            message.put("sessionId", sessionId);
        }
        CompletableFuture<JsonNode> answer = new CompletableFuture<>();
        pending.put(id, answer);
        try {
            socket.sendText(message.toString(), true).get(COMMAND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            JsonNode reply = answer.get(COMMAND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            if (reply.has("error")) {
                throw new IOException(method + ": " + reply.get("error"));
            }
            return reply.path("result");
        } catch (ExecutionException | TimeoutException e) {
            throw new IOException(method + ": no answer within " + COMMAND_TIMEOUT + " (" + e + ")", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(method + ": interrupted", e);
        } finally {
            pending.remove(id);
        }
    }

    /** Every event received so far whose method is {@code method}. */
    public List<Event> events(String method) {
        List<Event> matching = new ArrayList<>();
        synchronized (events) {
            for (Event e : events) {
                if (e.method().equals(method)) {
                    matching.add(e);
                }
            }
        }
        return matching;
    }

    @Override
    public void close() {
        socket.abort();
        for (CompletableFuture<JsonNode> f : pending.values()) {
            f.completeExceptionally(new IOException("connection closed"));
        }
    }

    /** Joins text frames into messages and routes each to its waiting command or to the event list. */
    private final class Listener implements WebSocket.Listener {
        private final StringBuilder partial = new StringBuilder();

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                String text = partial.toString();
                partial.setLength(0);
                dispatch(text);
            }
            webSocket.request(1);
            return null;
        }

        private void dispatch(String text) {
            JsonNode message;
            try {
                message = JSON.readTree(text);
            } catch (IOException e) {
                return; // not JSON: nothing waits for it
            }
            if (message.has("id")) {
                CompletableFuture<JsonNode> waiting =
                        pending.get(message.get("id").asInt());
                if (waiting != null) {
                    waiting.complete(message);
                }
            } else if (message.has("method")) {
                synchronized (events) {
                    events.add(new Event(
                            message.get("method").asText(),
                            message.path("params"),
                            message.hasNonNull("sessionId")
                                    ? message.get("sessionId").asText()
                                    : null));
                }
            }
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            for (CompletableFuture<JsonNode> f : pending.values()) {
                f.completeExceptionally(new IOException("DevTools connection closed: " + statusCode + " " + reason));
            }
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            for (CompletableFuture<JsonNode> f : pending.values()) {
                f.completeExceptionally(error);
            }
        }
    }
}
