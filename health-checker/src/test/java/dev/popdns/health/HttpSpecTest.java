package dev.popdns.health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class HttpSpecTest {
    @Test
    void defaultsArePinned() {
        HttpSpec spec = HttpSpec.of("https://{address}/");
        assertEquals(HttpSpec.Method.GET, spec.method());
        assertEquals(Optional.empty(), spec.host());
        assertEquals(Optional.empty(), spec.caFile());
        assertFalse(spec.insecure());
        assertEquals(List.of(200), spec.expect());
        assertEquals(Optional.empty(), spec.body());
        assertEquals(64 * 1024, spec.maxBodyBytes());
        assertTrue(spec.https());
    }

    @Test
    void aLiteralUrlIsProbedAsWritten() {
        HttpSpec spec = HttpSpec.of("http://127.0.0.1:5660/health");
        assertEquals("http://127.0.0.1:5660/health", Addresses.bind(spec.url(), "192.0.2.9"));
        assertEquals(
                "127.0.0.1",
                TcpSpec.socketAddress(new TcpSpec("127.0.0.1:22").target()).getHostString());
        assertEquals(
                "//127.0.0.1:5432/m",
                ReplicaSpec.of("//127.0.0.1:5432/m", "popdns").url());
    }

    @Test
    void invalidSpecsAreNamedWithTheExpectation() {
        HttpSpec https = HttpSpec.of("https://{address}/");
        HttpSpec http = HttpSpec.of("http://{address}:3000/health");
        fails("http: '' (expected: a non-blank string)", () -> HttpSpec.of(""));
        fails("http: 'ftp://{address}/' (expected: an http:// or https:// URL)", () -> HttpSpec.of("ftp://{address}/"));
        fails(
                "http: 'https://user:pw@{address}/' (expected: scheme://{address}[:port]/path, no user info, no fragment)",
                () -> HttpSpec.of("https://user:pw@{address}/"));
        fails(
                "host: 'hachyderm.io\r\nX: y' (expected: a host name with an optional :port)",
                () -> https.withHost("hachyderm.io\r\nX: y"));
        fails(
                "insecure: set for 'http://{address}:3000/health' (expected: only with an https:// URL)",
                () -> http.withInsecure(true));
        fails(
                "ca-file: set for 'http://{address}:3000/health' (expected: only with an https:// URL)",
                () -> http.withCaFile(Path.of("/etc/ca.pem")));
        fails(
                "insecure: true with ca-file /etc/ca.pem (expected: one of them: insecure skips the verification ca-file is for)",
                () -> https.withCaFile(Path.of("/etc/ca.pem")).withInsecure(true));
        fails("expect: [] (expected: at least one status code, 100..599)", () -> https.withExpect(List.of()));
        fails("expect: 600 (expected: 100..599)", () -> https.withExpect(List.of(200, 600)));
        fails("body: '' (expected: a non-empty text)", () -> https.withBody(""));
        fails(
                "body: 'OK' with method HEAD (expected: method GET, HEAD has no body)",
                () -> https.withBody("OK").withMethod(HttpSpec.Method.HEAD));
        fails("max-body: 0 (expected: 1..16777216)", () -> https.withMaxBodyBytes(0));
    }

    @Test
    void acceptsWhatTheDesignShows() {
        HttpSpec nginx =
                HttpSpec.of("https://{address}/").withHost("hachyderm.io").withExpect(List.of(200));
        assertEquals(Optional.of("hachyderm.io"), nginx.host());
        HttpSpec puma = HttpSpec.of("http://{address}:3000/health").withBody("OK");
        assertEquals(Optional.of("OK"), puma.body());
        HttpSpec.of("https://{address}:8443/health?full=1")
                .withHost("[2001:db8::1]:8443")
                .withInsecure(true);
    }

    private static void fails(String message, Executable executable) {
        assertEquals(
                message,
                assertThrows(IllegalArgumentException.class, executable).getMessage());
    }
}
