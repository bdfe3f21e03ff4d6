package dev.popdns.health;

import java.time.Duration;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The production {@link TaskTimer}: one daemon platform thread, {@code popdns-health-timer},
 * over a {@link ScheduledThreadPoolExecutor} (monotonic time, cancelled tasks removed at once).
 */
final class ScheduledTaskTimer implements TaskTimer {
    private final ScheduledThreadPoolExecutor executor;

    ScheduledTaskTimer() {
        executor = new ScheduledThreadPoolExecutor(1, task -> {
            Thread thread = new Thread(task, "popdns-health-timer");
            thread.setDaemon(true);
            return thread;
        });
        executor.setRemoveOnCancelPolicy(true);
        executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        executor.setContinueExistingPeriodicTasksAfterShutdownPolicy(false);
    }

    @Override
    public Handle schedule(Runnable task, Duration delay) {
        var future = executor.schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS);
        return () -> future.cancel(false);
    }

    @Override
    public Handle scheduleAtFixedRate(Runnable task, Duration initialDelay, Duration period) {
        var future = executor.scheduleAtFixedRate(task, initialDelay.toNanos(), period.toNanos(), TimeUnit.NANOSECONDS);
        return () -> future.cancel(false);
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
