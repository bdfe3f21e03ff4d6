package dev.popdns.health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Queue;
import java.util.Random;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** The scheduler on fake time: a manual timer, probes run on the test's thread or held back. */
class ProbeSchedulerTest {
    private static final Instant T0 = Instant.parse("2024-05-01T12:00:00Z");
    private static final CheckTiming EVERY_SECOND =
            new CheckTiming(Duration.ofSeconds(1), Duration.ofMillis(500), 2, 3);
    private static final CheckTiming EVERY_3_SECONDS =
            new CheckTiming(Duration.ofSeconds(3), Duration.ofSeconds(1), 2, 3);

    private final ManualTimer timer = new ManualTimer(T0);
    private final List<String> reports = new ArrayList<>();
    private final List<ProbeResult> results = new ArrayList<>();

    @Test
    void jitterOffsetsComeFromTheSeededRandomInConfigurationOrder() throws InterruptedException {
        List<ProbeScheduler.Job> jobs =
                List.of(job(0, "a", EVERY_SECOND), job(1, "b", EVERY_SECOND), job(2, "c", EVERY_3_SECONDS));
        ProbeScheduler scheduler = scheduler(jobs, Runnable::run, new Random(42));
        scheduler.runFirstRound();
        assertEquals(List.of("a@0", "b@0", "c@0"), reports, "the first round runs every pair at once");
        reports.clear();
        scheduler.start();
        timer.advance(Duration.ofSeconds(9));

        Random expected = new Random(42);
        long[] offsets = {
            expected.nextLong(1_000_000_000L), expected.nextLong(1_000_000_000L), expected.nextLong(3_000_000_000L)
        };
        assertNotEquals(offsets[0], offsets[1], "pairs with one interval still start apart");
        for (int i = 0; i < jobs.size(); i++) {
            ProbeScheduler.Job job = jobs.get(i);
            List<String> runs = new ArrayList<>();
            long interval = job.timing().interval().toNanos();
            for (long at = offsets[i]; at <= Duration.ofSeconds(9).toNanos(); at += interval) {
                runs.add(job.check() + "@" + at);
            }
            assertEquals(runs, runsOf(job.check()), "runs of " + job.check());
        }
        assertEquals(9 + 9 + 3, reports.size(), "each pair once per interval");
    }

    @Test
    void anotherSeedGivesAnotherSchedule() throws InterruptedException {
        assertNotEquals(firstTicks(1), firstTicks(2));
        assertEquals(firstTicks(3), firstTicks(3));
    }

    @Test
    void aGoodAnswerSlowerThanTheTimeoutIsAFailure() throws InterruptedException {
        ProbeScheduler.Job slow = new ProbeScheduler.Job(
                0,
                "hq",
                "slow",
                EVERY_SECOND,
                () -> new ProbeResult.Up(timer.now(), Duration.ofMillis(650), Optional.empty()));
        ProbeScheduler scheduler = scheduler(List.of(slow), Runnable::run, new Random(1));
        scheduler.runFirstRound();
        ProbeResult result = results.get(0);
        assertInstanceOf(ProbeResult.Down.class, result, "650ms against a 500ms timeout");
        assertEquals("answered in 650ms, over the timeout of 500ms", ((ProbeResult.Down) result).reason());
    }

    @Test
    void aHangingProbeNeverDelaysAnother() throws InterruptedException {
        HoldingExecutor executor = new HoldingExecutor("hang");
        ProbeScheduler scheduler =
                scheduler(List.of(job(0, "hang", EVERY_SECOND), job(1, "fine", EVERY_SECOND)), executor, new Random(1));
        scheduler.runFirstRound(); // "hang" is held: its watchdog reports it after 500ms + 200ms grace
        scheduler.start();
        timer.advance(Duration.ofSeconds(5));

        assertEquals(6, runsOf("fine").size(), "the other pair ran in the first round and every second");
        List<String> hang = reasonsOf("hang");
        assertEquals("timed out after 500ms (no result, probe interrupted)", hang.get(0));
        assertTrue(hang.size() >= 4, "every tick reports: " + hang);
        for (String later : hang.subList(1, hang.size())) {
            assertTrue(later.startsWith("previous probe still running since " + T0), later);
        }

        int before = results.size();
        executor.release(); // the stuck probe finally returns: too late, dropped
        assertEquals(before, results.size(), "a late result is dropped");
        timer.advance(Duration.ofSeconds(1));
        assertEquals(1, executor.held(), "the next tick starts a new run");
    }

