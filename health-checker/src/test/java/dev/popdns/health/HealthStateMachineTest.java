package dev.popdns.health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HealthStateMachineTest {
    private static final Instant T0 = Instant.parse("2024-05-01T12:00:00Z");
    private final HealthStateMachine machine = new HealthStateMachine(CheckTiming.DEFAULT); // rise 2, fall 3

    /** Results as U (up) and D (down), one a second; the states after each, as U, D. */
    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
        "U,          U",
        "D,          D",
        "UD,         UU",
        "UDD,        UUU",
        "UDDD,       UUUD",
        "UDDUDD,     UUUUUU",
        "UDDDU,      UUUDD",
        "UDDDUU,     UUUDDU",
        "UDDDUDU,    UUUDDDD",
        "DU,         DD",
        "DUU,        DDU",
        "DUDUU,      DDDDU",
        "UDDDUUDDD,  UUUDDUUUD",
    })
    void hysteresis(String results, String expectedStates) {
        CheckHealth health = CheckHealth.unknown("nginx", T0);
        StringBuilder states = new StringBuilder();
        for (int i = 0; i < results.length(); i++) {
            health = machine.judge(health, result(results.charAt(i), i)).health();
            states.append(health.state().name().charAt(0));
        }
        assertEquals(expectedStates, states.toString());
    }

    @Test
    void firstResultSetsTheStateDirectly() {
        HealthStateMachine.Step down = machine.judge(CheckHealth.unknown("nginx", T0), result('D', 3));
        assertEquals(HealthState.DOWN, down.health().state());
        assertEquals(T0.plusSeconds(3), down.health().since());
        assertEquals("first result: HTTP 503 (expected: 200)", down.reason());
        HealthStateMachine.Step up = machine.judge(CheckHealth.unknown("nginx", T0), result('U', 1));
        assertEquals(HealthState.UP, up.health().state());
        assertEquals("first result: up in 5ms", up.reason());
    }

    @Test
    void transitionsNameTheirCauseAndKeepSinceOtherwise() {
        CheckHealth health =
                machine.judge(CheckHealth.unknown("nginx", T0), result('U', 0)).health();
        HealthStateMachine.Step step = null;
        for (int i = 1; i <= 3; i++) {
            step = machine.judge(health, result('D', i));
            health = step.health();
            assertEquals(i < 3, !step.changed(), "changed after failure " + i);
        }
        assertEquals("3 consecutive failures (fall 3), last: HTTP 503 (expected: 200)", step.reason());
        assertEquals(T0.plusSeconds(3), health.since());
        assertEquals(3, health.failures());
        assertEquals(Optional.of("HTTP 503 (expected: 200)"), health.lastError());
        health = machine.judge(health, result('U', 4)).health();
        assertEquals(T0.plusSeconds(3), health.since(), "one success does not move since");
        step = machine.judge(health, result('U', 5));
        assertEquals("2 consecutive successes (rise 2)", step.reason());
        assertEquals(T0.plusSeconds(5), step.health().since());
        assertEquals(Optional.of("HTTP 503 (expected: 200)"), step.health().lastError(), "the last error stays");
        assertEquals(Optional.of(Duration.ofMillis(5)), step.health().latency());
    }

    @Test
    void observeRecordsWithoutJudging() {
        CheckHealth health =
                machine.judge(CheckHealth.unknown("nginx", T0), result('U', 0)).health();
        for (int i = 1; i <= 10; i++) {
            health = machine.observe(health, result('D', i));
        }
        assertEquals(HealthState.UP, health.state());
        assertEquals(T0, health.since());
        assertEquals(0, health.failures());
        assertTrue(health.lastResult().orElseThrow() instanceof ProbeResult.Down);
        assertFalse(machine.judge(health, result('D', 11)).changed(), "failures seen while observing do not count");
    }

    @Test
    void restoreTakesStateAndSinceAndKeepsTheLatestResult() {
        CheckHealth known =
                machine.judge(CheckHealth.unknown("nginx", T0), result('U', 0)).health();
        CheckHealth fallen = new HealthStateMachine(CheckTiming.DEFAULT.withFall(1))
                .judge(known, result('D', 7))
                .health();
        assertEquals(HealthState.DOWN, fallen.state());
        CheckHealth restored = HealthStateMachine.restore(fallen, known);
        assertEquals(HealthState.UP, restored.state());
        assertEquals(T0, restored.since());
        assertEquals(fallen.lastResult(), restored.lastResult());
        assertEquals(0, restored.failures());
    }

    private static ProbeResult result(char kind, int second) {
        Instant at = T0.plusSeconds(second);
        return kind == 'U'
                ? new ProbeResult.Up(at, Duration.ofMillis(5), Optional.empty())
                : new ProbeResult.Down(at, Duration.ofMillis(5), "HTTP 503 (expected: 200)", Optional.empty());
    }
}
