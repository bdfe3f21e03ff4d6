package dev.popdns.peers;

import dev.popdns.health.HealthAgreement;
import dev.popdns.health.HealthState;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The exchange's metrics, read from its latest agreement at scrape time: {@code
 * popdns_peer_up{peer}}, {@code popdns_peer_view_age_seconds{peer}}, {@code
 * popdns_health_votes{pop,check,state}}, {@code popdns_health_agreed_up{pop,check}} and {@code
 * popdns_health_deciding_alone}. Tags are bounded by configuration (peer ids, PoP ids, check
 * names); the gauges of the pairs are registered by {@link #registerPairs} after each (re)load.
 */
public final class PeerMetrics {
    private final PeerExchange exchange;
    private final MeterRegistry registry;
    private final Set<String> pairs = ConcurrentHashMap.newKeySet();

    public PeerMetrics(PeerExchange exchange, MeterRegistry registry) {
        this.exchange = exchange;
        this.registry = registry;
        for (PeerExchange.PeerStatus peer : exchange.peers()) {
            String id = peer.id();
            Gauge.builder(
                            "popdns_peer_up",
                            exchange,
                            e -> peer(e, id) != null && peer(e, id).reachable() ? 1 : 0)
                    .tag("peer", id)
                    .description("1 when the latest pull of the peer's health view succeeded")
                    .register(registry);
            Gauge.builder("popdns_peer_view_age_seconds", exchange, e -> {
                        PeerExchange.PeerStatus status = peer(e, id);
                        return status == null || status.viewAge().isEmpty()
                                ? Double.NaN
                                : status.viewAge().get().toMillis() / 1000.0;
                    })
                    .tag("peer", id)
                    .description("Seconds since the peer's latest health view arrived")
                    .register(registry);
        }
        Gauge.builder("popdns_health_deciding_alone", exchange, e -> {
                    HealthAgreement.Agreement a = e.agreement();
                    return a != null && a.decidingAlone() ? 1 : 0;
                })
                .description("1 while fewer views vote than down-quorum needs, so this node decides from its own view")
                .register(registry);
    }

    /** Registers the gauges of the (PoP, check) pairs not seen before; after the exchange follows a monitor. */
    public void registerPairs() {
        HealthAgreement.Agreement agreement = exchange.agreement();
        if (agreement == null) {
            return;
        }
        for (HealthAgreement.PairVotes pair : agreement.pairs()) {
            String pop = pair.pop();
            String check = pair.check();
            if (!pairs.add(pop + "\u0000" + check)) {
                continue;
            }
            for (HealthState state : new HealthState[] {HealthState.UP, HealthState.DOWN}) {
                Gauge.builder("popdns_health_votes", exchange, e -> votes(e, pop, check, state))
                        .tag("pop", pop)
                        .tag("check", check)
                        .tag("state", state == HealthState.UP ? "up" : "down")
                        .description("Fresh views that see the check in this state, this node's included")
                        .register(registry);
            }
            Gauge.builder("popdns_health_agreed_up", exchange, e -> {
                        HealthAgreement.Agreement a = e.agreement();
                        HealthAgreement.PairVotes p =
                                a == null ? null : a.pair(pop, check).orElse(null);
                        return p == null ? Double.NaN : p.agreed() == HealthState.UP ? 1 : 0;
                    })
                    .tag("pop", pop)
                    .tag("check", check)
                    .description("1 when the nodes agree the check is UP at the PoP")
                    .register(registry);
        }
    }

    private static double votes(PeerExchange exchange, String pop, String check, HealthState state) {
        HealthAgreement.Agreement a = exchange.agreement();
        HealthAgreement.PairVotes p = a == null ? null : a.pair(pop, check).orElse(null);
        if (p == null) {
            return Double.NaN;
        }
        return state == HealthState.UP ? p.up() : p.down();
    }

    private static PeerExchange.PeerStatus peer(PeerExchange exchange, String id) {
        for (PeerExchange.PeerStatus status : exchange.peers()) {
            if (status.id().equals(id)) {
                return status;
            }
        }
        return null;
    }
}
