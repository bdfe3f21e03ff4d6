package dev.popdns.health;

import java.time.Clock;
import java.util.Map;

/**
 * One check bound to one PoP, ready to run: {@link HttpProbe}, {@link TcpProbe} or
 * {@link ReplicaLagProbe}.
 *
 * <p>{@link #probe()} blocks the calling thread for at most about the check's timeout (the
 * PostgreSQL driver counts its timeouts in whole seconds, see {@link ReplicaLagProbe}), never
 * throws, and reports every failure as a {@link ProbeResult.Down}. Probes may be called from
 * several threads at once; only {@link ReplicaLagProbe} keeps something between calls (its
 * connection), released by {@link #close()}. The {@link HealthMonitor} calls them on its
 * schedule and closes them when it closes; the CLI may call one directly.
 */
public sealed interface Probe permits HttpProbe, TcpProbe, ReplicaLagProbe {
    /** Probes the target once; see the type's contract. */
    ProbeResult probe();

    /** Releases what the probe keeps between calls; idempotent. Nothing by default. */
    default void close() {}

    /**
     * Binds {@code check} to {@code pop}'s {@link PopTarget#probeTarget() probe address}.
     *
     * @param clock stamps {@link ProbeResult#at()}
     * @param environment where {@code password-env} variables are looked up (normally
     *     {@link System#getenv()})
     * @throws IllegalArgumentException when the bound template is not valid for this address, or
     *     a {@code ca-file} cannot be read or holds no certificate
     */
    static Probe create(PopTarget pop, CheckConfig check, Clock clock, Map<String, String> environment) {
        String address = pop.probeTarget();
        return switch (check.spec()) {
            case HttpSpec http -> new HttpProbe(http, address, check.timing().timeout(), clock);
            case TcpSpec tcp -> new TcpProbe(tcp, address, check.timing().timeout(), clock);
            case ReplicaSpec replica ->
                new ReplicaLagProbe(replica, address, check.timing().timeout(), clock, environment);
        };
    }
}
