package dev.popdns.health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The monitor on fake time: a manual timer and clock, probes that answer at once on the test's
 * thread as {@link FakeProbes} says. Default timing: interval 2s, rise 2, fall 3.
 */
class HealthMonitorTest {
    private static final Instant T0 = Instant.parse("2024-05-01T12:00:00Z");
    private static final Duration INTERVAL = CheckTiming.DEFAULT.interval();
    private static final List<String> NEEDS = List.of("nginx", "replica");

    private final ManualTimer timer = new ManualTimer(T0);
    private final FakeProbes probes = new FakeProbes(timer.clock());
    private final List<HealthView> published = new ArrayList<>();
    private final List<HealthEvent> events = new ArrayList<>();
    private HealthMonitor monitor;

    @BeforeEach
    void clearLogs() {
        RecordingLogs.clear();
    }

    @AfterEach
    void close() {
        if (monitor != null) {
            monitor.close();
        }
    }

    @Test
    void theFirstRoundSetsEveryStateDirectly() throws InterruptedException {
        probes.fail("eu-west", "nginx", "HTTP 502 (expected: 200)");
        HealthView first = start(config(CheckTiming.DEFAULT, "hq", "eu-west", "us-east"));

        assertEquals(HealthState.DOWN, state(first, "eu-west", "nginx"), "one failure is enough at first");
        assertEquals(
                T0,
                first.pop("eu-west").orElseThrow().check("nginx").orElseThrow().since());
        for (PopHealth pop : first.pops()) {
            for (CheckHealth check : pop.checks()) {
                assertTrue(check.state() != HealthState.UNKNOWN, pop.id() + "/" + check.check());
            }
        }
        assertSame(first, monitor.view());
        assertFalse(first.cutOff());
        assertEquals(
                1,
                RecordingLogs.matching(
                                "pop eu-west check nginx: UNKNOWN -> DOWN (first result: HTTP 502 (expected: 200))")
                        .size());
        assertEquals(
                1,
                RecordingLogs.matching("pop hq check replica: UNKNOWN -> UP (first result: up in 5ms)")
                        .size());
    }

    @Test
    void riseAndFallAreCountedOnTheSchedule() throws InterruptedException {
        start(config(CheckTiming.DEFAULT, "hq", "eu-west"));
        probes.fail("eu-west", "nginx", "connect: Connection refused");
        advanceIntervals(2);
        assertEquals(HealthState.UP, state("eu-west", "nginx"), "2 failures of fall 3");
        assertEquals(2, check("eu-west", "nginx").failures());
        assertTrue(monitor.view().pop("eu-west").orElseThrow().eligible(NEEDS));
        advanceIntervals(1);
        assertEquals(HealthState.DOWN, state("eu-west", "nginx"));
        assertFalse(monitor.view().pop("eu-west").orElseThrow().eligible(NEEDS));
        assertTrue(monitor.view().pop("eu-west").orElseThrow().eligible(List.of("replica")));
        assertEquals(
                Optional.of("connect: Connection refused"),
                check("eu-west", "nginx").lastError());

        probes.heal("eu-west", "nginx");
        advanceIntervals(1);
        assertEquals(HealthState.DOWN, state("eu-west", "nginx"), "1 success of rise 2");
        advanceIntervals(1);
        assertEquals(HealthState.UP, state("eu-west", "nginx"));

        assertEquals(
                1,
                RecordingLogs.matching("WARN HealthMonitor: pop eu-west check nginx: UP -> DOWN "
                                + "(3 consecutive failures (fall 3), last: connect: Connection refused)")
                        .size(),
                RecordingLogs.lines().toString());
        assertEquals(
                1,
                RecordingLogs.matching("INFO HealthMonitor: pop eu-west check nginx: DOWN -> UP "
                                + "(2 consecutive successes (rise 2))")
                        .size());
        assertEquals(
                2,
                RecordingLogs.matching("pop eu-west check nginx: ").size() - 1,
                "two changes after the first result");
    }

