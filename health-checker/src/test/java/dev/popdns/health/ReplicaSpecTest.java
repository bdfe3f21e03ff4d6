package dev.popdns.health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ReplicaSpecTest {
    @Test
    void defaultsArePinned() {
        ReplicaSpec spec = ReplicaSpec.of("//{address}:5432/mastodon_production", "popdns");
        assertEquals(Optional.empty(), spec.password());
        assertEquals(Duration.ofSeconds(30), spec.maxLag());
        assertEquals(Optional.empty(), spec.sslMode());
        assertEquals(Optional.empty(), spec.sslRootCert());
        assertFalse(spec.verifiesServer());
    }

    @Test
    void sslModeIsOneOfPgjdbcs() {
        ReplicaSpec spec = ReplicaSpec.of("//{address}:5432/db", "popdns");
        for (String mode : ReplicaSpec.SSL_MODES) {
            assertEquals(Optional.of(mode), spec.withSslMode(mode).sslMode());
        }
        assertEquals(
                "sslmode: 'verify' (expected one of disable, allow, prefer, require, verify-ca, verify-full)",
                assertThrows(IllegalArgumentException.class, () -> spec.withSslMode("verify"))
                        .getMessage());
        assertEquals(
                Optional.of(Path.of("/etc/popdns/pg-ca.pem")),
                spec.withSslRootCert(Path.of("/etc/popdns/pg-ca.pem")).sslRootCert());
    }

    /** A password goes unverified to a non-loopback host unless sslmode is verify-full. */
    @Test
    void unverifiedPasswordHosts() {
        ReplicaSpec spec = ReplicaSpec.of("//{address}:5432/db", "popdns")
                .withPassword(new PasswordSource.File(Path.of("/run/credentials/popdns.service/popdns-pg")));
        assertEquals(Optional.of("192.0.2.4"), spec.unverifiedPasswordHost("192.0.2.4"));
        assertEquals(Optional.of("2001:db8::4"), spec.unverifiedPasswordHost("2001:db8::4"));
        assertEquals(Optional.of("192.0.2.4"), spec.withSslMode("require").unverifiedPasswordHost("192.0.2.4"));
        assertEquals(Optional.of("192.0.2.4"), spec.withSslMode("verify-ca").unverifiedPasswordHost("192.0.2.4"));
        assertEquals(Optional.empty(), spec.withSslMode("verify-full").unverifiedPasswordHost("192.0.2.4"));
        assertEquals(Optional.empty(), spec.unverifiedPasswordHost("127.0.0.1"));
        ReplicaSpec inUrl = ReplicaSpec.of("//{address}:5432/db?sslmode=verify-full", "popdns")
                .withPassword(new PasswordSource.Environment("PG"));
        assertEquals(Optional.empty(), inUrl.unverifiedPasswordHost("192.0.2.4"));
        assertEquals(
                Optional.of("192.0.2.4"),
                ReplicaSpec.of("//{address}:5432/db?sslmode=require", "popdns")
                        .withPassword(new PasswordSource.Environment("PG"))
                        .withSslMode("verify-full")
                        .unverifiedPasswordHost("192.0.2.4"));
        assertEquals(Optional.empty(), spec.unverifiedPasswordHost("::1"));
        assertEquals(
                Optional.of("db.example.net"),
                ReplicaSpec.of("//db.example.net:5432/db", "popdns")
                        .withPassword(new PasswordSource.Environment("PG"))
                        .unverifiedPasswordHost("192.0.2.4"));
        assertEquals(
                Optional.empty(),
                ReplicaSpec.of("//{address}:5432/db", "popdns").unverifiedPasswordHost("192.0.2.4"));
    }

    @Test
    void invalidSpecsAreNamedWithTheExpectation() {
        ReplicaSpec spec = ReplicaSpec.of("//{address}:5432/db", "popdns");
        assertEquals(
                "max-lag: 0s (expected: 100ms..24h)",
                assertThrows(IllegalArgumentException.class, () -> spec.withMaxLag(Duration.ZERO))
                        .getMessage());
        assertEquals(
                "postgres-replica: 'jdbc:postgresql://{address}:5432/db' (expected: a pgjdbc URL without "
                        + "jdbc:postgresql:, like //{address}:5432/mastodon_production)",
                assertThrows(
                                IllegalArgumentException.class,
                                () -> ReplicaSpec.of("jdbc:postgresql://{address}:5432/db", "popdns"))
                        .getMessage());
        assertEquals(
                "user: '' (expected: a non-blank string)",
                assertThrows(IllegalArgumentException.class, () -> ReplicaSpec.of("//{address}/db", ""))
                        .getMessage());
        assertEquals(
                "password-env: ' ' (expected: a non-blank string)",
                assertThrows(IllegalArgumentException.class, () -> new PasswordSource.Environment(" "))
                        .getMessage());
    }

    @Test
    void theSpecNamesWherePasswordsComeFromNeverAPassword() {
        ReplicaSpec spec = ReplicaSpec.of("//{address}:5432/db", "popdns")
                .withPassword(new PasswordSource.File(Path.of("/run/secrets/popdns-pg")));
        assertEquals(
                "ReplicaSpec[url=//{address}:5432/db, user=popdns, "
                        + "password=Optional[File[path=/run/secrets/popdns-pg]], maxLag=PT30S, sslMode=Optional.empty,"
                        + " sslRootCert=Optional.empty]",
                spec.toString());
        assertFalse(spec.toString().contains("secret-value"));
    }
}
