package dev.popdns.health;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
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
 * @param sslMode pgjdbc's {@code sslmode} (one of {@link #SSL_MODES}); absent: the driver's default,
 *     {@code prefer}, which encrypts when the server offers TLS but checks no certificate
 * @param sslRootCert pgjdbc's {@code sslrootcert}: the CA certificate(s) the server's certificate
 *     must chain to under {@code verify-ca} and {@code verify-full}; absent: the driver's default
 *     ({@code ~/.postgresql/root.crt})
 */
public record ReplicaSpec(
        String url,
        String user,
        Optional<PasswordSource> password,
        Duration maxLag,
        Optional<String> sslMode,
        Optional<Path> sslRootCert)
        implements ProbeSpec {
    /** pgjdbc's sslmode values, weakest first. */
    public static final List<String> SSL_MODES =
            List.of("disable", "allow", "prefer", "require", "verify-ca", "verify-full");

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
        Validation.requirePresent("sslmode", sslMode);
        Validation.requirePresent("sslrootcert", sslRootCert);
        if (sslMode.isPresent() && !SSL_MODES.contains(sslMode.get())) {
            throw new IllegalArgumentException(
                    "sslmode: '" + sslMode.get() + "' (expected one of " + String.join(", ", SSL_MODES) + ")");
        }
    }

    /** A check of {@code url} as {@code user} without password and with the default max-lag. */
    public static ReplicaSpec of(String url, String user) {
        return new ReplicaSpec(url, user, Optional.empty(), DEFAULT_MAX_LAG, Optional.empty(), Optional.empty());
    }

    /** A copy reading the password from {@code source}; validates like the constructor. */
    public ReplicaSpec withPassword(PasswordSource source) {
        return new ReplicaSpec(url, user, Optional.of(source), maxLag, sslMode, sslRootCert);
    }

    /** A copy with another max-lag; validates like the constructor. */
    public ReplicaSpec withMaxLag(Duration newMaxLag) {
        return new ReplicaSpec(url, user, password, newMaxLag, sslMode, sslRootCert);
    }

    /** A copy with pgjdbc's {@code sslmode}; validates like the constructor. */
    public ReplicaSpec withSslMode(String mode) {
        return new ReplicaSpec(url, user, password, maxLag, Optional.of(mode), sslRootCert);
    }

    /** A copy with pgjdbc's {@code sslrootcert}; validates like the constructor. */
    public ReplicaSpec withSslRootCert(Path file) {
        return new ReplicaSpec(url, user, password, maxLag, sslMode, Optional.of(file));
    }

    /**
     * The host the password would go to, unverified, when this check runs at {@code address}: a
     * password is configured, {@code sslmode} is below {@code verify-full} (so anyone on the path
     * can pose as the server, or read it in the clear) and the URL's host is not loopback. Empty
     * when the password is safe. Reads only literals and {@code localhost}; resolves no name.
     */
    public Optional<String> unverifiedPasswordHost(String address) {
        if (password.isEmpty() || verifiesServer()) {
            return Optional.empty();
        }
        String bound = Addresses.bind(url, address).substring(2);
        int slash = bound.indexOf('/');
        String hosts = slash < 0 ? bound : bound.substring(0, slash);
        for (String hostPort : hosts.split(",")) {
            String host = hostPort.startsWith("[")
                    ? hostPort.substring(1, Math.max(1, hostPort.indexOf(']')))
                    : hostPort.indexOf(':') < 0 ? hostPort : hostPort.substring(0, hostPort.indexOf(':'));
            if (!(host.equals("localhost") || host.startsWith("127.") || host.equals("::1"))) {
                return Optional.of(host);
            }
        }
        return Optional.empty();
    }

    /**
     * Whether the connection authenticates the server (so that a password cannot be handed to an
     * impostor): {@code verify-full} checks the chain and the host name. An {@code sslmode} in the
     * URL's query wins over the key, as it does in pgjdbc.
     */
    public boolean verifiesServer() {
        return effectiveSslMode().equals("verify-full");
    }

    /** The sslmode pgjdbc will use: the URL's {@code sslmode=}, else the key, else {@code prefer}. */
    public String effectiveSslMode() {
        int query = url.indexOf('?');
        if (query >= 0) {
            for (String parameter : url.substring(query + 1).split("&")) {
                if (parameter.startsWith("sslmode=")) {
                    return parameter.substring("sslmode=".length());
                }
            }
        }
        return sslMode.orElse("prefer");
    }
}