    @Test
    void aReplacingMonitorContinuesTheJudgementOfUnchangedPairs() throws InterruptedException {
        HealthConfig config = config(CheckTiming.DEFAULT, "hq", "eu-west");
        probes.fail("eu-west", "nginx", "HTTP 502 (expected: 200)");
        HealthView before = start(config);
        assertEquals(HealthState.DOWN, state(before, "eu-west", "nginx"));
        timer.advance(Duration.ofMillis(100)); // the reload comes a little later
        // the replaced monitors stay open to the end: they share the manual timer, which close() stops
        List<HealthMonitor> replaced = new ArrayList<>(List.of(monitor));
        probes.heal("eu-west", "nginx");

        // same checks (a reload that changed something else): one success of rise 2 does not bring it back
        monitor = new HealthMonitor(
                config,
                HealthMonitor.carriedPairs(config, config, before),
                "ns1",
                timer.clock(),
                new Random(7),
                timer,
                Runnable::run,
                probes);
        HealthView first = monitor.start();
        CheckHealth nginx = first.pop("eu-west").orElseThrow().check("nginx").orElseThrow();
        assertEquals(HealthState.DOWN, nginx.state(), "1 success of rise 2 after the reload");
        assertEquals(T0, nginx.since(), "DOWN since before the reload");
        assertEquals(1, nginx.successes());
        advanceIntervals(1);
        assertEquals(HealthState.UP, state("eu-west", "nginx"), "the second success");
        replaced.add(monitor);

        // a changed check (other timing) or a moved PoP starts afresh: its first result decides
        probes.fail("eu-west", "nginx", "HTTP 502 (expected: 200)");
        monitor = monitor(config);
        HealthView downAgain = monitor.start();
        HealthConfig changed = new HealthConfig(List.of(
                pop("hq", CheckTiming.DEFAULT),
                new PopTarget(
                        "eu-west", "192.0.2.9", Optional.empty(), AdminState.ACTIVE, checks(CheckTiming.DEFAULT))));
        assertTrue(
                HealthMonitor.carriedPairs(changed, config, downAgain).keySet().stream()
                        .noneMatch(k -> k.startsWith("eu-west")),
                "another address: nothing carried for eu-west");
        assertEquals(2, HealthMonitor.carriedPairs(changed, config, downAgain).size(), "hq's two checks carried");
        HealthConfig otherTiming =
                config(new CheckTiming(INTERVAL, CheckTiming.DEFAULT.timeout(), 1, 1), "hq", "eu-west");
        assertTrue(HealthMonitor.carriedPairs(otherTiming, config, downAgain).isEmpty(), "every check changed");
        replaced.forEach(HealthMonitor::close);
    }

    @Test
    void aConsistentReaderNeverSeesAViewBeforeItsListenersRan() throws Exception {
        start(config(CheckTiming.DEFAULT, "hq", "eu-west"));
        java.util.concurrent.CountDownLatch inListener = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.atomic.AtomicLong heard =
                new java.util.concurrent.atomic.AtomicLong(monitor.view().version());
        monitor.addListener((view, changes) -> {
            inListener.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            heard.set(view.version());
        });
        Thread prober = new Thread(() -> timer.advance(INTERVAL), "prober");
        prober.start();
        try {
            assertTrue(inListener.await(5, java.util.concurrent.TimeUnit.SECONDS));
            assertTrue(monitor.view().version() > heard.get(), "a plain read already sees the new view");
            java.util.concurrent.CompletableFuture<Boolean> read = java.util.concurrent.CompletableFuture.supplyAsync(
                    () -> monitor.readConsistently(v -> v.version() == heard.get()));
            Thread.sleep(200);
            assertFalse(read.isDone(), "the consistent read waits while a listener runs");
            release.countDown();
            assertTrue(
                    read.get(5, java.util.concurrent.TimeUnit.SECONDS),
                    "and then sees only views its listeners have had");
        } finally {
            release.countDown();
            prober.join(5000);
        }
    }

