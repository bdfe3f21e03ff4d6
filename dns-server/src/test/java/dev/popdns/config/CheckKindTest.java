package dev.popdns.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.popdns.config.CheckFields.Timing;
import dev.popdns.config.YamlTree.ListNode;
import dev.popdns.config.YamlTree.MapNode;
import dev.popdns.config.YamlTree.Node;
import dev.popdns.config.YamlTree.Scalar;
import dev.popdns.health.CheckTiming;
import dev.popdns.health.HttpSpec;
import dev.popdns.health.ReplicaSpec;
import dev.popdns.health.TcpSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Each check kind's key, fields, defaults and parser, pinned. */
class CheckKindTest {
    /** Reads {@code fields} (scalars, or lists of them) as one check's mapping, all on line 1. */
    private static CheckFields read(CheckKind kind, List<String> problems, Object... fields) {
        Map<String, Node> entries = new LinkedHashMap<>();
        Map<String, Integer> lines = new LinkedHashMap<>();
        for (int i = 0; i < fields.length; i += 2) {
            String key = (String) fields[i];
            Node value;
            if (fields[i + 1] instanceof List<?> list) {
                List<Node> items = new ArrayList<>();
                for (Object item : list) {
                    items.add(new Scalar(1, (String) item));
                }
                value = new ListNode(1, items);
            } else {
                value = new Scalar(1, (String) fields[i + 1]);
            }
            entries.put(key, value);
            lines.put(key, 1);
        }
        return kind.read(
                new FieldReader(new MapNode(1, entries, lines), "checks.c", (line, message) -> problems.add(message)));
    }

    private static CheckFields read(CheckKind kind, Object... fields) {
        List<String> problems = new ArrayList<>();
        CheckFields read = read(kind, problems, fields);
        assertEquals(List.of(), problems);
        return read;
    }

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

    /** Every field of every kind reads into its record and is written back under its key, in the kind's order. */
    @Test
    void everyFieldReadsAndWritesBackInReadingOrder() {
        CheckFields http = read(
                CheckKind.HTTP,
                "http",
                "https://{address}/",
                "method",
                "HEAD",
                "host",
                "hachyderm.io",
                "expect",
                List.of("200", "204"),
                "body",
                "ok",
                "max-body",
                "100",
                "insecure",
                "false",
                "ca-file",
                "/etc/ca.pem",
                "interval",
                "500ms",
                "timeout",
                "250ms",
                "rise",
                "1",
                "fall",
                "5");
        CheckFields tcp = read(CheckKind.TCP, "tcp", "{address}:22", "interval", "1m");
        CheckFields replica = read(
                CheckKind.POSTGRES_REPLICA,
                "postgres-replica",
                "//{address}:5432/db",
                "user",
                "u",
                "password-file",
                "/run/pw",
                "sslmode",
                "verify-full",
                "sslrootcert",
                "/etc/pg.pem",
                "max-lag",
                "10s");
        for (CheckFields f : List.of(http, tcp, replica)) {
            List<String> order = new ArrayList<>(f.kind().fields());
            order.retainAll(f.values().keySet());
            assertEquals(order, List.copyOf(f.values().keySet()));
        }
        assertEquals(
                new HttpCheck(
                        "https://{address}/",
                        HttpSpec.Method.HEAD,
                        "hachyderm.io",
                        List.of(200, 204),
                        "ok",
                        100,
                        false,
                        Path.of("/etc/ca.pem"),
                        new Timing(Duration.ofMillis(500), Duration.ofMillis(250), 1, 5)),
                http);
        assertEquals(
                List.copyOf(CheckKind.HTTP.fields()), List.copyOf(http.values().keySet()));
        assertEquals("[200, 204]", http.values().get("expect").text());
        assertEquals("500ms", http.values().get("interval").text());
        assertEquals("1m", tcp.values().get("interval").text());
        assertEquals("/run/pw", replica.values().get("password-file").text());
    }

