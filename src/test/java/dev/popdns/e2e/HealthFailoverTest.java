package dev.popdns.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.popdns.e2e.health.PopSite;
import dev.popdns.e2e.health.PrimaryWriter;
import dev.popdns.health.Durations;
import dev.popdns.health.Ports;
import dev.popdns.health.PostgresPair;
import dev.popdns.health.Programs;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.ClientSubnetOption;
import org.xbill.DNS.Message;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * Health-aware failover with the real thing: the packaged server routes a Dutch client (ECS
 * 131.180.1.0/24, TU Delft) between two PoPs on loopback addresses, each with its own real nginx,
 * Puma and streaming PostgreSQL replica of one primary, while the test breaks and mends them.
 * Every change of answer is timed from the fault, polling over UDP every 50 ms, and checked
 * against the bound the check timings promise; the times go to {@code target/failover-times.txt}.
 *
 * <p>The HQ (required: the last resort) is a third PoP, in Singapore, where nothing runs: its
 * checks all fail, so it is never eligible and a client that moves to B moved because B is
 * eligible, not because nobody was (fail open would answer HQ's address, which the test rejects).
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class HealthFailoverTest {
    private static final Path DB = Path.of(System.getProperty("popdns.root", "../.."), "geoip/data/GeoLite2-City.mmdb");
    private static final Path TIMES = Path.of("target", "failover-times.txt");
    private static final String A = "127.0.0.2"; // Amsterdam: nearest to the client
    private static final String B = "127.0.0.3"; // Ashburn
    private static final String HQ = "127.0.0.4"; // Singapore, nothing listening
    private static final String NAME = "t.test.";
    private static final String MEDIA = "media.t.test.";
    private static final String PASSWORD = "correct horse battery staple";

    // The check timings of pops.yaml, and the bounds they promise. After a fault the next probe
    // starts within one interval and `fall` failing probes within fall x interval; each takes at
    // most the timeout (+200ms until the watchdog). Rise likewise. The margin is for scheduling on
    // a small shared machine running the server, two nginx, two Puma and four postgres at once.
    private static final Duration INTERVAL = Duration.ofMillis(500);
    private static final Duration TIMEOUT = Duration.ofMillis(400);
    private static final int RISE = 2;
    private static final int FALL = 2;
    private static final Duration MAX_LAG = Duration.ofSeconds(2);
    private static final Duration MARGIN = Duration.ofMillis(1000);
    private static final Duration FALL_BOUND =
            INTERVAL.multipliedBy(FALL).plus(TIMEOUT).plus(MARGIN);
    private static final Duration RISE_BOUND =
            INTERVAL.multipliedBy(RISE).plus(TIMEOUT).plus(MARGIN);
    // Replay paused while the primary writes every 100 ms: lag passes max-lag after max-lag.
    private static final Duration LAG_BOUND = MAX_LAG.plus(FALL_BOUND);
    /** Every wait gives up after this (the bounds above are far shorter). */
    private static final Duration WAIT = Duration.ofSeconds(15);

    private static final Duration POLL = Duration.ofMillis(50);
    /** After an answer changed, it must hold this long (no flapping back). */
    private static final Duration HOLD = Duration.ofMillis(500);

    private static PostgresPair postgres;
    private static PopSite a;
    private static PopSite b;
    private static ServerProcess server;
    private static final List<String> times = new ArrayList<>();

    @BeforeAll
    static void start(@TempDir Path dir) throws Exception {
        Files.deleteIfExists(TIMES); // no stale times when this run fails before measuring
        assertTrue(Files.isRegularFile(DB), "GeoLite2 database missing at " + DB + ": run geoip/fetch-geolite2.sh");
        // Fail at once, naming the Debian package, rather than after starting half the PoPs.
        Programs.require("nginx", "nginx");
        Programs.require("ruby", "ruby");
        Programs.require("puma", "puma");
        Programs.postgresBin();
        int nginxPort = Ports.free();
        int pumaPort = Ports.free();
        int postgresPort = Ports.free();
        postgres = PostgresPair.start(); // its own replica, on 127.0.0.1, idles: each PoP gets one of its own
        postgres.createRole("popdns", PASSWORD, true);
        a = PopSite.start("a", A, Files.createDirectory(dir.resolve("a")), postgres, nginxPort, pumaPort, postgresPort);
        b = PopSite.start("b", B, Files.createDirectory(dir.resolve("b")), postgres, nginxPort, pumaPort, postgresPort);

        Path secret = dir.resolve("popdns-pg.secret");
        Files.writeString(secret, PASSWORD + "\n");
        Path zones = Files.createDirectory(dir.resolve("zones"));
        Files.writeString(zones.resolve("t.test.zone"), """
                $ORIGIN t.test.
                $TTL 3600
                @    SOA ns1 hostmaster 1 7200 3600 1209600 300
                     NS  ns1
                ns1  A   192.0.2.53
                """);
        String timing = "interval: %s, timeout: %s, rise: %d, fall: %d"
                .formatted(Durations.format(INTERVAL), Durations.format(TIMEOUT), RISE, FALL);
        Files.writeString(zones.resolve("pops.yaml"), """
                pops:
                  hq:
                    hq: true
                    location: [1.35, 103.82]      # Singapore
                    addresses: [%s]
                  a:
                    location: [52.37, 4.90]       # Amsterdam
                    addresses: [%s]
                  b:
                    location: [39.04, -77.49]     # Ashburn
                    addresses: [%s]
                checks:
                  nginx:   { http: "http://{address}:%d/", %s }
                  puma:    { http: "http://{address}:%d/health", body: OK, %s }
                  replica: { postgres-replica: "//{address}:%d/postgres", user: popdns, password-file: "%s",
                             max-lag: %s, %s }
                names:
                  %s { ttl: 30, needs: [nginx, puma, replica] }
                  %s { ttl: 30, needs: [nginx] }
                """.formatted(
                        HQ,
                        A,
                        B,
                        nginxPort,
                        timing,
                        pumaPort,
                        timing,
                        postgresPort,
                        secret,
                        Durations.format(MAX_LAG),
                        timing,
                        NAME + ":",
                        MEDIA + ":"));
        server = ServerProcess.start(zones, "--geoip", DB.toString());
    }

    @AfterAll
    static void stop() {
        List<Throwable> failures = new ArrayList<>();
        for (AutoCloseable running : new AutoCloseable[] {server, a, b, postgres}) {
            if (running != null) {
                try {
                    running.close();
                } catch (Exception | AssertionError e) {
                    failures.add(e);
                }
            }
        }
        if (!failures.isEmpty()) {
            AssertionError error = new AssertionError("teardown failed: " + failures.get(0), failures.get(0));
            failures.subList(1, failures.size()).forEach(error::addSuppressed);
            throw error;
        }
    }

    @Test
    void failsOverAndBackOnRealFaults() throws Exception {
        try {
            // 1. Everything up: the Dutch client gets Amsterdam for both names. The first probe round
            // decided that before "ready"; a cold first replica probe (pgjdbc loading, SCRAM) may
            // pass the timeout on a busy machine (both PoPs' replicas at once: t.test. then answers
            // HQ), so the steps start once A's and B's checks are all up, and t.test. may still be
            // at B for one rise.
            server.awaitStatus(Duration.ofSeconds(30), s -> allUp(s, "a") && allUp(s, "b"));
            long ready = System.nanoTime();
            long[] settled = awaitAnswers("start", ready, move(NAME, B, A), stay(MEDIA, A));
            if (settled[0] > POLL.toMillis()) {
                times.add("start: t.test. answered B for " + settled[0]
                        + " ms after ready (first replica probe too slow)");
            }

            // 2. nginx down at A: both names need it.
            a.stopNginx();
            awaitMoves("nginx stopped at A", System.nanoTime(), FALL_BOUND, move(NAME, A, B), move(MEDIA, A, B));
            awaitLog("pop a check nginx: UP -> DOWN \\(.*connect: Connection refused\\)");

            // 3. nginx back: both return after rise.
            a.startNginx();
            awaitMoves("nginx restored at A", System.nanoTime(), RISE_BOUND, move(NAME, B, A), move(MEDIA, B, A));
            awaitLog("pop a check nginx: DOWN -> UP \\(");

            // 4. A's replica stops replaying while the primary writes: only the name that needs it moves.
            try (PrimaryWriter writer = PrimaryWriter.start(postgres, Duration.ofMillis(100), Duration.ofSeconds(40))) {
                a.replica().awaitReplayedTransaction(WAIT); // else its lag is unknown, not growing
                a.replica().pauseReplay();
                awaitMoves("replay paused at A", System.nanoTime(), LAG_BOUND, move(NAME, A, B), stay(MEDIA, A));
                awaitLog("pop a check replica: UP -> DOWN \\(.*last: lag [0-9]+m?s \\(expected: at most 2s\\)\\)");

                // 5. Replay resumed: the replica catches up and the name comes back.
                a.replica().resumeReplay();
                awaitMoves("replay resumed at A", System.nanoTime(), RISE_BOUND, move(NAME, B, A), stay(MEDIA, A));
                awaitLog("pop a check replica: DOWN -> UP \\(");
            }

            // 6. Puma crashes at A: the main name moves, media (nginx only) stays.
            a.killPuma();
            awaitMoves("puma killed at A", System.nanoTime(), FALL_BOUND, move(NAME, A, B), stay(MEDIA, A));

            // 7. The status API and the log say why.
            awaitLog("pop a check puma: UP -> DOWN \\(.*connect: Connection refused\\)");
            JsonNode pops = status().path("pops");
            JsonNode puma = pop(pops, "a").path("checks").path("puma");
            assertEquals("down", puma.path("state").asText().toLowerCase(Locale.ROOT), puma.toString());
            assertEquals("connect: Connection refused", puma.path("last_error").asText(), "the reason: " + puma);
            for (String check : List.of("nginx", "replica")) {
                assertEquals(
                        "up",
                        pop(pops, "a")
                                .path("checks")
                                .path(check)
                                .path("state")
                                .asText()
                                .toLowerCase(Locale.ROOT),
                        "a " + check + ": " + pops);
            }
            for (String check : List.of("nginx", "puma", "replica")) {
                assertEquals(
                        "up",
                        pop(pops, "b")
                                .path("checks")
                                .path(check)
                                .path("state")
                                .asText()
                                .toLowerCase(Locale.ROOT),
                        "b " + check + ": " + pops);
            }
            assertFalse(server.logText().contains(PASSWORD), "the replica password never appears in the log");
        } finally {
            writeTimes();
        }
    }

    /** What one name should do: answer {@code before} until it answers {@code after}, then hold it. */
    private record Expect(String name, String before, String after) {
        boolean moves() {
            return !before.equals(after);
        }
    }

    private static Expect move(String name, String from, String to) {
        return new Expect(name, from, to);
    }

    private static Expect stay(String name, String at) {
        return new Expect(name, at, at);
    }

    /**
     * {@link #awaitAnswers}, then fails when a move took longer than {@code bound}; records each
     * move's time from the fault.
     */
    private static void awaitMoves(String step, long fault, Duration bound, Expect... expects) throws Exception {
        long[] millis = awaitAnswers(step, fault, expects);
        for (int i = 0; i < expects.length; i++) {
            if (expects[i].moves()) {
                times.add(String.format(
                        Locale.ROOT,
                        "%-22s %-14s %-7s %6d ms   (bound %d ms)",
                        step,
                        expects[i].name(),
                        pop(expects[i].before()) + " -> " + pop(expects[i].after()),
                        millis[i],
                        bound.toMillis()));
            }
        }
        for (int i = 0; i < expects.length; i++) {
            assertTrue(
                    millis[i] <= bound.toMillis(),
                    step + ": " + expects[i].name() + " moved after " + millis[i] + " ms (expected: at most "
                            + bound.toMillis() + " ms)\n" + server.logText());
        }
    }

    private static boolean allUp(JsonNode status, String pop) {
        for (JsonNode check : ServerProcess.pop(status, pop).path("checks")) {
            if (!check.path("state").asText().equals("up")) {
                return false;
            }
        }
        return true;
    }

    /**
     * Polls every name every 50 ms from {@code fault} (a {@link System#nanoTime()}) until each
     * that moves answers its new PoP, then for {@link #HOLD} more. Any other answer (a third
     * address, a flap back, a name that should stay moving) fails at once, as does no change
     * within {@link #WAIT}. Returns the milliseconds from the fault to each name's first new
     * answer (-1 for names that stay).
     */
    private static long[] awaitAnswers(String step, long fault, Expect... expects) throws Exception {
        long[] movedAt = new long[expects.length];
        boolean[] moved = new boolean[expects.length];
        long deadline = fault + WAIT.toNanos();
        long holdUntil = Long.MAX_VALUE;
        while (true) {
            long round = System.nanoTime();
            boolean pending = false;
            for (int i = 0; i < expects.length; i++) {
                Expect e = expects[i];
                long sent = System.nanoTime();
                String got = answer(e.name());
                if (got.equals(e.after())) {
                    if (!moved[i]) {
                        moved[i] = true;
                        movedAt[i] = sent;
                    }
                } else if (moved[i] || !e.moves() || !got.equals(e.before())) {
                    fail(step + ": " + e.name() + " answered " + got + " (expected: " + describe(e) + ")\n"
                            + server.logText());
                } else {
                    pending = true;
                }
            }
            if (!pending && holdUntil == Long.MAX_VALUE) {
                holdUntil = round + HOLD.toNanos();
            }
            if (round >= holdUntil) {
                break;
            }
            if (pending && round > deadline) {
                List<String> late = new ArrayList<>();
                for (int i = 0; i < expects.length; i++) {
                    if (!moved[i]) {
                        late.add(expects[i].name() + " still " + expects[i].before());
                    }
                }
                fail(step + ": " + late + " after " + WAIT.toSeconds() + "s\n" + server.logText());
            }
            Thread.sleep(POLL);
        }
        long[] millis = new long[expects.length];
        for (int i = 0; i < expects.length; i++) {
            millis[i] = expects[i].moves() ? TimeUnit.NANOSECONDS.toMillis(movedAt[i] - fault) : -1;
        }
        return millis;
    }

    private static String describe(Expect e) {
        return e.moves()
                ? e.before() + " until it answers " + e.after() + ", then only that"
                : e.after() + " throughout";
    }

    private static String pop(String address) {
        return switch (address) {
            case A -> "A";
            case B -> "B";
            default -> address;
        };
    }

    /** The single A record {@code name} has for the Dutch client, over UDP; else a description of the reply. */
    private static String answer(String name) throws Exception {
        Message query = DnsClient.query(name, Type.A);
        ClientSubnetOption dutch = new ClientSubnetOption(24, InetAddress.getByName("131.180.1.0"));
        query.addRecord(new OPTRecord(1232, 0, 0, 0, List.of(dutch)), Section.ADDITIONAL);
        for (int attempt = 0; attempt < 3; attempt++) {
            byte[] reply = DnsClient.udp(server.v4(), query.toWire(), 1000);
            if (reply == null) {
                continue; // lost or late: ask again, a few times
            }
            Message m = new Message(reply);
            List<Record> answers = m.getSection(Section.ANSWER);
            if (m.getRcode() == Rcode.NOERROR && answers.size() == 1 && answers.get(0) instanceof ARecord record) {
                return record.getAddress().getHostAddress();
            }
            return "rcode " + Rcode.string(m.getRcode()) + " answer " + answers;
        }
        return fail("no answer to " + name + " over UDP in 3 tries\n" + server.logText());
    }

    /** Waits (5 s at most) for a server log line in which {@code regex} is found. */
    private static void awaitLog(String regex) {
        Pattern pattern = Pattern.compile(regex);
        assertTrue(
                server.awaitLog(line -> pattern.matcher(line).find(), Duration.ofSeconds(5)),
                "a log line matching " + regex + ":\n" + server.logText());
    }

    private static JsonNode status() throws IOException, InterruptedException {
        try (HttpClient client =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
            HttpResponse<String> response = client.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.httpPort + "/api/v1/status"))
                            .timeout(Duration.ofSeconds(5))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, response.statusCode(), response.body());
            return new ObjectMapper().readTree(response.body());
        }
    }

    private static JsonNode pop(JsonNode pops, String id) {
        for (JsonNode pop : pops) {
            if (id.equals(pop.path("id").asText())) {
                return pop;
            }
        }
        return fail("PoP " + id + " not in the status: " + pops);
    }

    private static void writeTimes() throws IOException {
        List<String> lines = new ArrayList<>();
        lines.add("# HealthFailoverTest: time from the fault (or the repair) to the changed DNS answer,");
        lines.add("# polled over UDP every " + POLL.toMillis() + " ms; checks: interval " + INTERVAL.toMillis()
                + " ms, timeout " + TIMEOUT.toMillis() + " ms, rise " + RISE + ", fall " + FALL + ", replica max-lag "
                + MAX_LAG.toSeconds() + " s");
        lines.addAll(times);
        Files.createDirectories(TIMES.getParent());
        Files.write(TIMES, lines);
        lines.forEach(System.out::println);
    }
}
