package dev.popdns.peers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.popdns.health.AdminOverride;
import dev.popdns.health.HealthState;
import dev.popdns.health.OverrideEvent;
import dev.popdns.health.PeerView;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The JSON of /api/v1/health: what one node writes, another reads back the same; malformed views are refused whole. */
class PeerViewJsonTest {
    private static final Instant T0 = Instant.parse("2026-05-01T12:00:00Z");

    private static PeerView view() {
        OverrideEvent drain = new OverrideEvent(
                "pop-a",
                Optional.of(new AdminOverride(AdminOverride.Action.DRAIN, T0.plusSeconds(600), "maintenance")),
                T0,
                "ns2");
        OverrideEvent clear = new OverrideEvent("hq", Optional.empty(), T0.plusSeconds(1), "ns3");
        return new PeerView(
                "ns1",
                T0.plusMillis(1500),
                "abc123",
                false,
                List.of(
                        new PeerView.PopView(
                                "hq",
                                Optional.of(clear),
                                List.of(new PeerView.CheckView(
                                        "web",
                                        HealthState.UP,
                                        4,
                                        0,
                                        T0,
                                        Optional.empty(),
                                        Optional.of(Duration.ofNanos(1_234_000))))),
                        new PeerView.PopView(
                                "pop-a",
                                Optional.of(drain),
                                List.of(new PeerView.CheckView(
                                        "web",
                                        HealthState.DOWN,
                                        0,
                                        3,
                                        T0.minusSeconds(5),
                                        Optional.of("connect: timed out after 400ms"),
                                        Optional.empty())))));
    }

    @Test
    void aViewSurvivesTheTrip() {
        PeerView view = view();
        assertEquals(view, PeerViewJson.read(PeerViewJson.write(view, false)));
    }

    @Test
    void malformedViewsAreRefusedWithTheField() {
        String json = PeerViewJson.write(view(), false);
        assertEquals(
                "pops[1].checks[0].state: 'sideways' (expected: up, down or unknown)",
                assertThrows(
                                IllegalArgumentException.class,
                                () -> PeerViewJson.read(json.replace("\"state\":\"down\"", "\"state\":\"sideways\"")))
                        .getMessage());
        assertEquals(
                "pops[1].override.action: 'pause' (expected: drain, force-up or clear)",
                assertThrows(
                                IllegalArgumentException.class,
                                () -> PeerViewJson.read(json.replace("\"action\":\"drain\"", "\"action\":\"pause\"")))
                        .getMessage());
        assertEquals(
                "taken_at: 'yesterday' (expected: an ISO-8601 instant)",
                assertThrows(
                                IllegalArgumentException.class,
                                () -> PeerViewJson.read(
                                        json.replaceFirst("\"taken_at\":\"[^\"]*\"", "\"taken_at\":\"yesterday\"")))
                        .getMessage());
        assertEquals(
                "not JSON (expected: the JSON of /api/v1/health)",
                assertThrows(IllegalArgumentException.class, () -> PeerViewJson.read("<html>"))
                        .getMessage());
    }
}
