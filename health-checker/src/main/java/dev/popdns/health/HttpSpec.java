package dev.popdns.health;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * An {@code http} check: one HTTP/1.1 request to the PoP, redirects not followed.
 *
 * <p>The request goes to the address in {@code url} with {@code Host: host}; for {@code https}
 * the TLS SNI is {@code host} too, and the certificate must be valid for {@code host} and chain
 * to {@code caFile} (or the JVM's trust store when absent) unless {@code insecure}. The probe
 * passes when the status is one of {@code expect} and, when {@code body} is set, the first
 * {@code maxBodyBytes} of the body contain it.
 *
 * @param url URL, {@code http://} or {@code https://}, no user info; {@code {address}} in it is
 *     replaced by the PoP's address
 * @param method {@code GET} (default) or {@code HEAD}
 * @param host the service name sent as {@code Host} and SNI; absent: the URL's host and port
 * @param caFile PEM file of the certificates to trust (https only); absent: the JVM's trust store
 * @param insecure skip certificate verification (https only; not with {@code caFile})
 * @param expect accepted status codes, each 100..599, at least one (default [200])
 * @param body text the body must contain (not with {@code HEAD}); absent: the body is not checked
 * @param maxBodyBytes the most body bytes read, 1..16 MiB (default 64 KiB)
 */
public record HttpSpec(
        String url,
        Method method,
        Optional<String> host,
        Optional<Path> caFile,
        boolean insecure,
        List<Integer> expect,
        Optional<String> body,
        int maxBodyBytes)
        implements ProbeSpec {

    /** The request methods a check may use; neither changes anything on the server. */
    public enum Method {
        GET,
        HEAD
    }

    public static final List<Integer> DEFAULT_EXPECT = List.of(200);
    public static final int DEFAULT_MAX_BODY_BYTES = 64 * 1024;
    public static final int MAX_BODY_BYTES = 16 * 1024 * 1024;

    // A host name, an IPv4 literal or a bracketed IPv6 literal, with an optional port: nothing
    // that could break the request line or the header block.
    private static final Pattern HOST = Pattern.compile("(?:[A-Za-z0-9._-]+|\\[[0-9A-Fa-f:.]+\\])(?::[0-9]{1,5})?");

    /**
     * Validates every field.
     *
     * @throws IllegalArgumentException such as {@code "expect: 600 (expected: 100..599)"}
     */
    public HttpSpec {
        Validation.requireText("http", url);
        URI sample = parse(url);
        boolean https = sample.getScheme().equals("https");
        Validation.requirePresent("method", method);
        host = Validation.requirePresent("host", host);
        host.ifPresent(h -> {
            if (!HOST.matcher(h).matches()) {
                throw new IllegalArgumentException("host: '" + h + "' (expected: a host name with an optional :port)");
            }
        });
        caFile = Validation.requirePresent("ca-file", caFile);
        if (!https && (caFile.isPresent() || insecure)) {
            throw new IllegalArgumentException((insecure ? "insecure" : "ca-file") + ": set for '" + url
                    + "' (expected: only with an https:// URL)");
        }
        if (insecure && caFile.isPresent()) {
            throw new IllegalArgumentException("insecure: true with ca-file " + caFile.get()
                    + " (expected: one of them: insecure skips the verification ca-file is for)");
        }
        Validation.requirePresent("expect", expect);
        if (expect.isEmpty()) {
            throw new IllegalArgumentException("expect: [] (expected: at least one status code, 100..599)");
        }
        for (Integer status : expect) {
            Validation.requireRange("expect", Validation.requirePresent("expect", status), 100, 599);
        }
        expect = List.copyOf(expect);
        body = Validation.requirePresent("body", body);
        body.ifPresent(b -> {
            if (b.isEmpty()) {
                throw new IllegalArgumentException("body: '' (expected: a non-empty text)");
            }
        });
        if (method == Method.HEAD && body.isPresent()) {
            throw new IllegalArgumentException(
                    "body: '" + body.get() + "' with method HEAD (expected: method GET, HEAD has no body)");
        }
        Validation.requireRange("max-body", maxBodyBytes, 1, MAX_BODY_BYTES);
    }

    /** A GET of {@code url} expecting 200, with no host, CA file or body: the defaults. */
    public static HttpSpec of(String url) {
        return new HttpSpec(
                url,
                Method.GET,
                Optional.empty(),
                Optional.empty(),
                false,
                DEFAULT_EXPECT,
                Optional.empty(),
                DEFAULT_MAX_BODY_BYTES);
    }

    /** A copy with another method; validates like the constructor. */
    public HttpSpec withMethod(Method newMethod) {
        return new HttpSpec(url, newMethod, host, caFile, insecure, expect, body, maxBodyBytes);
    }

    /** A copy that sends {@code newHost} as Host and SNI; validates like the constructor. */
    public HttpSpec withHost(String newHost) {
        return new HttpSpec(url, method, Optional.of(newHost), caFile, insecure, expect, body, maxBodyBytes);
    }

    /** A copy that trusts the certificates in {@code newCaFile}; validates like the constructor. */
    public HttpSpec withCaFile(Path newCaFile) {
        return new HttpSpec(url, method, host, Optional.of(newCaFile), insecure, expect, body, maxBodyBytes);
    }

    /** A copy with verification skipped or not; validates like the constructor. */
    public HttpSpec withInsecure(boolean newInsecure) {
        return new HttpSpec(url, method, host, caFile, newInsecure, expect, body, maxBodyBytes);
    }

    /** A copy accepting {@code newExpect}; validates like the constructor. */
    public HttpSpec withExpect(List<Integer> newExpect) {
        return new HttpSpec(url, method, host, caFile, insecure, newExpect, body, maxBodyBytes);
    }

    /** A copy whose body must contain {@code newBody}; validates like the constructor. */
    public HttpSpec withBody(String newBody) {
        return new HttpSpec(url, method, host, caFile, insecure, expect, Optional.of(newBody), maxBodyBytes);
    }

    /** A copy reading at most {@code newMaxBodyBytes} of the body; validates like the constructor. */
    public HttpSpec withMaxBodyBytes(int newMaxBodyBytes) {
        return new HttpSpec(url, method, host, caFile, insecure, expect, body, newMaxBodyBytes);
    }

    /** Whether the URL is {@code https}. */
    public boolean https() {
        return url.startsWith("https:");
    }

    /** Parses the URL template bound to {@code Addresses.SAMPLE} or to a real address. */
    static URI parse(String boundOrTemplate) {
        String text = boundOrTemplate.replace(ProbeSpec.ADDRESS, Addresses.SAMPLE);
        URI uri;
        try {
            uri = new URI(text);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(
                    "http: '" + boundOrTemplate + "' (expected: a URL: " + e.getReason() + ")");
        }
        String scheme = uri.getScheme();
        if (scheme == null || !(scheme.equals("http") || scheme.equals("https"))) {
            throw new IllegalArgumentException(
                    "http: '" + boundOrTemplate + "' (expected: an http:// or https:// URL)");
        }
        if (uri.getHost() == null || uri.getRawUserInfo() != null || uri.getRawFragment() != null) {
            throw new IllegalArgumentException("http: '" + boundOrTemplate
                    + "' (expected: scheme://{address}[:port]/path, no user info, no fragment)");
        }
        return uri;
    }
}
