package dev.popdns.health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The vote rule on fake time: views built by hand, instants chosen by the test. */
class HealthAgreementTest {
    private static final Instant T0 = Instant.parse("2024-05-01T12:00:00Z");
    private static final Duration STALE = Duration.ofSeconds(10);
    private static final HealthConfig CONFIG = HealthMonitorTest.config(CheckTiming.DEFAULT, "hq", "pop-a");
    private static final String DIGEST = CONFIG.checksDigest();
    private static final HealthAgreement.Settings MAJORITY_OF_3 =
            new HealthAgreement.Settings("ns1", 3, DownQuorum.MAJORITY, STALE);

    @Test
    void oneNodeSeeingDownIsOutvoted() {
        HealthView own = view(false, "pop-a/nginx");
        HealthAgreement.Agreement agreement = decide(MAJORITY_OF_3, own, peers(peer("ns2", false), peer("ns3", false)));

        HealthAgreement.PairVotes pair = agreement.pair("pop-a", "nginx").orElseThrow();
        assertEquals(HealthState.UP, pair.agreed());
        assertEquals(HealthState.DOWN, pair.own());
        assertEquals(1, pair.down());
        assertEquals(2, pair.up());
        assertTrue(pair.disagree());
        assertEquals(
                List.of(
                        new HealthAgreement.Vote("ns1", HealthState.DOWN, Optional.of("timeout")),
                        new HealthAgreement.Vote("ns2", HealthState.UP, Optional.empty()),
                        new HealthAgreement.Vote("ns3", HealthState.UP, Optional.empty())),
                pair.votes());
        assertFalse(agreement.decidingAlone());
        assertEquals(3, agreement.voting());
        assertEquals(2, agreement.required());
        assertTrue(agreement.agreed().pop("pop-a").orElseThrow().isUp("nginx"), "routing sees the agreed UP");
        assertFalse(agreement.own().pop("pop-a").orElseThrow().isUp("nginx"), "the own view is kept as it is");
    }

    @Test
    void aMajorityOfDownViewsMakesItDownAndSaysWho() {
        HealthView own = view(false);
        HealthAgreement.Agreement first = decide(MAJORITY_OF_3, own, peers(peer("ns2", false), peer("ns3", false)));
        assertEquals(HealthState.UP, first.pair("pop-a", "nginx").orElseThrow().agreed());
        assertTrue(first.changes().isEmpty(), "the first agreement is no change");

        Instant later = T0.plusSeconds(3);
        HealthView ownDown = view(false, "pop-a/nginx");
        HealthAgreement.Agreement second = HealthAgreement.decide(
                MAJORITY_OF_3,
                ownDown,
                DIGEST,
                peersAt(later, peer("ns2", false, "pop-a/nginx"), peer("ns3", false)),
                first,
                later);

        HealthAgreement.PairVotes pair = second.pair("pop-a", "nginx").orElseThrow();
        assertEquals(HealthState.DOWN, pair.agreed());
        assertEquals(later, pair.since());
        assertFalse(second.agreed().pop("pop-a").orElseThrow().isUp("nginx"));
        assertEquals(
                List.of(new HealthAgreement.Change(
                        "pop-a",
                        "nginx",
                        HealthState.UP,
                        HealthState.DOWN,
                        "2 of 3 views DOWN: ns1 timeout, ns2 timeout (down-quorum 2)")),
                second.changes());
        assertEquals(T0, second.pair("hq", "nginx").orElseThrow().since(), "an unchanged pair keeps its since");
    }

    @Test
    void viewsOlderThanStaleAfterDoNotVoteAndTheNodeDecidesAlone() {
        HealthView own = view(false, "pop-a/nginx");
        Instant now = T0.plus(STALE).plusMillis(1);
        HealthAgreement.Agreement agreement = HealthAgreement.decide(
                MAJORITY_OF_3,
                own,
                DIGEST,
                ordered(
                        "ns2", Optional.of(received(peer("ns2", false), T0)),
                        "ns3", Optional.empty()),
                null,
                now);

        assertTrue(agreement.decidingAlone());
        assertEquals(1, agreement.voting());
        assertEquals(
                HealthState.DOWN, agreement.pair("pop-a", "nginx").orElseThrow().agreed(), "own view decides");
        assertEquals(
                List.of(
                        new HealthAgreement.Voter("ns1", HealthAgreement.Standing.OWN, Optional.of(Duration.ZERO)),
                        new HealthAgreement.Voter(
                                "ns2", HealthAgreement.Standing.STALE, Optional.of(STALE.plusMillis(1))),
                        new HealthAgreement.Voter("ns3", HealthAgreement.Standing.NONE, Optional.empty())),
                agreement.voters());

        HealthAgreement.Agreement fresh = HealthAgreement.decide(
                MAJORITY_OF_3,
                own,
                DIGEST,
                ordered("ns2", Optional.of(received(peer("ns2", false), T0)), "ns3", Optional.empty()),
                agreement,
                T0.plus(STALE));
        assertFalse(fresh.decidingAlone(), "exactly stale-after old still votes");
        assertEquals(HealthState.UP, fresh.pair("pop-a", "nginx").orElseThrow().agreed());
        assertEquals(1, fresh.changes().size());
        assertTrue(
                fresh.changes().get(0).reason().startsWith("1 of 2 views DOWN: ns1 timeout"),
                fresh.changes().toString());
    }