    @Test
    void aProbeThatThrowsIsReportedDown() throws InterruptedException {
        ProbeScheduler.Job job = new ProbeScheduler.Job(0, "hq", "broken", EVERY_SECOND, () -> {
            throw new IllegalStateException("bug in a probe");
        });
        scheduler(List.of(job), Runnable::run, new Random(1)).runFirstRound();
        assertEquals(List.of("probe failed: java.lang.IllegalStateException: bug in a probe"), reasonsOf("broken"));
    }

    @Test
    void theFirstRoundIsBoundedByTheLongestTimeout() throws InterruptedException {
        CheckTiming shortTimeout = new CheckTiming(Duration.ofSeconds(1), Duration.ofMillis(50), 2, 3);
        ProbeScheduler scheduler = scheduler(
                List.of(job(0, "hang", shortTimeout), job(1, "fine", shortTimeout)),
                new HoldingExecutor("hang"),
                new Random(1));
        long start = System.nanoTime();
        scheduler.runFirstRound(); // nobody advances the manual timer: the bound itself must end the wait
        Duration waited = Duration.ofNanos(System.nanoTime() - start);
        assertTrue(
                waited.compareTo(Duration.ofMillis(440)) >= 0 && waited.compareTo(Duration.ofSeconds(3)) < 0,
                "waited " + waited + " (expected: 50ms + 2 x 200ms)");
        assertEquals(List.of("timed out after 50ms (no result, probe interrupted)"), reasonsOf("hang"));
        assertEquals(1, runsOf("fine").size());
    }

    @Test
    void closeStopsTicking() throws InterruptedException {
        ProbeScheduler scheduler = scheduler(List.of(job(0, "a", EVERY_SECOND)), Runnable::run, new Random(1));
        scheduler.runFirstRound();
        scheduler.start();
        timer.advance(Duration.ofSeconds(2));
        int before = reports.size();
        scheduler.close();
        timer.advance(Duration.ofSeconds(5));
        assertEquals(before, reports.size());
    }

    private List<String> firstTicks(long seed) throws InterruptedException {
        reports.clear();
        ManualTimer own = new ManualTimer(T0);
        List<String> seen = new ArrayList<>();
        List<ProbeScheduler.Job> jobs = List.of(job(0, "a", EVERY_SECOND), job(1, "b", EVERY_SECOND));
        ProbeScheduler scheduler = new ProbeScheduler(
                jobs,
                own,
                Runnable::run,
                own.clock(),
                new Random(seed),
                (job, result) -> seen.add(
                        job.check() + "@" + Duration.between(T0, own.now()).toNanos()));
        scheduler.start();
        own.advance(Duration.ofSeconds(1));
        return seen;
    }

    private ProbeScheduler scheduler(List<ProbeScheduler.Job> jobs, Executor executor, Random random) {
        return new ProbeScheduler(jobs, timer, executor, timer.clock(), random, (job, result) -> {
            reports.add(job.check() + "@" + Duration.between(T0, timer.now()).toNanos());
            results.add(result);
        });
    }

    private ProbeScheduler.Job job(int pair, String check, CheckTiming timing) {
        Supplier<ProbeResult> probe = () -> new ProbeResult.Up(timer.now(), Duration.ofMillis(1), Optional.empty());
        return new ProbeScheduler.Job(pair, "hq", check, timing, probe);
    }

    private List<String> runsOf(String check) {
        List<String> runs = new ArrayList<>();
        for (String report : reports) {
            if (report.startsWith(check + "@")) {
                runs.add(report);
            }
        }
        return runs;
    }

    private List<String> reasonsOf(String check) {
        List<String> reasons = new ArrayList<>();
        for (int i = 0; i < reports.size(); i++) {
            if (reports.get(i).startsWith(check + "@")) {
                reasons.add(
                        assertInstanceOf(ProbeResult.Down.class, results.get(i)).reason());
            }
        }
        return reasons;
    }

    /** Runs every probe at once on the caller's thread, except those of one check, which it holds. */
    private static final class HoldingExecutor implements Executor {
        private final String heldCheck;
        private final Queue<Runnable> held = new ArrayDeque<>();

        HoldingExecutor(String heldCheck) {
            this.heldCheck = heldCheck;
        }

        @Override
        public void execute(Runnable run) {
            // A run names its pair: "probe run of hq/hang started ..."
            if (run.toString().contains("/" + heldCheck + " ")) {
                held.add(run);
            } else {
                run.run();
            }
        }

        int held() {
            return held.size();
        }

        void release() {
            while (!held.isEmpty()) {
                held.poll().run();
            }
        }
    }
}
