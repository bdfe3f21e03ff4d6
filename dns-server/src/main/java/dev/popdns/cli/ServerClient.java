package dev.popdns.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.popdns.config.ConfigException;
import dev.popdns.config.ConfigLoader;
import dev.popdns.config.ServerConfig;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The commands that talk to a running server ({@code explain}, {@code status}, {@code drain},
 * {@code undrain}) reach it through this: the server's HTTP address from {@code --server URL}, else
 * the {@code http} of {@code --config FILE}, else the default {@code 127.0.0.1:8053}; the admin
 * token is read from the config's {@code admin-token-file}, never taken from the command line (it
 * would show in {@code ps} and the shell history).
 */
final class ServerClient {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** No server answered at {@link #base}: refused, timed out or unreachable. */
    static final class Unreachable extends Exception {
        private static final long serialVersionUID = 1L;

        Unreachable(String message) {
            super(message);
        }
    }

    /** A response with a status other than 2xx; the message is the server's {@code error}. */
    static final class Refused extends Exception {
        private static final long serialVersionUID = 1L;
        final int status;

        Refused(int status, String message) {
            super(message);
            this.status = status;
        }
    }

    final String base;
    private final Path tokenFile;
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(TIMEOUT).build();

    private ServerClient(String base, Path tokenFile) {
        this.base = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
        this.tokenFile = tokenFile;
    }

    /**
     * The client for {@code --server} (may be null) and {@code --config} (may be null).
     *
     * @throws ConfigException when the config file is invalid
     */
    static ServerClient of(String server, Path config) throws ConfigException {
        ServerConfig settings =
                ConfigLoader.load(new ConfigLoader.Overrides(config, null, List.of(), null, null, true));
        String base = server;
        if (base == null) {
            InetSocketAddress address = settings.http();
            String host = address.getAddress().getHostAddress();
            base = "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + address.getPort();
        }
        return new ServerClient(base, settings.adminTokenFile());
    }

    JsonNode get(String pathAndQuery) throws Unreachable, Refused {
        return send(HttpRequest.newBuilder(uri(pathAndQuery)).GET(), false);
    }

    JsonNode post(String path, String body) throws Unreachable, Refused {
        return send(
                HttpRequest.newBuilder(uri(path))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body)),
                true);
    }

    JsonNode delete(String pathAndQuery) throws Unreachable, Refused {
        return send(HttpRequest.newBuilder(uri(pathAndQuery)).DELETE(), true);
    }

    private URI uri(String pathAndQuery) throws Unreachable {
        try {
            return URI.create(base + pathAndQuery);
        } catch (IllegalArgumentException e) {
            throw new Unreachable("--server " + base + ": not a URL (expected: http://ADDR:PORT)");
        }
    }

    private JsonNode send(HttpRequest.Builder request, boolean admin) throws Unreachable, Refused {
        if (admin) {
            request.header("Authorization", "Bearer " + token());
        }
        HttpResponse<String> response;
        try {
            response = http.send(
                    request.timeout(TIMEOUT).build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new Unreachable(base + ": " + describe(e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Unreachable(base + ": interrupted");
        }
        JsonNode body;
        try {
            body = JSON.readTree(response.body());
        } catch (IOException e) {
            throw new Refused(response.statusCode(), "HTTP " + response.statusCode() + ": not JSON");
        }
        if (response.statusCode() / 100 != 2) {
            throw new Refused(
                    response.statusCode(),
                    "HTTP " + response.statusCode() + ": "
                            + body.path("error").asText(response.body().strip()));
        }
        return body;
    }

    private String token() throws Refused {
        if (tokenFile == null) {
            throw new Refused(0, "no admin-token-file in the config (give --config FILE with admin-token-file)");
        }
        try {
            return Files.readString(tokenFile).strip();
        } catch (IOException e) {
            throw new Refused(0, "admin-token-file " + tokenFile + ": cannot read (" + e.getMessage() + ")");
        }
    }

    private static String describe(IOException e) {
        String type = e.getClass().getSimpleName();
        if (type.equals("ConnectException")) {
            return "connection refused (is popdns serve running there?)";
        }
        if (type.contains("Timeout")) {
            return "no answer within " + TIMEOUT.toSeconds() + " s";
        }
        return e.getMessage() == null ? type : e.getMessage();
    }
}
