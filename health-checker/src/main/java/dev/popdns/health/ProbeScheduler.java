package dev.popdns.health;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs every (PoP, check) pair on its own interval and reports exactly one result per run.
 *
 * <p><b>Threads.</b> A {@link TaskTimer} (one platform thread in production) fires the ticks and
 * the watchdogs; it never runs a probe. Each tick hands the probe to the executor (a new virtual
 * thread per run in production), so a probe blocked in I/O holds only its own virtual thread and
 * never delays another pair. At most one run per pair is in flight, so at most one thread per
 * pair exists at any time.
 *
 * <p><b>Jitter.</b> After the first round, pair {@code i} starts at a random offset in
 * {@code [0, interval)} drawn from the injected {@link Random} in configuration order (so a seed
 * gives the same schedule), then runs every {@code interval} at a fixed rate.
 *
 * <p><b>Failure.</b> A run that has not reported {@code timeout + 200ms} after it started is
 * reported DOWN by its watchdog ("timed out") and its thread is interrupted (which closes a
 * socket a virtual thread is blocked on); its late result, if any, is dropped. A tick that finds
 * the previous run still going after its watchdog fired reports DOWN ("still running") and starts
 * nothing. A probe that throws is reported DOWN with the exception. Results go to the sink on the
 * probe's thread or the timer thread.
 */
