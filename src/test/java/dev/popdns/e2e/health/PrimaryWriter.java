package dev.popdns.e2e.health;

import dev.popdns.health.PostgresPair;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

/**
 * Inserts a row into the primary's {@code ticks} table every {@code every} on a thread of its
 * own, until closed or for at most {@code limit}, so a replica that stops replaying falls behind.
 * {@link #close()} stops it and reports a failed write.
 */
public final class PrimaryWriter implements AutoCloseable {
    private final Thread thread;
    private volatile boolean writing = true;
    private volatile Exception failure;

    private PrimaryWriter(PostgresPair primary, Duration every, Duration limit) {
        long deadline = System.nanoTime() + limit.toNanos();
        thread = Thread.ofPlatform().name("primary-writer").daemon().start(() -> {
            try (Connection connection = primary.primary();
                    Statement statement = connection.createStatement()) {
                while (writing && System.nanoTime() < deadline) {
                    statement.execute("INSERT INTO ticks DEFAULT VALUES");
                    Thread.sleep(every);
                }
            } catch (SQLException e) {
                failure = e;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    public static PrimaryWriter start(PostgresPair primary, Duration every, Duration limit) {
        return new PrimaryWriter(primary, every, limit);
    }

    /** Stops writing; fails when a write failed. */
    @Override
    public void close() {
        writing = false;
        try {
            thread.join(Duration.ofSeconds(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (failure != null) {
            throw new AssertionError("writing to the primary failed: " + failure, failure);
        }
    }
}
