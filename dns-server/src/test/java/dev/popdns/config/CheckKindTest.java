package dev.popdns.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.popdns.health.CheckTiming;
import dev.popdns.health.HttpSpec;
import dev.popdns.health.ReplicaSpec;
import dev.popdns.health.TcpSpec;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Each check kind's key, fields, defaults and parser, pinned. */
class CheckKindTest {
    @Test
    void keysAndFieldsInReadingOrder() {
        assertEquals(List.of("http", "tcp", "postgres-replica"), CheckKind.keys());
        assertEquals(
                List.of(
                        "http",
                        "tcp",
                        "postgres-replica",
                        "method",
                        "host",
                        "expect",
                        "body",
                        "max-body",
                        "insecure",
                        "ca-file",
                        "user",
                        "password-file",
                        "password-env",
                        "sslmode",
                        "sslrootcert",
                        "max-lag",
                        "interval",
                        "timeout",
                        "rise",
                        "fall"),
                CheckKind.FIELDS);
        assertEquals(CheckKind.POSTGRES_REPLICA, CheckKind.of("postgres-replica"));
        assertNull(CheckKind.of("dns"));
    }

    @Test
    void defaults() {
        HttpSpec http = (HttpSpec) CheckKind.HTTP.spec(Map.of("http", "https://{address}/"));
        assertEquals(HttpSpec.Method.GET, http.method());
        assertEquals(List.of(200), http.expect());
        assertEquals(64 * 1024, http.maxBodyBytes());
        ReplicaSpec replica =
                (ReplicaSpec) CheckKind.POSTGRES_REPLICA.spec(Map.of("postgres-replica", "//{address}:5432/db"));
        assertEquals("popdns", replica.user());
        assertEquals(Duration.ofSeconds(30), replica.maxLag());
        assertEquals(CheckTiming.DEFAULT, CheckKind.timing(Map.of()));
        assertEquals(new CheckTiming(Duration.ofSeconds(2), Duration.ofSeconds(1), 2, 3), CheckKind.timing(Map.of()));
    }

    @Test
    void parsesEveryField() {
        HttpSpec http = (HttpSpec) CheckKind.HTTP.spec(Map.of(
                "http", "http://{address}:3000/health",
                "method", "head",
                "host", "hachyderm.io",
                "expect", List.of("200", "204"),
                "max-body", "100"));
        assertEquals(HttpSpec.Method.HEAD, http.method());
        assertEquals("hachyderm.io", http.host().orElseThrow());
        assertEquals(List.of(200, 204), http.expect());
        assertEquals(100, http.maxBodyBytes());
        assertEquals("{address}:22", ((TcpSpec) CheckKind.TCP.spec(Map.of("tcp", "{address}:22"))).target());
        assertEquals(
                new CheckTiming(Duration.ofMillis(500), Duration.ofMillis(250), 1, 5),
                CheckKind.timing(Map.of("interval", "500ms", "timeout", "250ms", "rise", "1", "fall", "5")));
    }

    @Test
    void messagesStartWithTheField() {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> CheckKind.HTTP.spec(Map.of("http", "http://{address}/", "method", "POST")));
        assertEquals("method: 'POST' (expected: GET or HEAD)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> CheckKind.timing(Map.of("rise", "two")));
        assertEquals("rise: two (expected: a whole number)", e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class,
                () -> CheckKind.POSTGRES_REPLICA.spec(
                        Map.of("postgres-replica", "//{address}/db", "password-file", "/f", "password-env", "PG")));
        assertEquals("password-env: set with password-file (expected: one of them)", e.getMessage());
    }
}