    @Test
    void everyResultIsPublishedToListenersInOrder() throws InterruptedException {
        monitor = monitor(config(CheckTiming.DEFAULT, "hq", "eu-west"));
        monitor.addListener((view, changes) -> {
            published.add(view);
            events.addAll(changes);
        });
        monitor.addListener((view, changes) -> {
            throw new IllegalStateException("a broken listener");
        });
        monitor.start();
        advanceIntervals(3);

        assertEquals(4 * 4, published.size(), "4 pairs, the first round and 3 intervals");
        for (int i = 0; i < published.size(); i++) {
            assertEquals(i + 1, published.get(i).version());
        }
        assertSame(monitor.view(), published.get(published.size() - 1));
        long completed = events.stream()
                .filter(e -> e instanceof HealthEvent.ProbeCompleted)
                .count();
        assertEquals(16, completed);
        assertEquals(
                4,
                events.stream()
                        .filter(e -> e instanceof HealthEvent.StateChanged)
                        .count(),
                "the first results");
        assertEquals(
                16,
                RecordingLogs.matching("WARN HealthMonitor: health listener").size(),
                "a failing listener is logged and does not stop the others");
    }

    @Test
    void anOverrideWinsUntilItExpires() throws InterruptedException {
        start(config(CheckTiming.DEFAULT, "hq", "eu-west"));
        AdminOverride drain =
                new AdminOverride(AdminOverride.Action.DRAIN, T0.plus(Duration.ofMinutes(10)), "maintenance");
        monitor.override("eu-west", drain);
        assertEquals(
                Optional.of(drain), monitor.view().pop("eu-west").orElseThrow().override());
        assertFalse(monitor.view().pop("eu-west").orElseThrow().eligible(NEEDS));

        timer.advance(Duration.ofMinutes(10).minusMillis(1));
        assertFalse(monitor.view().pop("eu-west").orElseThrow().eligible(NEEDS), "not expired yet");
        timer.advance(Duration.ofMillis(1));
        assertEquals(
                Optional.empty(), monitor.view().pop("eu-west").orElseThrow().override());
        assertTrue(monitor.view().pop("eu-west").orElseThrow().eligible(NEEDS));
        assertEquals(
                1,
                RecordingLogs.matching("pop eu-west: override none -> DRAIN (set: DRAIN until "
                                + "2024-05-01T12:10:00Z, maintenance)")
                        .size());
        assertEquals(
                1,
                RecordingLogs.matching("pop eu-west: override DRAIN -> none (expired at "
                                + "2024-05-01T12:10:00Z, maintenance)")
                        .size());
    }

    @Test
    void forceUpServesADownPopAndClearing() throws InterruptedException {
        probes.fail("eu-west", "replica", "lag 40s (expected: at most 30s)");
        start(config(CheckTiming.DEFAULT, "hq", "eu-west"));
        PopHealth down = monitor.view().pop("eu-west").orElseThrow();
        assertFalse(down.eligible(NEEDS));

        monitor.override(
                "eu-west",
                new AdminOverride(AdminOverride.Action.FORCE_UP, T0.plusSeconds(60), "replica check broken"));
        assertTrue(monitor.view().pop("eu-west").orElseThrow().eligible(NEEDS));
        assertEquals(HealthState.DOWN, state("eu-west", "replica"), "the checks go on");

        assertTrue(monitor.clearOverride("eu-west", "fixed"));
        assertFalse(monitor.clearOverride("eu-west", "fixed"), "nothing left to clear");
        assertFalse(monitor.view().pop("eu-west").orElseThrow().eligible(NEEDS));
        assertEquals(
                1,
                RecordingLogs.matching("pop eu-west: override FORCE_UP -> none (cleared: fixed)")
                        .size());
    }

