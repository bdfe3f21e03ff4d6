package dev.popdns.health;

import java.time.Instant;
import java.util.Optional;

/**
 * Rise/fall hysteresis of one (PoP, check) pair.
 *
 * <p>The state itself lives in immutable {@link CheckHealth} values; this class only holds the
 * thresholds and computes the next value from the current one and a result, so it is
 * thread-safe and the monitor can publish each value as it is. The rules:
 * <ul>
 *   <li>the first result sets UP or DOWN directly;
 *   <li>UP turns DOWN after {@code fall} consecutive failures, DOWN turns UP after {@code rise}
 *       consecutive successes; a success resets the failure count and vice versa;
 *   <li>{@link #observe} records a result without judging it (the prober is cut off).
 * </ul>
 */
final class HealthStateMachine {
    // Streaks stop counting here: enough for any rise or fall, and no overflow after years.
    private static final int MAX_STREAK = 1_000_000;

    /** The next value of the pair and, when the state changed, why (else null). */
    record Step(CheckHealth health, String reason) {
        boolean changed() {
            return reason != null;
        }
    }

    private final int rise;
    private final int fall;

    HealthStateMachine(CheckTiming timing) {
        this.rise = timing.rise();
        this.fall = timing.fall();
    }

    Step judge(CheckHealth current, ProbeResult result) {
        boolean up = result instanceof ProbeResult.Up;
        Optional<ProbeResult.Down> lastFailure = failure(current, result);
        if (current.state() == HealthState.UNKNOWN) {
            HealthState state = up ? HealthState.UP : HealthState.DOWN;
            String reason = "first result: " + describe(result);
            return new Step(
                    new CheckHealth(
                            current.check(),
                            state,
                            result.at(),
                            up ? 1 : 0,
                            up ? 0 : 1,
                            Optional.of(result),
                            lastFailure),
                    reason);
        }
        int successes = up ? Math.min(current.successes() + 1, MAX_STREAK) : 0;
        int failures = up ? 0 : Math.min(current.failures() + 1, MAX_STREAK);
        HealthState state = current.state();
        Instant since = current.since();
        String reason = null;
        if (state == HealthState.DOWN && successes >= rise) {
            state = HealthState.UP;
            since = result.at();
            reason = successes + (successes == 1 ? " success" : " consecutive successes") + " (rise " + rise + ")";
        } else if (state == HealthState.UP && failures >= fall) {
            state = HealthState.DOWN;
            since = result.at();
            reason = failures + (failures == 1 ? " failure" : " consecutive failures") + " (fall " + fall + "), last: "
                    + describe(result);
        }
        return new Step(
                new CheckHealth(current.check(), state, since, successes, failures, Optional.of(result), lastFailure),
                reason);
    }

    /** Records {@code result} as the latest without judging it; both streaks restart from zero. */
    CheckHealth observe(CheckHealth current, ProbeResult result) {
        return new CheckHealth(
                current.check(), current.state(), current.since(), 0, 0, Optional.of(result), failure(current, result));
    }

    /** {@code current} with the state and since of {@code known}; both streaks restart from zero. */
    static CheckHealth restore(CheckHealth current, CheckHealth known) {
        return new CheckHealth(
                current.check(), known.state(), known.since(), 0, 0, current.lastResult(), current.lastFailure());
    }

    /** {@code "up in 12ms"} or the failure's reason. */
    static String describe(ProbeResult result) {
        return switch (result) {
            case ProbeResult.Up up ->
                "up in " + Durations.format(up.latency())
                        + up.lag().map(lag -> ", lag " + Durations.format(lag)).orElse("");
            case ProbeResult.Down down -> down.reason();
        };
    }

    private static Optional<ProbeResult.Down> failure(CheckHealth current, ProbeResult result) {
        return result instanceof ProbeResult.Down down ? Optional.of(down) : current.lastFailure();
    }
}
