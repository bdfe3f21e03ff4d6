package dev.popdns.config;

import dev.popdns.health.DownQuorum;
import dev.popdns.health.HealthAgreement;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The {@code peers} and {@code health-agreement} sections of {@code popdns.yaml}: the nodes that
 * vote on health, this node's id among them, and the vote rule's parameters. Validated by
 * {@link PeersLoader}; immutable.
 *
 * @param self this node's id, one of {@code nodes}
 * @param token the bearer token peers present to {@code GET /api/v1/health} (from {@code
 *     token-file}), or null when the endpoint is open
 * @param tokenFile where the token came from, or null
 * @param caFile PEM certificates to trust for https peer URLs, or null for the JVM's trust store
 * @param nodes every node, this one included, in file order
 * @param downQuorum how many fresh DOWN views make a check DOWN
 * @param staleAfter a peer view received longer ago than this does not vote
 */
public record PeersConfig(
        String self,
        String token,
        Path tokenFile,
        Path caFile,
        List<Node> nodes,
        DownQuorum downQuorum,
        Duration staleAfter) {
    /** Default of {@code health-agreement.stale-after}. */
    public static final Duration DEFAULT_STALE_AFTER = Duration.ofSeconds(10);

    public PeersConfig {
        nodes = List.copyOf(nodes);
    }

    /**
     * One node.
     *
     * @param id its id ({@code self} on that node)
     * @param url where its HTTP side answers, {@code http(s)://host:port}
     * @param voteOnly a standalone prober ({@code popdns probe}): it votes and answers no queries
     */
    public record Node(String id, URI url, boolean voteOnly) {}

    /** Every node but this one. */
    public List<Node> peers() {
        return nodes.stream().filter(n -> !n.id().equals(self)).toList();
    }

    /** This node. */
    public Node selfNode() {
        return nodes.stream().filter(n -> n.id().equals(self)).findFirst().orElseThrow();
    }

    /** The vote rule's settings. */
    public HealthAgreement.Settings agreement() {
        return new HealthAgreement.Settings(self, nodes.size(), downQuorum, staleAfter);
    }
}
