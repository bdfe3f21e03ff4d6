package dev.popdns.e2e.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * One browser tab driven over a flat DevTools session: navigate, evaluate JavaScript, wait for
 * a condition in the DOM (bounded), set the viewport, take screenshots. Runtime exceptions and
 * console errors of the page are collected so a test can require there were none.
 */
public final class BrowserPage {
    private final DevToolsConnection devTools;
    private final String session;

    BrowserPage(DevToolsConnection devTools, String session) throws IOException {
        this.devTools = devTools;
        this.session = session;
        send("Page.enable", null);
        send("Runtime.enable", null);
    }

    private JsonNode send(String method, ObjectNode params) throws IOException {
        return devTools.send(session, method, params);
    }

    private static ObjectNode params() {
        return DevToolsConnection.JSON.createObjectNode();
    }

    /** Loads {@code url} and waits (bounded) until the document has finished loading. */
    public void navigate(String url, Duration timeout) throws IOException, InterruptedException {
        JsonNode result = send("Page.navigate", params().put("url", url));
        if (result.hasNonNull("errorText")) {
            throw new IOException(
                    "cannot load " + url + ": " + result.get("errorText").asText());
        }
        awaitTrue(
                "document.readyState === 'complete' && location.href === "
                        + DevToolsConnection.JSON.writeValueAsString(url),
                timeout);
    }

    /** Evaluates {@code expression} in the page (awaiting a promise) and returns its value as JSON. */
    public JsonNode evaluate(String expression) throws IOException {
        JsonNode result = send(
                "Runtime.evaluate",
                params().put("expression", expression)
                        .put("returnByValue", true)
                        .put("awaitPromise", true));
        if (result.has("exceptionDetails")) {
            throw new IOException("page threw evaluating " + expression + ": " + result.get("exceptionDetails"));
        }
        return result.path("result").path("value");
    }

    /** The text content of the first element matching a CSS selector, or null when there is none. */
    public String text(String selector) throws IOException {
        JsonNode value = evaluate(
                "(() => { const e = document.querySelector(" + DevToolsConnection.JSON.writeValueAsString(selector)
                        + "); return e === null ? null : e.textContent; })()");
        return value.isNull() || value.isMissingNode() ? null : value.asText();
    }

    /**
     * Polls {@code expression} every 100 ms until it is {@code true}; returns false when it is not
     * within {@code timeout}.
     */
    public boolean awaitTrue(String expression, Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            JsonNode value;
            try {
                value = evaluate(expression);
            } catch (IOException e) {
                value = null; // e.g. evaluated mid-navigation, or before the element exists
            }
            if (value != null && value.isBoolean() && value.asBoolean()) {
                return true;
            }
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(100);
        }
    }

    /** Emulates a viewport of {@code width} x {@code height} CSS pixels ({@code mobile}: a phone's). */
    public void viewport(int width, int height, boolean mobile) throws IOException {
        send(
                "Emulation.setDeviceMetricsOverride",
                params().put("width", width)
                        .put("height", height)
                        .put("deviceScaleFactor", 1)
                        .put("mobile", mobile));
    }

    /** Emulates the user's colour scheme: {@code "dark"}, {@code "light"}, or {@code ""} for the browser's own. */
    public void colorScheme(String scheme) throws IOException {
        ObjectNode params = params();
        params.putArray("features")
                .addObject()
                .put("name", "prefers-color-scheme")
                .put("value", scheme);
        send("Emulation.setEmulatedMedia", params);
    }

    /** Saves a PNG of the whole page (not only the viewport) to {@code file}; returns its size in bytes. */
    public long screenshot(Path file) throws IOException {
        // the capture lays the page out without a scrollbar: as wide as the window, as high as the document
        JsonNode size = evaluate(
                "[Math.max(window.innerWidth, document.documentElement.scrollWidth), document.documentElement.scrollHeight]");
        ObjectNode request = params().put("format", "png").put("captureBeyondViewport", true);
        request.putObject("clip")
                .put("x", 0)
                .put("y", 0)
                .put("width", size.get(0).asInt())
                .put("height", size.get(1).asInt())
                .put("scale", 1);
        JsonNode result = send("Page.captureScreenshot", request);
        byte[] png = Base64.getDecoder().decode(result.path("data").asText());
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.write(file, png);
        return png.length;
    }

    /** Saves a PNG of the element {@code selector} (its bounding box) to {@code file}; returns its size in bytes. */
    public long screenshot(Path file, String selector) throws IOException {
        JsonNode box = evaluate(
                "(() => { const r = document.querySelector(" + new ObjectMapper().writeValueAsString(selector)
                        + ").getBoundingClientRect(); return [r.left + window.scrollX, r.top + window.scrollY, r.width, r.height]; })()");
        ObjectNode request = params().put("format", "png").put("captureBeyondViewport", true);
        request.putObject("clip")
                .put("x", box.get(0).asDouble())
                .put("y", box.get(1).asDouble())
                .put("width", box.get(2).asDouble())
                .put("height", box.get(3).asDouble())
                .put("scale", 1);
        JsonNode result = send("Page.captureScreenshot", request);
        byte[] png = Base64.getDecoder().decode(result.path("data").asText());
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.write(file, png);
        return png.length;
    }

    /** Uncaught exceptions and console.error calls of this page so far, as text. */
    public List<String> errors() {
        List<String> errors = new ArrayList<>();
        for (DevToolsConnection.Event e : devTools.events("Runtime.exceptionThrown")) {
            if (session.equals(e.sessionId())) {
                errors.add("exception: " + e.params().path("exceptionDetails"));
            }
        }
        for (DevToolsConnection.Event e : devTools.events("Runtime.consoleAPICalled")) {
            if (session.equals(e.sessionId())
                    && e.params().path("type").asText().equals("error")) {
                errors.add("console.error: " + e.params().path("args"));
            }
        }
        return errors;
    }
}
