package dev.popdns.health;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The vote rule of a set of nodes that probe the same PoPs: a pure function from this node's own
 * view and the latest view received from each peer, at an injected instant, to the agreed
 * health. Every node gathers the same views and applies the same rule, so the nodes converge
 * without a consensus store.
 *
 * <p><b>Who votes.</b> This node's own view, unless its prober is cut off; and each peer's latest
 * view if it was received within {@code stale-after}, has the same checks digest and comes from
 * a prober that is not cut off (a cut-off prober holds its states instead of observing them, so
 * it abstains).
 *
 * <p><b>The rule.</b> With {@code required = down-quorum.required(nodes)}: when at least
 * {@code required} views vote, a (PoP, check) pair is DOWN when at least {@code required} of
 * them see it DOWN, otherwise UP (UNKNOWN while no voter has a state for it). With fewer voters
 * the node decides alone: the agreed state is its own view's (where the prober's own cut-off
 * rule applies). Overrides are not voted on: they are the own view's, in which the newest event
 * per PoP from any node has already been applied ({@link HealthMonitor#apply}).
 *
 * <p>Runs in O(pairs x nodes), allocates the result only; callers recompute it on every own view
 * and every received view.
 */
public final class HealthAgreement {
    private HealthAgreement() {}

    /**
     * The rule's parameters.
     *
     * @param self this node's id
     * @param nodes how many nodes vote, this one included (the configured nodes)
     * @param downQuorum how many DOWN views make a pair DOWN
     * @param staleAfter a peer view received longer ago than this does not vote
     */
    public record Settings(String self, int nodes, DownQuorum downQuorum, Duration staleAfter) {
        /**
         * Validates the fields.
         *
         * @throws IllegalArgumentException such as {@code "down-quorum: 4 (expected: 1..3, the number of nodes)"}
         */
        public Settings {
            Validation.requireText("self", self);
            Validation.requireRange("nodes", nodes, 1, 1000);
            Validation.requirePresent("downQuorum", downQuorum);
            Validation.requireRange("staleAfter", staleAfter, Duration.ofMillis(100), Duration.ofHours(1));
            int required = downQuorum.required(nodes);
            if (required > nodes) {
                throw new IllegalArgumentException(
                        "down-quorum: " + required + " (expected: 1.." + nodes + ", the number of nodes)");
            }
        }

        /** The number of DOWN views that make a pair DOWN. */
        public int required() {
            return downQuorum.required(nodes);
        }
    }

    /** A peer's latest view and when this node received it. */
    public record Received(PeerView view, Instant receivedAt) {
        public Received {
            Validation.requirePresent("view", view);
            Validation.requirePresent("receivedAt", receivedAt);
        }
    }

    /** Why a node's view votes or not. */
    public enum Standing {
        /** This node's own view. */
        OWN,
        /** A peer's view received within stale-after. */
        FRESH,
        /** A peer's view received longer ago than stale-after. */
        STALE,
        /** No view received from the peer yet. */
        NONE,
        /** A view of other checks (another checks digest): it does not vote here. */
        OTHER_CHECKS,
        /** The view's prober is cut off: it holds states instead of observing them, so it abstains. */
        CUT_OFF;

        /** Whether a view of this standing votes. */
        public boolean votes() {
            return this == OWN || this == FRESH;
        }
    }

    /**
     * One node as the rule saw it.
     *
     * @param age how long ago its view was received (zero for the own view); empty without one
     */
    public record Voter(String node, Standing standing, Optional<Duration> age) {}

    /** One voter's state for one pair, with its latest error. */
    public record Vote(String node, HealthState state, Optional<String> lastError) {}

    /**
     * The outcome for one (PoP, check) pair.
     *
     * @param agreed the agreed state
     * @param since when the agreed state began (as far as this node has followed it)
     * @param own this node's own view's state
     * @param votes every voting view's state, this node's first
     * @param down how many votes say DOWN
     * @param up how many votes say UP
     */
    public record PairVotes(
            String pop,
            String check,
            HealthState agreed,
            Instant since,
            HealthState own,
            List<Vote> votes,
            int down,
            int up) {
        /** Whether the voters see the pair differently. */
        public boolean disagree() {
            return down > 0 && up > 0;
        }
    }

    /** An agreed state that changed since the previous agreement, with the votes that did it. */
    public record Change(String pop, String check, HealthState from, HealthState to, String reason) {}

    /**
     * The agreed health at one instant.
     *
     * @param own the own view it was computed from
     * @param agreed the own view with every check's state replaced by the agreed one: what routing
     *     reads
     * @param decidingAlone whether fewer views than required vote, so the own view decides
     * @param voting how many views vote
     * @param required how many DOWN votes make a pair DOWN
     * @param voters every configured node, this one first
     * @param pairs every pair, in the own view's order
     * @param changes agreed states that changed since the previous agreement
     * @param at when it was computed
     */
    public record Agreement(
            HealthView own,
            HealthView agreed,
            boolean decidingAlone,
            int voting,
            int required,
            List<Voter> voters,
            List<PairVotes> pairs,
            List<Change> changes,
            Instant at) {
        /** The outcome for PoP {@code pop}, check {@code check}, if the own view has that pair. */
        public Optional<PairVotes> pair(String pop, String check) {
            for (PairVotes pair : pairs) {
                if (pair.pop().equals(pop) && pair.check().equals(check)) {
                    return Optional.of(pair);
                }
            }
            return Optional.empty();
        }
    }

    /**
     * Applies the rule.
     *
     * @param settings the rule's parameters
     * @param own this node's own view
     * @param ownDigest the digest of this node's checks ({@link HealthConfig#checksDigest()})
     * @param peers every other configured node in order, each with its latest received view if any
     * @param previous the previous agreement, for {@code since} and {@link Agreement#changes()};
     *     null for the first
     * @param now the instant to judge freshness at
     */
    public static Agreement decide(
            Settings settings,
            HealthView own,
            String ownDigest,
            Map<String, Optional<Received>> peers,
            Agreement previous,
            Instant now) {
        List<Voter> voters = new ArrayList<>(peers.size() + 1);
        List<PeerView> voting = new ArrayList<>(peers.size());
        boolean ownVotes = !own.cutOff();
        voters.add(new Voter(settings.self(), ownVotes ? Standing.OWN : Standing.CUT_OFF, Optional.of(Duration.ZERO)));
        for (Map.Entry<String, Optional<Received>> peer : peers.entrySet()) {
            Received received = peer.getValue().orElse(null);
            if (received == null) {
                voters.add(new Voter(peer.getKey(), Standing.NONE, Optional.empty()));
                continue;
            }
            Duration age = Duration.between(received.receivedAt(), now);
            Standing standing;
            if (age.compareTo(settings.staleAfter()) > 0) {
                standing = Standing.STALE;
            } else if (!received.view().checksDigest().equals(ownDigest)) {
                standing = Standing.OTHER_CHECKS;
            } else if (received.view().cutOff()) {
                standing = Standing.CUT_OFF;
            } else {
                standing = Standing.FRESH;
                voting.add(received.view());
            }
            voters.add(new Voter(peer.getKey(), standing, Optional.of(age.isNegative() ? Duration.ZERO : age)));
        }
        // each voting view indexed once by pair: the loop below is then O(pairs x voters)
        List<Map<String, PeerView.CheckView>> indexed = new ArrayList<>(voting.size());
        for (PeerView view : voting) {
            Map<String, PeerView.CheckView> byPair = new HashMap<>();
            for (PeerView.PopView pop : view.pops()) {
                for (PeerView.CheckView check : pop.checks()) {
                    byPair.put(HealthView.pairKey(pop.pop(), check.check()), check);
                }
            }
            indexed.add(byPair);
        }
        int required = settings.required();
        int votes = voting.size() + (ownVotes ? 1 : 0);
        boolean alone = votes < required;

        Map<String, PairVotes> before = new HashMap<>();
        if (previous != null) {
            for (PairVotes pair : previous.pairs()) {
                before.put(HealthView.pairKey(pair.pop(), pair.check()), pair);
            }
        }
        List<PairVotes> pairs = new ArrayList<>();
        List<Change> changes = new ArrayList<>();
        CheckHealth[][] agreedChecks = new CheckHealth[own.pops().size()][];
        for (int p = 0; p < own.pops().size(); p++) {
            PopHealth pop = own.pop(p);
            agreedChecks[p] = new CheckHealth[pop.checks().size()];
            for (int c = 0; c < pop.checks().size(); c++) {
                CheckHealth mine = pop.checks().get(c);
                List<Vote> pairVotes = new ArrayList<>(voting.size() + 1);
                if (ownVotes) {
                    pairVotes.add(new Vote(settings.self(), mine.state(), mine.lastError()));
                }
                String key = HealthView.pairKey(pop.id(), mine.check());
                for (int v = 0; v < voting.size(); v++) {
                    PeerView.CheckView seen = indexed.get(v).get(key);
                    if (seen != null) {
                        pairVotes.add(new Vote(voting.get(v).node(), seen.state(), seen.lastError()));
                    }
                }
                int down = 0;
                int up = 0;
                for (Vote vote : pairVotes) {
                    down += vote.state() == HealthState.DOWN ? 1 : 0;
                    up += vote.state() == HealthState.UP ? 1 : 0;
                }
                HealthState agreed;
                if (alone) {
                    agreed = mine.state();
                } else if (down >= required) {
                    agreed = HealthState.DOWN;
                } else if (up > 0 || down > 0) {
                    agreed = HealthState.UP;
                } else {
                    agreed = mine.state();
                }
                PairVotes last = before.get(key);
                Instant since;
                if (last != null && last.agreed() == agreed) {
                    since = last.since();
                } else if (last == null && agreed == mine.state()) {
                    since = mine.since();
                } else {
                    since = now;
                }
                if (last != null && last.agreed() != agreed) {
                    changes.add(new Change(
                            pop.id(),
                            mine.check(),
                            last.agreed(),
                            agreed,
                            alone
                                    ? "deciding alone (" + votes + " of " + required + " views needed): own view"
                                    : down + " of " + pairVotes.size() + " views DOWN" + downVoters(pairVotes)
                                            + " (down-quorum " + required + ")"));
                }
                pairs.add(new PairVotes(pop.id(), mine.check(), agreed, since, mine.state(), pairVotes, down, up));
                agreedChecks[p][c] = agreed == mine.state() && since.equals(mine.since())
                        ? mine
                        : new CheckHealth(
                                mine.check(),
                                agreed,
                                since,
                                mine.successes(),
                                mine.failures(),
                                mine.lastResult(),
                                mine.lastFailure());
            }
        }
        return new Agreement(
                own,
                own.withChecks(agreedChecks),
                alone,
                votes,
                required,
                List.copyOf(voters),
                List.copyOf(pairs),
                List.copyOf(changes),
                now);
    }

    private static String downVoters(List<Vote> votes) {
        StringBuilder text = new StringBuilder();
        for (Vote vote : votes) {
            if (vote.state() == HealthState.DOWN) {
                text.append(text.isEmpty() ? ": " : ", ").append(vote.node());
                vote.lastError().ifPresent(e -> text.append(' ').append(e));
            }
        }
        return text.toString();
    }
}
