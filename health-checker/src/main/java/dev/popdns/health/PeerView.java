package dev.popdns.health;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One vantage point's probe view as it travels between nodes ({@code GET /api/v1/health}): per
 * PoP the latest override event and per check the state, streaks, since, latest error and
 * latency; whether its prober is cut off; when it was taken; and the digest of the checks it
 * runs ({@link HealthConfig#checksDigest()}), since views of different checks must not vote on
 * each other. Immutable.
 *
 * @param node the id of the node that took it
 * @param takenAt when it was taken, by that node's clock (informational: freshness is judged by
 *     when a view was received, so clock skew between nodes does not matter)
 * @param checksDigest the digest of the taking node's checks
 * @param cutOff whether that node's prober is cut off (its states are then held, not observed)
 * @param pops every PoP, in the taking node's configuration order
 */
public record PeerView(String node, Instant takenAt, String checksDigest, boolean cutOff, List<PopView> pops) {
    public PeerView {
        Validation.requireText("node", node);
        Validation.requirePresent("takenAt", takenAt);
        Validation.requireText("checksDigest", checksDigest);
        pops = List.copyOf(Validation.requirePresent("pops", pops));
    }

    /** One PoP of a view. */
    public record PopView(String pop, Optional<OverrideEvent> override, List<CheckView> checks) {
        public PopView {
            Validation.requireText("pop", pop);
            Validation.requirePresent("override", override);
            checks = List.copyOf(Validation.requirePresent("checks", checks));
        }
    }

    /**
     * One check of a PoP in a view.
     *
     * @param successes consecutive successes (toward rise)
     * @param failures consecutive failures (toward fall)
     */
    public record CheckView(
            String check,
            HealthState state,
            int successes,
            int failures,
            Instant since,
            Optional<String> lastError,
            Optional<Duration> latency) {
        public CheckView {
            Validation.requireText("check", check);
            Validation.requirePresent("state", state);
            Validation.requirePresent("since", since);
            Validation.requirePresent("lastError", lastError);
            Validation.requirePresent("latency", latency);
        }
    }

    /** The view {@code node} shares of its monitor's {@code view}, taken at {@code takenAt}. */
    public static PeerView of(String node, String checksDigest, HealthView view, Instant takenAt) {
        List<PopView> pops = new ArrayList<>(view.pops().size());
        for (int p = 0; p < view.pops().size(); p++) {
            PopHealth pop = view.pop(p);
            List<CheckView> checks = new ArrayList<>(pop.checks().size());
            for (CheckHealth check : pop.checks()) {
                checks.add(new CheckView(
                        check.check(),
                        check.state(),
                        check.successes(),
                        check.failures(),
                        check.since(),
                        check.lastError(),
                        check.latency()));
            }
            pops.add(new PopView(pop.id(), view.overrideEvent(p), checks));
        }
        return new PeerView(node, takenAt, checksDigest, view.cutOff(), pops);
    }

    /** The check {@code check} of PoP {@code pop}, if this view has it. */
    public Optional<CheckView> check(String pop, String check) {
        for (PopView view : pops) {
            if (view.pop().equals(pop)) {
                for (CheckView c : view.checks()) {
                    if (c.check().equals(check)) {
                        return Optional.of(c);
                    }
                }
            }
        }
        return Optional.empty();
    }
}