    @Test
    void viewsOfOtherChecksDoNotVote() {
        PeerView other = new PeerView(
                "ns2", T0, "other-digest", false, peer("ns2", false).pops());
        HealthAgreement.Agreement agreement =
                decide(MAJORITY_OF_3, view(false, "pop-a/nginx"), peers(other, peer("ns3", false)));
        assertEquals(
                HealthAgreement.Standing.OTHER_CHECKS, agreement.voters().get(1).standing());
        assertEquals(2, agreement.voting());
        assertEquals(
                HealthState.UP, agreement.pair("pop-a", "nginx").orElseThrow().agreed(), "1 DOWN of quorum 2");
    }

    @Test
    void aCutOffProberAbstainsAndIsOutvotedButDecidesAloneByItsHeldStates() {
        HealthView ownCutOff = view(true, "pop-a/nginx");
        HealthAgreement.Agreement outvoted =
                decide(MAJORITY_OF_3, ownCutOff, peers(peer("ns2", false), peer("ns3", false)));
        assertFalse(outvoted.decidingAlone());
        assertEquals(HealthAgreement.Standing.CUT_OFF, outvoted.voters().get(0).standing());
        assertEquals(
                HealthState.UP, outvoted.pair("pop-a", "nginx").orElseThrow().agreed());
        assertEquals(2, outvoted.pair("pop-a", "nginx").orElseThrow().votes().size());

        HealthAgreement.Agreement alone =
                decide(MAJORITY_OF_3, ownCutOff, ordered("ns2", Optional.empty(), "ns3", Optional.empty()));
        assertTrue(alone.decidingAlone());
        assertEquals(
                HealthState.DOWN, alone.pair("pop-a", "nginx").orElseThrow().agreed(), "held state");

        HealthAgreement.Agreement peerCutOff =
                decide(MAJORITY_OF_3, view(false), peers(peer("ns2", true, "pop-a/nginx"), peer("ns3", false)));
        assertEquals(
                HealthAgreement.Standing.CUT_OFF, peerCutOff.voters().get(1).standing());
        assertEquals(
                HealthState.UP, peerCutOff.pair("pop-a", "nginx").orElseThrow().agreed());
    }

    @Test
    void quorumFormsCountAmongTheConfiguredNodes() {
        HealthView own = view(false, "pop-a/nginx");
        Map<String, Optional<HealthAgreement.Received>> two = peers(peer("ns2", false), peer("ns3", false));

        var any = new HealthAgreement.Settings("ns1", 3, DownQuorum.parse("any"), STALE);
        assertEquals(
                HealthState.DOWN,
                decide(any, own, two).pair("pop-a", "nginx").orElseThrow().agreed());

        var all = new HealthAgreement.Settings("ns1", 3, DownQuorum.parse("all"), STALE);
        HealthAgreement.Agreement allFresh =
                decide(all, view(false, "pop-a/nginx"), peers(peer("ns2", false, "pop-a/nginx"), peer("ns3", false)));
        assertEquals(
                HealthState.UP, allFresh.pair("pop-a", "nginx").orElseThrow().agreed(), "2 of all 3");
        HealthAgreement.Agreement allAlone = decide(
                all, own, ordered("ns2", Optional.of(received(peer("ns2", false), T0)), "ns3", Optional.empty()));
        assertTrue(allAlone.decidingAlone(), "all needs every node's view");

        var two4 = new HealthAgreement.Settings("ns1", 4, DownQuorum.parse("2"), STALE);
        Map<String, Optional<HealthAgreement.Received>> withProber =
                new LinkedHashMap<>(peers(peer("ns2", false), peer("ns3", false)));
        withProber.put("probe", Optional.empty());
        assertEquals(
                HealthState.UP,
                decide(two4, own, withProber)
                        .pair("pop-a", "nginx")
                        .orElseThrow()
                        .agreed());
        withProber.put("probe", Optional.of(received(peer("probe", false, "pop-a/nginx"), T0)));
        assertEquals(
                HealthState.DOWN,
                decide(two4, own, withProber)
                        .pair("pop-a", "nginx")
                        .orElseThrow()
                        .agreed(),
                "the prober's vote makes the second DOWN");

        assertEquals(3, DownQuorum.MAJORITY.required(4));
        assertEquals(2, DownQuorum.MAJORITY.required(3));
        assertEquals(1, DownQuorum.MAJORITY.required(1));
        assertEquals(
                "down-quorum: 'most' (expected: majority, all, any or a number 1..1000)",
                assertThrows(IllegalArgumentException.class, () -> DownQuorum.parse("most"))
                        .getMessage());
        assertEquals(
                "down-quorum: 4 (expected: 1..3, the number of nodes)",
                assertThrows(
                                IllegalArgumentException.class,
                                () -> new HealthAgreement.Settings("ns1", 3, DownQuorum.parse("4"), STALE))
                        .getMessage());
    }

