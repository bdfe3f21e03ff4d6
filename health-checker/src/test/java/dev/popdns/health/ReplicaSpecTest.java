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
                        + "password=Optional[File[path=/run/secrets/popdns-pg]], maxLag=PT30S]",
                spec.toString());
        assertFalse(spec.toString().contains("secret-value"));
    }
}