    @Test
    void defaults() {
        HttpSpec http =
                (HttpSpec) read(CheckKind.HTTP, "http", "https://{address}/").spec();
        assertEquals(HttpSpec.Method.GET, http.method());
        assertEquals(List.of(200), http.expect());
        assertEquals(64 * 1024, http.maxBodyBytes());
        ReplicaSpec replica = (ReplicaSpec) read(CheckKind.POSTGRES_REPLICA, "postgres-replica", "//{address}:5432/db")
                .spec();
        assertEquals("popdns", replica.user());
        assertEquals(Duration.ofSeconds(30), replica.maxLag());
        assertEquals(CheckTiming.DEFAULT, Timing.NONE.resolve());
        assertEquals(new CheckTiming(Duration.ofSeconds(2), Duration.ofSeconds(1), 2, 3), Timing.NONE.resolve());
    }

    @Test
    void parsesEveryField() {
        HttpSpec http = (HttpSpec) read(
                        CheckKind.HTTP,
                        "http",
                        "http://{address}:3000/health",
                        "method",
                        "head",
                        "host",
                        "hachyderm.io",
                        "expect",
                        List.of("200", "204"),
                        "max-body",
                        "100")
                .spec();
        assertEquals(HttpSpec.Method.HEAD, http.method());
        assertEquals("hachyderm.io", http.host().orElseThrow());
        assertEquals(List.of(200, 204), http.expect());
        assertEquals(100, http.maxBodyBytes());
        assertEquals(
                "{address}:22",
                ((TcpSpec) read(CheckKind.TCP, "tcp", "{address}:22").spec()).target());
        assertEquals(
                new CheckTiming(Duration.ofMillis(500), Duration.ofMillis(250), 1, 5),
                read(CheckKind.TCP, "interval", "500ms", "timeout", "250ms", "rise", "1", "fall", "5")
                        .timing()
                        .resolve());
    }

    /** A PoP's override replaces only the fields it sets; {@code except} gives the override back. */
    @Test
    void mergeAndExcept() {
        CheckFields shared = read(CheckKind.HTTP, "http", "http://{address}/", "body", "OK", "interval", "10s");
        CheckFields override = read(CheckKind.HTTP, "body", "ok", "rise", "3");
        CheckFields merged = shared.merge(override);
        assertEquals(
                read(CheckKind.HTTP, "http", "http://{address}/", "body", "ok", "interval", "10s", "rise", "3"),
                merged);
        assertEquals(override, merged.except(shared));
        assertEquals(Map.of(), shared.except(shared).values());
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class, () -> shared.merge(read(CheckKind.TCP, "tcp", "{address}:22")));
        assertEquals("fields of kind tcp for a check of kind http", e.getMessage());
    }

    @Test
    void messagesStartWithTheField() {
        List<String> problems = new ArrayList<>();
        read(CheckKind.HTTP, problems, "http", "http://{address}/", "method", "POST");
        read(CheckKind.TCP, problems, "rise", "two");
        read(CheckKind.HTTP, problems, "expect", List.of("200", "x"), "insecure", "yes", "interval", "soon");
        assertEquals(
                List.of(
                        "checks.c: method: 'POST' (expected: GET or HEAD)",
                        "checks.c: rise: two (expected: a whole number)",
                        "checks.c: expect: x (expected: a whole number)",
                        "checks.c: insecure: yes (expected: true or false)",
                        "checks.c: interval: duration: 'soon' (expected: a whole number and ms, s, m or h, like 2s or 100ms)"),
                problems);
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> read(
                                CheckKind.POSTGRES_REPLICA,
                                "postgres-replica",
                                "//{address}/db",
                                "password-file",
                                "/f",
                                "password-env",
                                "PG")
                        .spec());
        assertEquals("password-env: set with password-file (expected: one of them)", e.getMessage());
    }
}
