package dev.popdns.health;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.PriorityQueue;

/**
 * A {@link TaskTimer} on fake time, with the {@link Clock} that goes with it: nothing happens
 * until a test calls {@link #advance}, which runs the due tasks in time order on the test's
 * thread, moving the clock to each task's time first.
 */
final class ManualTimer implements TaskTimer {
    private final PriorityQueue<Task> queue = new PriorityQueue<>();
    private Instant now;
    private long sequence;
    private boolean closed;

    ManualTimer(Instant start) {
        this.now = start;
    }

    /** A clock that reads this timer's time. */
    Clock clock() {
        return new Clock() {
            @Override
            public ZoneId getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(ZoneId zone) {
                throw new UnsupportedOperationException("fake clock is UTC only");
            }

            @Override
            public Instant instant() {
                return now;
            }
        };
    }

    Instant now() {
        return now;
    }

    /** Moves time forward by {@code step}, running every task due on the way. */
    void advance(Duration step) {
        Instant end = now.plus(step);
        while (!queue.isEmpty() && !queue.peek().due.isAfter(end)) {
            Task task = queue.poll();
            if (task.cancelled) {
                continue;
            }
            now = task.due;
            if (task.period != null) {
                task.due = task.due.plus(task.period);
                queue.add(task);
            }
            task.action.run();
        }
        now = end;
    }

    @Override
    public Handle schedule(Runnable task, Duration delay) {
        return add(task, delay, null);
    }

    @Override
    public Handle scheduleAtFixedRate(Runnable task, Duration initialDelay, Duration period) {
        return add(task, initialDelay, period);
    }

    @Override
    public void close() {
        closed = true;
        queue.clear();
    }

    private Handle add(Runnable action, Duration delay, Duration period) {
        if (closed) {
            throw new IllegalStateException("manual timer closed");
        }
        Task task = new Task(action, now.plus(delay), period, sequence++);
        queue.add(task);
        return () -> task.cancelled = true;
    }

    private static final class Task implements Comparable<Task> {
        final Runnable action;
        final Duration period;
        final long sequence;
        Instant due;
        boolean cancelled;

        Task(Runnable action, Instant due, Duration period, long sequence) {
            this.action = action;
            this.due = due;
            this.period = period;
            this.sequence = sequence;
        }

        @Override
        public int compareTo(Task other) {
            int byTime = due.compareTo(other.due);
            return byTime != 0 ? byTime : Long.compare(sequence, other.sequence);
        }
    }
}
