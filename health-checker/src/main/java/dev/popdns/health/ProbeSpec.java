package dev.popdns.health;

/**
 * What one check probes, independent of the PoP: the {@code http}, {@code tcp} and
 * {@code postgres-replica} check kinds of {@code pops.yaml}. Targets may hold the placeholder
 * {@code {address}}, replaced by the PoP's probe address (IPv6 addresses in brackets) when the
 * check is bound to a PoP by {@link Probe#create}; a target without it is probed as written (a
 * PoP's own URL). Whether a shared check must be a template is the config's rule, not this module's.
 *
 * <p>Implementations are immutable and validate themselves on construction, throwing
 * {@link IllegalArgumentException} with a message of the form {@code "key: value (expected: ...)"}
 * that the config loader prefixes with the file, line and path.
 */
public sealed interface ProbeSpec permits HttpSpec, TcpSpec, ReplicaSpec {
    /** The placeholder replaced by the PoP's address in every template. */
    String ADDRESS = "{address}";
}