    @Test
    void overrideEventsTravelInTheView() {
        HealthView own = view(false);
        OverrideEvent drain = new OverrideEvent(
                "pop-a",
                Optional.of(new AdminOverride(AdminOverride.Action.DRAIN, T0.plusSeconds(600), "maintenance")),
                T0,
                "ns2");
        HealthView drained = own.withOverride(1, drain.override(), drain);
        PeerView shared = PeerView.of("ns1", DIGEST, drained, T0);
        assertEquals(Optional.of(drain), shared.pops().get(1).override());
        assertEquals(Optional.empty(), shared.pops().get(0).override());
        HealthAgreement.Agreement agreement =
                decide(MAJORITY_OF_3, drained, peers(peer("ns2", false), peer("ns3", false)));
        assertFalse(agreement.agreed().pop("pop-a").orElseThrow().eligible(List.of("nginx")), "the drain holds");
        assertEquals(Optional.of(drain), agreement.agreed().overrideEvent(1));
    }

    private static HealthAgreement.Agreement decide(
            HealthAgreement.Settings settings, HealthView own, Map<String, Optional<HealthAgreement.Received>> peers) {
        return HealthAgreement.decide(settings, own, DIGEST, peers, null, T0);
    }

    private static Map<String, Optional<HealthAgreement.Received>> peers(PeerView... views) {
        return peersAt(T0, views);
    }

    private static Map<String, Optional<HealthAgreement.Received>> peersAt(Instant at, PeerView... views) {
        Map<String, Optional<HealthAgreement.Received>> map = new LinkedHashMap<>();
        for (PeerView v : views) {
            map.put(v.node(), Optional.of(received(v, at)));
        }
        return map;
    }

    private static Map<String, Optional<HealthAgreement.Received>> ordered(
            String a, Optional<HealthAgreement.Received> first, String b, Optional<HealthAgreement.Received> second) {
        Map<String, Optional<HealthAgreement.Received>> map = new LinkedHashMap<>();
        map.put(a, first);
        map.put(b, second);
        return map;
    }

    private static HealthAgreement.Received received(PeerView view, Instant at) {
        return new HealthAgreement.Received(view, at);
    }

    private static PeerView peer(String node, boolean cutOff, String... down) {
        return PeerView.of(node, DIGEST, view(cutOff, down), T0);
    }

    /** Every pair UP since T0 but the {@code pop/check} pairs in {@code down}, DOWN by "timeout"; cut off or not. */
    private static HealthView view(boolean cutOff, String... down) {
        HealthView view = HealthView.initial(CONFIG, T0);
        for (int p = 0; p < view.pops().size(); p++) {
            PopHealth pop = view.pop(p);
            for (int c = 0; c < pop.checks().size(); c++) {
                String check = pop.checks().get(c).check();
                boolean isDown = List.of(down).contains(pop.id() + "/" + check);
                ProbeResult result = isDown
                        ? new ProbeResult.Down(T0, Duration.ofMillis(1000), "timeout", Optional.empty())
                        : new ProbeResult.Up(T0, Duration.ofMillis(3), Optional.empty());
                view = view.withCheck(
                        p,
                        c,
                        new CheckHealth(
                                check,
                                isDown ? HealthState.DOWN : HealthState.UP,
                                T0,
                                isDown ? 0 : 1,
                                isDown ? 1 : 0,
                                Optional.of(result),
                                isDown ? Optional.of((ProbeResult.Down) result) : Optional.empty()));
            }
        }
        return view.next(T0, cutOff ? T0 : null);
    }
}
