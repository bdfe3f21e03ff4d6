package dev.popdns.health;

import java.time.Duration;

/**
 * Runs short tasks later or periodically, on one thread: the probe ticks, the probe watchdogs
 * and the override expiries. Tasks must not block; they only dispatch or record. Production uses
 * {@link ScheduledTaskTimer}; tests drive a manual timer on fake time.
 */
interface TaskTimer extends AutoCloseable {
    /** Cancels a scheduled task; harmless when it already ran. */
    interface Handle {
        void cancel();
    }

    Handle schedule(Runnable task, Duration delay);

    /** Runs {@code task} after {@code initialDelay}, then every {@code period} without drift. */
    Handle scheduleAtFixedRate(Runnable task, Duration initialDelay, Duration period);

    /** Drops every pending task; nothing runs afterwards. */
    @Override
    void close();
}