    @Test
    void overrideEventsFromOtherNodesApplyWhenNewerAndSayWhereTheyCameFrom() throws InterruptedException {
        start(config(CheckTiming.DEFAULT, "hq", "eu-west"));
        AdminOverride drain = new AdminOverride(AdminOverride.Action.DRAIN, T0.plusSeconds(600), "maintenance");
        OverrideEvent fromNs2 = new OverrideEvent("eu-west", Optional.of(drain), T0.minusSeconds(1), "ns2");

        assertTrue(monitor.apply(fromNs2));
        assertEquals(
                Optional.of(drain), monitor.view().pop("eu-west").orElseThrow().override());
        assertEquals(Optional.of(fromNs2), monitor.view().overrideEvent(1));
        assertFalse(monitor.apply(fromNs2), "the same event again changes nothing");
        assertEquals(
                1,
                RecordingLogs.matching(
                                "pop eu-west: override none -> DRAIN (from ns2 at 2024-05-01T11:59:59Z: drain until "
                                        + "2024-05-01T12:10:00Z (maintenance))")
                        .size());

        OverrideEvent olderClear = new OverrideEvent("eu-west", Optional.empty(), T0.minusSeconds(2), "ns3");
        assertFalse(monitor.apply(olderClear), "an older clear loses");
        assertEquals(
                Optional.of(drain), monitor.view().pop("eu-west").orElseThrow().override());

        timer.advance(Duration.ofSeconds(5));
        assertTrue(monitor.clearOverride("eu-west", "done"));
        OverrideEvent localClear = monitor.view().overrideEvent(1).orElseThrow();
        assertEquals(new OverrideEvent("eu-west", Optional.empty(), T0.plusSeconds(5), "local"), localClear);
        assertFalse(monitor.apply(fromNs2), "the local clear is newer than ns2's drain");

        OverrideEvent expired = new OverrideEvent(
                "eu-west",
                Optional.of(new AdminOverride(AdminOverride.Action.FORCE_UP, T0.plusSeconds(5), "short")),
                T0.plusSeconds(6),
                "ns3");
        assertTrue(monitor.apply(expired), "a newer event is recorded even when its override has expired");
        assertEquals(
                Optional.empty(), monitor.view().pop("eu-west").orElseThrow().override());
        assertEquals(Optional.of(expired), monitor.view().overrideEvent(1));

        OverrideEvent tie = new OverrideEvent("eu-west", Optional.of(drain), T0.plusSeconds(6), "ns4");
        assertTrue(monitor.apply(tie), "same instant: the greater origin wins, on every node alike");
        assertEquals(
                Optional.of(drain), monitor.view().pop("eu-west").orElseThrow().override());
        timer.advance(Duration.ofSeconds(600));
        assertEquals(
                Optional.empty(), monitor.view().pop("eu-west").orElseThrow().override(), "its expiry travelled");
        assertEquals(Optional.of(tie), monitor.view().overrideEvent(1), "an expiry is no event");
    }

    @Test
    void aReplacedOverrideKeepsItsOwnExpiry() throws InterruptedException {
        start(config(CheckTiming.DEFAULT, "hq", "eu-west"));
        monitor.override("eu-west", new AdminOverride(AdminOverride.Action.DRAIN, T0.plusSeconds(60), "first"));
        AdminOverride second = new AdminOverride(AdminOverride.Action.FORCE_UP, T0.plusSeconds(600), "second");
        monitor.override("eu-west", second);
        timer.advance(Duration.ofSeconds(61));
        assertEquals(
                Optional.of(second),
                monitor.view().pop("eu-west").orElseThrow().override(),
                "the first override's expiry does not remove the second");
        timer.advance(Duration.ofSeconds(540));
        assertEquals(
                Optional.empty(), monitor.view().pop("eu-west").orElseThrow().override());
    }

    @Test
    void configuredDrainIsNotServedUnlessForcedUp() throws InterruptedException {
        PopTarget drained =
                new PopTarget("eu-west", "192.0.2.4", Optional.empty(), AdminState.DRAIN, checks(CheckTiming.DEFAULT));
        start(new HealthConfig(List.of(pop("hq", CheckTiming.DEFAULT), drained)));
        PopHealth pop = monitor.view().pop("eu-west").orElseThrow();
        assertEquals(HealthState.UP, state("eu-west", "nginx"), "a drained PoP is still probed");
        assertFalse(pop.eligible(NEEDS));
        monitor.override("eu-west", new AdminOverride(AdminOverride.Action.FORCE_UP, T0.plusSeconds(60), "need it"));
        assertTrue(monitor.view().pop("eu-west").orElseThrow().eligible(NEEDS));
    }

