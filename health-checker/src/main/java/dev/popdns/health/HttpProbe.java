package dev.popdns.health;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;

/**
 * An {@link HttpSpec http} check bound to one PoP address.
 *
 * <p>Each {@link #probe()} opens a new connection, sends one request with
 * {@code Connection: close}, reads the status line, the headers and at most
 * {@link HttpSpec#maxBodyBytes()} of the body, and closes; connect, TLS handshake and the whole
 * response share one deadline of the check's timeout. Redirects are reported as their status,
 * never followed. Immutable and thread-safe: the TLS context is built once, in the constructor.
 */
public final class HttpProbe implements Probe {
    private final HttpSpec spec;
    private final String url;
    private final String connectHost;
    private final int port;
    private final byte[] request;
    private final String tlsServerName;
    private final SSLContext tls;
    private final Duration timeout;
    private final Clock clock;

    HttpProbe(HttpSpec spec, String address, Duration timeout, Clock clock) {
        this.spec = spec;
        this.url = Addresses.bind(spec.url(), address);
        this.timeout = timeout;
        this.clock = clock;
        URI uri = HttpSpec.parse(url);
        String host = uri.getHost();
        this.connectHost = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
        this.port = uri.getPort() > 0 ? uri.getPort() : spec.https() ? 443 : 80;
        String target = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        if (uri.getRawQuery() != null) {
            target += "?" + uri.getRawQuery();
        }
        String hostHeader = spec.host().orElse(uri.getRawAuthority());
        this.request = (spec.method().name() + " " + target + " HTTP/1.1\r\n"
                        + "Host: " + hostHeader + "\r\n"
                        + "User-Agent: popdns-health\r\n"
                        + "Accept: */*\r\n"
                        + "Connection: close\r\n\r\n")
                .getBytes(StandardCharsets.ISO_8859_1);
        // SNI and certificate name: the service name; with no host, the URL's name (an IP literal
        // gets no SNI, RFC 6066 §3, and is verified against the certificate's IP entries).
        String serverName = spec.host().map(HttpProbe::withoutPort).orElse(connectHost);
        this.tlsServerName = isIpLiteral(serverName) ? null : serverName;
        if (!spec.https()) {
            this.tls = null;
        } else if (spec.insecure()) {
            this.tls = TrustStores.trustingEverything();
        } else {
            this.tls = spec.caFile().map(TrustStores::fromPemFile).orElseGet(TrustStores::system);
        }
    }

    @Override
    public ProbeResult probe() {
        Instant at = clock.instant();
        long start = System.nanoTime();
        HttpExchange exchange = new HttpExchange(start + timeout.toNanos());
        HttpExchange.Response response;
        try {
            HttpExchange.Tls secure = tls == null
                    ? null
                    : new HttpExchange.Tls(
                            tls.getSocketFactory(),
                            tlsServerName,
                            tlsServerName != null ? tlsServerName : connectHost,
                            !spec.insecure());
            response = exchange.run(
                    new InetSocketAddress(connectHost, port),
                    secure,
                    request,
                    spec.method() == HttpSpec.Method.HEAD,
                    spec.maxBodyBytes());
        } catch (SocketTimeoutException e) {
            return down(at, start, Reasons.timedOut(timeout, exchange.phase()));
        } catch (SSLException e) {
            // The JDK prefixes the alert it sends, "(certificate_unknown) ...": the rest says why.
            return down(at, start, "TLS: " + Reasons.describe(e).replaceFirst("^\\([a-z_]+\\) ", ""));
        } catch (IOException | RuntimeException e) {
            return down(at, start, exchange.phase() + ": " + Reasons.describe(e));
        }
        if (!spec.expect().contains(response.status())) {
            boolean redirect = response.location() != null && response.status() / 100 == 3;
            return down(
                    at,
                    start,
                    "HTTP " + response.status() + (redirect ? " to " + response.location() : "")
                            + " (expected: " + expected(spec.expect())
                            + (redirect ? ", redirects are not followed" : "") + ")");
        }
        Optional<String> body = spec.body();
        if (body.isPresent()) {
            String text = new String(response.body(), 0, response.bodyLength(), StandardCharsets.UTF_8);
            if (!text.contains(body.get())) {
                return down(
                        at,
                        start,
                        "body: no '" + body.get() + "' in " + response.bodyLength()
                                + " bytes read (expected: the body contains it within the first " + spec.maxBodyBytes()
                                + " bytes)");
            }
        }
        return new ProbeResult.Up(at, Duration.ofNanos(System.nanoTime() - start), Optional.empty());
    }

    /** The checked URL with the address bound. */
    public String url() {
        return url;
    }

    @Override
    public String toString() {
        return "HttpProbe[" + spec.method() + " " + url
                + spec.host().map(h -> " host " + h).orElse("") + (spec.insecure() ? " insecure" : "") + "]";
    }

    private static ProbeResult down(Instant at, long start, String reason) {
        return new ProbeResult.Down(
                at, Duration.ofNanos(System.nanoTime() - start), Reasons.clean(reason, null), Optional.empty());
    }

    private static String expected(List<Integer> codes) {
        if (codes.size() == 1) {
            return codes.get(0).toString();
        }
        StringBuilder text = new StringBuilder("one of ");
        for (int i = 0; i < codes.size(); i++) {
            text.append(i == 0 ? "" : ", ").append(codes.get(i));
        }
        return text.toString();
    }

    private static String withoutPort(String host) {
        int colon = host.lastIndexOf(':');
        return colon > 0 && host.indexOf(']') < colon ? host.substring(0, colon) : host;
    }

    private static boolean isIpLiteral(String name) {
        if (name.startsWith("[") || name.indexOf(':') >= 0) {
            return true;
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c != '.' && (c < '0' || c > '9')) {
                return false;
            }
        }
        return true;
    }
}
