package dev.popdns.health;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class ReasonsTest {
    @Test
    void secretsAreRedactedAndTextIsOneBoundedLine() {
        assertEquals(
                "FATAL: password authentication failed for user \"*****\"",
                Reasons.clean("FATAL: password authentication failed for user \"s3cr3t\"", "s3cr3t"));
        assertEquals("line one  line two", Reasons.clean("line one\r\nline two\n", null));
        String longText = "x".repeat(400);
        assertEquals("x".repeat(300) + "...", Reasons.clean(longText, ""));
    }

    @Test
    void timeoutsNameThePhase() {
        assertEquals(
                "timed out after 1s (during TLS handshake)",
                Reasons.timedOut(java.time.Duration.ofSeconds(1), "TLS handshake"));
    }
}
