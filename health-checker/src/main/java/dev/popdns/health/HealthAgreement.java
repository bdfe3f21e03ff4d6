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
        /** The shortest {@code stale-after}: a view is pulled once per probe interval. */
        public static final Duration MIN_STALE_AFTER = Duration.ofMillis(100);
        /** The longest {@code stale-after}. */
        public static final Duration MAX_STALE_AFTER = Duration.ofHours(1);

        /**
         * Validates the fields.
         *
         * @throws IllegalArgumentException such as {@code "down-quorum: 4 (expected: 1..3, the number of nodes)"}
         */
        public Settings {
            Validation.requireText("self", self);
            Validation.requireRange("nodes", nodes, 1, 1000);
            Validation.requirePresent("downQuorum", downQuorum);
            Validation.requireRange("staleAfter", staleAfter, MIN_STALE_AFTER, MAX_STALE_AFTER);
            String problem = quorumProblem(downQuorum, nodes);
            if (problem != null) {
                throw new IllegalArgumentException(problem);
            }
        }

        /**
         * What is wrong with {@code downQuorum} for {@code nodes} nodes, such as {@code "down-quorum:
         * 4 (expected: 1..3, the number of nodes)"}, or null when it can be reached. The config
         * loader reports the same words with the line.
         */
        public static String quorumProblem(DownQuorum downQuorum, int nodes) {
            int required = downQuorum.required(nodes);
            return required > nodes
                    ? "down-quorum: " + required + " (expected: 1.." + nodes + ", the number of nodes)"
                    : null;
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
        List<Voter> voters = voters(settings, own, ownDigest, peers, now);
        Round round = new Round(settings, !own.cutOff(), votingPeers(voters, peers), previous, now);
        List<PairVotes> pairs = new ArrayList<>();
        List<Change> changes = new ArrayList<>();
        CheckHealth[][] agreedChecks = new CheckHealth[own.pops().size()][];
        for (int p = 0; p < own.pops().size(); p++) {
            PopHealth pop = own.pop(p);
            agreedChecks[p] = new CheckHealth[pop.checks().size()];
            for (int c = 0; c < pop.checks().size(); c++) {
                CheckHealth mine = pop.checks().get(c);
                PairVotes pair = round.tally(pop.id(), mine);
                pairs.add(pair);
                round.change(pair).ifPresent(changes::add);
                agreedChecks[p][c] = withAgreed(mine, pair);
            }
        }
        return new Agreement(
                own,
                own.withChecks(agreedChecks),
                round.alone,
                round.votes,
                round.required,
                List.copyOf(voters),
                List.copyOf(pairs),
                List.copyOf(changes),
                now);
    }

    /** Every configured node with its standing: this node first, then each peer in order. */
    private static List<Voter> voters(
            Settings settings, HealthView own, String ownDigest, Map<String, Optional<Received>> peers, Instant now) {
        List<Voter> voters = new ArrayList<>(peers.size() + 1);
        Standing ownStanding = own.cutOff() ? Standing.CUT_OFF : Standing.OWN;
        voters.add(new Voter(settings.self(), ownStanding, Optional.of(Duration.ZERO)));
        for (Map.Entry<String, Optional<Received>> peer : peers.entrySet()) {
            Optional<Received> received = peer.getValue();
            if (received.isEmpty()) {
                voters.add(new Voter(peer.getKey(), Standing.NONE, Optional.empty()));
                continue;
            }
            Duration age = Duration.between(received.get().receivedAt(), now);
            Standing standing = standing(settings, ownDigest, received.get().view(), age);
            voters.add(new Voter(peer.getKey(), standing, Optional.of(age.isNegative() ? Duration.ZERO : age)));
        }
        return voters;
    }

    /** Whether a received peer view votes: fresh, of the same checks, from a prober not cut off. */
    private static Standing standing(Settings settings, String ownDigest, PeerView view, Duration age) {
        if (age.compareTo(settings.staleAfter()) > 0) {
            return Standing.STALE;
        } else if (!view.checksDigest().equals(ownDigest)) {
            return Standing.OTHER_CHECKS;
        } else if (view.cutOff()) {
            return Standing.CUT_OFF;
        }
        return Standing.FRESH;
    }

    /** The views of the peers that vote, in the voters' order. */
    private static List<PeerView> votingPeers(List<Voter> voters, Map<String, Optional<Received>> peers) {
        List<PeerView> voting = new ArrayList<>(peers.size());
        for (Voter voter : voters) {
            if (voter.standing() == Standing.FRESH) {
                voting.add(peers.get(voter.node()).orElseThrow().view());
            }
        }
        return voting;
    }

    /** The own check with the agreed state and its start: the same object where they are the own. */
    private static CheckHealth withAgreed(CheckHealth mine, PairVotes pair) {
        if (pair.agreed() == mine.state() && pair.since().equals(mine.since())) {
            return mine;
        }
        return new CheckHealth(
                mine.check(),
                pair.agreed(),
                pair.since(),
                mine.successes(),
                mine.failures(),
                mine.lastResult(),
                mine.lastFailure());
    }

    /** One application of the rule: who votes, how many are needed, and the previous agreement. */
    private static final class Round {
        private final String self;
        private final boolean ownVotes;
        private final List<PeerView> voting;
        /** Each voting view indexed once by pair: counting is then O(pairs x voters). */
        private final List<Map<String, PeerView.CheckView>> indexed;

        private final int required;
        private final int votes;
        private final boolean alone;
        private final Map<String, PairVotes> before;
        private final Instant now;

        Round(Settings settings, boolean ownVotes, List<PeerView> voting, Agreement previous, Instant now) {
            this.self = settings.self();
            this.ownVotes = ownVotes;
            this.voting = voting;
            this.indexed = new ArrayList<>(voting.size());
            for (PeerView view : voting) {
                indexed.add(byPair(view));
            }
            this.required = settings.required();
            this.votes = voting.size() + (ownVotes ? 1 : 0);
            this.alone = votes < required;
            this.before = new HashMap<>();
            if (previous != null) {
                for (PairVotes pair : previous.pairs()) {
                    before.put(HealthView.pairKey(pair.pop(), pair.check()), pair);
                }
            }
            this.now = now;
        }

        private static Map<String, PeerView.CheckView> byPair(PeerView view) {
            Map<String, PeerView.CheckView> byPair = new HashMap<>();
            for (PeerView.PopView pop : view.pops()) {
                for (PeerView.CheckView check : pop.checks()) {
                    byPair.put(HealthView.pairKey(pop.pop(), check.check()), check);
                }
            }
            return byPair;
        }

        /** The votes on PoP {@code pop}'s check {@code mine} and the state they agree on. */
        PairVotes tally(String pop, CheckHealth mine) {
            String key = HealthView.pairKey(pop, mine.check());
            List<Vote> ballots = ballots(key, mine);
            int down = count(ballots, HealthState.DOWN);
            int up = count(ballots, HealthState.UP);
            HealthState agreed = agreed(mine.state(), down, up);
            Instant since = since(before.get(key), agreed, mine);
            return new PairVotes(pop, mine.check(), agreed, since, mine.state(), ballots, down, up);
        }

        /** Every voting view's state for the pair: this node's first, then the peers' that have it. */
        private List<Vote> ballots(String key, CheckHealth mine) {
            List<Vote> ballots = new ArrayList<>(voting.size() + 1);
            if (ownVotes) {
                ballots.add(new Vote(self, mine.state(), mine.lastError()));
            }
            for (int v = 0; v < voting.size(); v++) {
                PeerView.CheckView seen = indexed.get(v).get(key);
                if (seen != null) {
                    ballots.add(new Vote(voting.get(v).node(), seen.state(), seen.lastError()));
                }
            }
            return ballots;
        }

        private static int count(List<Vote> ballots, HealthState state) {
            int count = 0;
            for (Vote vote : ballots) {
                count += vote.state() == state ? 1 : 0;
            }
            return count;
        }

        /**
         * DOWN when at least {@code required} views see it DOWN, else UP; the own state when deciding
         * alone or while no voter has a state for the pair.
         */
        private HealthState agreed(HealthState own, int down, int up) {
            if (alone) {
                return own;
            } else if (down >= required) {
                return HealthState.DOWN;
            } else if (up > 0 || down > 0) {
                return HealthState.UP;
            }
            return own;
        }

        /** The previous start while the agreed state holds; the own start for a new pair that agrees. */
        private Instant since(PairVotes last, HealthState agreed, CheckHealth mine) {
            if (last != null && last.agreed() == agreed) {
                return last.since();
            } else if (last == null && agreed == mine.state()) {
                return mine.since();
            }
            return now;
        }

        /** The change of the pair's agreed state since the previous agreement, if it changed. */
        Optional<Change> change(PairVotes pair) {
            PairVotes last = before.get(HealthView.pairKey(pair.pop(), pair.check()));
            if (last == null || last.agreed() == pair.agreed()) {
                return Optional.empty();
            }
            return Optional.of(new Change(pair.pop(), pair.check(), last.agreed(), pair.agreed(), reason(pair)));
        }

        private String reason(PairVotes pair) {
            if (alone) {
                return "deciding alone (" + votes + " of " + required + " views needed): own view";
            }
            return pair.down() + " of " + pair.votes().size() + " views DOWN" + downVoters(pair.votes())
                    + " (down-quorum " + required + ")";
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
}