    @Test
    void overridesAreValidated() throws InterruptedException {
        start(config(CheckTiming.DEFAULT, "hq", "eu-west"));
        IllegalArgumentException past = assertThrows(
                IllegalArgumentException.class,
                () -> monitor.override(
                        "eu-west", new AdminOverride(AdminOverride.Action.DRAIN, T0.minusSeconds(1), "too late")));
        assertEquals("expires: 2024-05-01T11:59:59Z (expected: after now, 2024-05-01T12:00:00Z)", past.getMessage());
        IllegalArgumentException unknown = assertThrows(
                IllegalArgumentException.class,
                () -> monitor.override(
                        "mars", new AdminOverride(AdminOverride.Action.DRAIN, T0.plusSeconds(1), "far away")));
        assertEquals("pop: 'mars' (expected: one of [hq, eu-west])", unknown.getMessage());
        IllegalArgumentException blank = assertThrows(
                IllegalArgumentException.class, () -> new AdminOverride(AdminOverride.Action.DRAIN, T0, " "));
        assertEquals("reason: ' ' (expected: a non-blank string)", blank.getMessage());
    }

    @Test
    void aCutOffProberKeepsTheLastKnownStates() throws InterruptedException {
        start(config(CheckTiming.DEFAULT, "hq", "eu-west", "us-east"));
        probes.failEverywhere("connect: Network is unreachable");
        advanceIntervals(1);
        HealthView cut = monitor.view();
        assertTrue(cut.cutOff(), "every pair failed within one interval");
        Instant since = cut.cutOffSince().orElseThrow();
        advanceIntervals(10);
        for (PopHealth pop : monitor.view().pops()) {
            for (CheckHealth check : pop.checks()) {
                assertEquals(HealthState.UP, check.state(), pop.id() + "/" + check.check());
                assertEquals(T0, check.since());
                assertEquals(
                        Optional.of("connect: Network is unreachable"),
                        check.lastError(),
                        "results are still recorded");
            }
        }
        assertEquals(since, monitor.view().cutOffSince().orElseThrow());
        assertEquals(
                1,
                RecordingLogs.matching("ERROR HealthMonitor: prober cut off raised")
                        .size());
        assertEquals(List.of(), RecordingLogs.matching("-> DOWN"));

        // hq's nginx answers again: the alarm clears and the others are judged afresh.
        probes.failEverywhere(null);
        for (String pop : List.of("hq", "eu-west", "us-east")) {
            for (String check : NEEDS) {
                if (!(pop.equals("hq") && check.equals("nginx"))) {
                    probes.fail(pop, check, "connect: Connection refused");
                }
            }
        }
        advanceIntervals(1);
        assertFalse(monitor.view().cutOff());
        assertEquals(
                1,
                RecordingLogs.matching("WARN HealthMonitor: prober cut off cleared (pop hq check nginx answered")
                        .size());
        advanceIntervals(1);
        assertEquals(HealthState.UP, state("eu-west", "nginx"), "at most 2 fresh failures: the old ones do not count");
        advanceIntervals(2);
        assertEquals(HealthState.DOWN, state("eu-west", "nginx"));
        assertEquals(HealthState.UP, state("hq", "nginx"));
        assertFalse(monitor.view().cutOff(), "hq keeps answering");
    }

    @Test
    void pairsThatFellBeforeTheAlarmGetTheirStateBack() throws InterruptedException {
        // With fall 1 each of the first three pairs to fail falls at once; the fourth raises the alarm.
        start(config(CheckTiming.DEFAULT.withFall(1), "hq", "eu-west"));
        probes.failEverywhere("connect: Network is unreachable");
        advanceIntervals(1);
        assertTrue(monitor.view().cutOff());
        assertEquals(
                3,
                RecordingLogs.matching(": UP -> DOWN (1 failure (fall 1)").size(),
                RecordingLogs.lines().toString());
        assertEquals(
                3,
                RecordingLogs.matching(": DOWN -> UP (prober cut off: back to the state before the failures)")
                        .size());
        for (PopHealth pop : monitor.view().pops()) {
            for (CheckHealth check : pop.checks()) {
                assertEquals(HealthState.UP, check.state(), pop.id() + "/" + check.check());
                assertEquals(T0, check.since(), "since is the old one too");
            }
        }
        advanceIntervals(5);
        assertEquals(3, RecordingLogs.matching(": UP -> DOWN").size(), "no change while cut off");
    }

