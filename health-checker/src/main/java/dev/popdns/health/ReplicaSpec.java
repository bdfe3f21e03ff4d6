package dev.popdns.health;

import java.time.Duration;
import java.util.Optional;

/**
 * A {@code postgres-replica} check: the PoP's PostgreSQL read replica is streaming and not too
 * far behind.
 *
 * <p>DOWN when the server is not in recovery ({@code pg_is_in_recovery()} is false: a primary
 * or a promoted replica), when its WAL receiver is not streaming ({@code pg_stat_wal_receiver}
 * has no row or a status other than {@code streaming}), or when the lag exceeds
 * {@code maxLag}. The lag is zero when everything received has been replayed
 * ({@code pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn()}), else
 * {@code now() - pg_last_xact_replay_timestamp()}: an idle primary writes no transactions, so
 * the timestamp alone would grow without any lag. The user needs the {@code pg_monitor} role (or
 * {@code pg_read_all_stats}) to see the WAL receiver's status.
 *
 * @param url pgjdbc URL without {@code jdbc:postgresql:}, such as
 *     {@code //{address}:5432/mastodon_production} ({@code {address}}: the PoP's address)
 * @param user the role to log in as
 * @param password where the password is read; absent: none is sent
 * @param maxLag the largest lag still UP, 100ms..24h (default 30s)
 */
public record ReplicaSpec(String url, String user, Optional<PasswordSource> password, Duration maxLag)
        implements ProbeSpec {
    public static final Duration DEFAULT_MAX_LAG = Duration.ofSeconds(30);
    public static final Duration MIN_MAX_LAG = Duration.ofMillis(100);
    public static final Duration MAX_MAX_LAG = Duration.ofHours(24);

    /**
     * Validates every field.
     *
     * @throws IllegalArgumentException such as {@code "max-lag: 0s (expected: 100ms..24h)"}
     */
    public ReplicaSpec {
        Validation.requireText("postgres-replica", url);
        if (!url.startsWith("//") || url.length() == 2) {
            throw new IllegalArgumentException("postgres-replica: '" + url
                    + "' (expected: a pgjdbc URL without jdbc:postgresql:, like //{address}:5432/mastodon_production)");
        }
        Validation.requireText("user", user);
        Validation.requirePresent("password", password);
        Validation.requireRange("max-lag", maxLag, MIN_MAX_LAG, MAX_MAX_LAG);
    }

    /** A check of {@code url} as {@code user} without password and with the default max-lag. */
    public static ReplicaSpec of(String url, String user) {
        return new ReplicaSpec(url, user, Optional.empty(), DEFAULT_MAX_LAG);
    }

    /** A copy reading the password from {@code source}; validates like the constructor. */
    public ReplicaSpec withPassword(PasswordSource source) {
        return new ReplicaSpec(url, user, Optional.of(source), maxLag);
    }

    /** A copy with another max-lag; validates like the constructor. */
    public ReplicaSpec withMaxLag(Duration newMaxLag) {
        return new ReplicaSpec(url, user, password, newMaxLag);
    }
}