final class ProbeScheduler implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ProbeScheduler.class);

    /** Time a probe gets beyond its timeout before its watchdog reports it. */
    static final Duration GRACE = Duration.ofMillis(200);

    /** One pair: {@code pair} indexes the scheduler's job list. */
    record Job(int pair, String pop, String check, CheckTiming timing, Supplier<ProbeResult> probe) {}

    /** Receives each run's single result. */
    @FunctionalInterface
    interface ResultSink {
        void accept(Job job, ProbeResult result);
    }

    private final List<Slot> slots;
    private final TaskTimer timer;
    private final Executor executor;
    private final Clock clock;
    private final Random random;
    private final ResultSink sink;
    private final List<TaskTimer.Handle> ticks = new ArrayList<>();
    private volatile boolean closed;

    ProbeScheduler(List<Job> jobs, TaskTimer timer, Executor executor, Clock clock, Random random, ResultSink sink) {
        this.slots = new ArrayList<>(jobs.size());
        for (Job job : jobs) {
            slots.add(new Slot(job));
        }
        this.timer = timer;
        this.executor = executor;
        this.clock = clock;
        this.random = random;
        this.sink = sink;
    }

    /**
     * Probes every pair once, all at the same time, and returns when each has reported: at most
     * the longest timeout plus twice {@link #GRACE} later, as watchdogs report stragglers and
     * any run still unreported then is reported DOWN here.
     */
    void runFirstRound() throws InterruptedException {
        CountDownLatch reported = new CountDownLatch(slots.size());
        Duration longest = Duration.ZERO;
        for (Slot slot : slots) {
            slot.tick(reported);
            if (slot.job.timing().timeout().compareTo(longest) > 0) {
                longest = slot.job.timing().timeout();
            }
        }
        long boundNanos = longest.plus(GRACE).plus(GRACE).toNanos();
        if (!reported.await(boundNanos, TimeUnit.NANOSECONDS)) {
            for (Slot slot : slots) {
                Run run = slot.current.get();
                if (run != null) {
                    run.expire();
                }
            }
        }
    }

    /**
     * Starts the periodic runs, each pair at its random offset; call once, after the first round,
     * and not at the same time as {@link #close()}.
     */
    void start() {
        for (Slot slot : slots) {
            Duration interval = slot.job.timing().interval();
            Duration offset = Duration.ofNanos(random.nextLong(interval.toNanos()));
            ticks.add(timer.scheduleAtFixedRate(
                    () -> {
                        try {
                            slot.tick(null);
                        } catch (RuntimeException e) {
                            // A periodic task that throws is never run again: log and keep ticking.
                            LOG.error("pop {} check {}: tick failed", slot.job.pop(), slot.job.check(), e);
                        }
                    },
                    offset,
                    interval));
        }
    }

    /** Stops ticking; runs in flight may still report until the executor is shut down. */
    @Override
    public void close() {
        closed = true;
        for (TaskTimer.Handle tick : ticks) {
            tick.cancel();
        }
    }

    private final class Slot {
        final Job job;
        final AtomicReference<Run> current = new AtomicReference<>();

        Slot(Job job) {
            this.job = job;
        }

        /** Starts a run unless one is in flight; counts {@code reported} down once it reported. */
        void tick(CountDownLatch reported) {
            if (closed) {
                return;
            }
            Run previous = current.get();
            if (previous != null) {
                // Only after its watchdog fired: before that it is a run within its time.
                if (previous.reported.get()) {
                    Instant now = clock.instant();
                    String reason = "previous probe still running since " + previous.started + ", none started";
                    sink.accept(job, new ProbeResult.Down(now, Duration.ZERO, reason, Optional.empty()));
                }
                return;
            }
            Run run = new Run(this, clock.instant(), reported);
            current.set(run);
            try {
                run.watchdog =
                        timer.schedule(run::expire, job.timing().timeout().plus(GRACE));
                executor.execute(run);
            } catch (RejectedExecutionException e) {
                // Only while closing: the timer or the executor is shut down.
                if (run.watchdog != null) {
                    run.watchdog.cancel();
                }
                current.set(null);
                if (!closed) {
                    LOG.error("pop {} check {}: cannot start a probe: {}", job.pop(), job.check(), e.toString());
                }
            }
        }
    }

    private final class Run implements Runnable {
        final Slot slot;
        final Instant started;
        final CountDownLatch reportedLatch;
        final AtomicBoolean reported = new AtomicBoolean();
        volatile TaskTimer.Handle watchdog;
        volatile Thread thread;

        Run(Slot slot, Instant started, CountDownLatch reportedLatch) {
            this.slot = slot;
            this.started = started;
            this.reportedLatch = reportedLatch;
        }

        @Override
        public void run() {
            thread = Thread.currentThread();
            ProbeResult result;
            try {
                result = slot.job.probe().get();
            } catch (RuntimeException e) {
                result = new ProbeResult.Down(
                        started,
                        Duration.between(started, clock.instant()),
                        Reasons.clean("probe failed: " + e, null),
                        Optional.empty());
            } finally {
                thread = null;
            }
            Duration timeout = slot.job.timing().timeout();
            if (result instanceof ProbeResult.Up up && up.latency().compareTo(timeout) > 0) {
                // docs/DESIGN.md "Health semantics": a timeout is a failure, even when the answer was good and came
                // before the watchdog
                result = new ProbeResult.Down(
                        up.at(),
                        up.latency(),
                        "answered in " + Durations.format(up.latency()) + ", over the timeout of "
                                + Durations.format(timeout),
                        up.lag());
            }
            if (reported.compareAndSet(false, true)) {
                watchdog.cancel();
                report(result);
            }
            slot.current.compareAndSet(this, null);
        }

        /** The watchdog: reports the run DOWN unless it already reported, and interrupts it. */
        void expire() {
            if (reported.compareAndSet(false, true)) {
                Duration timeout = slot.job.timing().timeout();
                String reason = "timed out after " + Durations.format(timeout) + " (no result, probe interrupted)";
                report(new ProbeResult.Down(
                        started, Duration.between(started, clock.instant()), reason, Optional.empty()));
                Thread running = thread;
                if (running != null) {
                    // A virtual thread per run: the thread is never reused, so this reaches only this probe.
                    running.interrupt();
                }
            }
        }

        @Override
        public String toString() {
            return "probe run of " + slot.job.pop() + "/" + slot.job.check() + " started " + started;
        }

        private void report(ProbeResult result) {
            if (!closed) {
                sink.accept(slot.job, result);
            }
            if (reportedLatch != null) {
                reportedLatch.countDown();
            }
        }
    }
}