    @Test
    void onePopDownIsNotACutOff() throws InterruptedException {
        start(config(CheckTiming.DEFAULT, "hq", "eu-west", "us-east"));
        probes.fail("eu-west", "nginx", "connect: Connection refused");
        probes.fail("eu-west", "replica", "connect: Connection refused");
        advanceIntervals(5);
        assertFalse(monitor.view().cutOff());
        assertEquals(HealthState.DOWN, state("eu-west", "nginx"));
        assertEquals(HealthState.DOWN, state("eu-west", "replica"));
    }

    @Test
    void aSinglePopIsJudgedNormally() throws InterruptedException {
        start(config(CheckTiming.DEFAULT, "hq"));
        probes.failEverywhere("connect: Network is unreachable");
        advanceIntervals(3);
        assertFalse(monitor.view().cutOff(), "nothing to compare with");
        assertEquals(HealthState.DOWN, state("hq", "nginx"));
    }

    @Test
    void aFirstRoundWithoutAnyAnswerIsCutOffWithNothingToKeep() throws InterruptedException {
        probes.failEverywhere("connect: Network is unreachable");
        HealthView first = start(config(CheckTiming.DEFAULT, "hq", "eu-west"));
        assertTrue(first.cutOff());
        assertEquals(HealthState.DOWN, state(first, "hq", "nginx"), "no state was known before");
        probes.failEverywhere(null);
        advanceIntervals(2);
        assertFalse(monitor.view().cutOff());
        assertEquals(HealthState.UP, state("hq", "nginx"));
    }

    @Test
    void closeStopsProbingAndTheTimer() throws InterruptedException {
        start(config(CheckTiming.DEFAULT, "hq", "eu-west"));
        monitor.close();
        int calls = probes.calls("hq", "nginx");
        timer.advance(Duration.ofSeconds(10));
        assertEquals(calls, probes.calls("hq", "nginx"));
        assertThrows(
                IllegalStateException.class,
                () -> monitor.override(
                        "hq", new AdminOverride(AdminOverride.Action.DRAIN, T0.plusSeconds(60), "late")));
    }

    private HealthView start(HealthConfig config) throws InterruptedException {
        monitor = monitor(config);
        return monitor.start();
    }

    private HealthMonitor monitor(HealthConfig config) {
        return new HealthMonitor(config, timer.clock(), new Random(7), timer, Runnable::run, probes);
    }

    private void advanceIntervals(int count) {
        for (int i = 0; i < count; i++) {
            timer.advance(INTERVAL);
        }
    }

    private HealthState state(String pop, String check) {
        return state(monitor.view(), pop, check);
    }

    private CheckHealth check(String pop, String check) {
        return monitor.view().pop(pop).orElseThrow().check(check).orElseThrow();
    }

    private static HealthState state(HealthView view, String pop, String check) {
        return view.pop(pop).orElseThrow().check(check).orElseThrow().state();
    }

    static HealthConfig config(CheckTiming timing, String... ids) {
        List<PopTarget> pops = new ArrayList<>();
        for (String id : ids) {
            pops.add(pop(id, timing));
        }
        return new HealthConfig(pops);
    }

    private static PopTarget pop(String id, CheckTiming timing) {
        return PopTarget.of(id, "192.0.2.1", checks(timing));
    }

    private static List<CheckConfig> checks(CheckTiming timing) {
        return List.of(
                new CheckConfig("nginx", HttpSpec.of("https://{address}/").withHost("hachyderm.io"), timing),
                new CheckConfig("replica", ReplicaSpec.of("//{address}:5432/mastodon_production", "popdns"), timing));
    }
}
