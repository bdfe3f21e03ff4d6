package dev.popdns.config;

import dev.popdns.config.YamlTree.MapNode;
import dev.popdns.config.YamlTree.Node;
import dev.popdns.config.YamlTree.Scalar;
import dev.popdns.health.DownQuorum;
import dev.popdns.health.Durations;
import dev.popdns.health.HealthAgreement;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads the {@code peers} and {@code health-agreement} sections of {@code popdns.yaml} into a
 * {@link PeersConfig}. Every problem is collected and names {@code file:line}, the key and the
 * expectation, e.g. {@code popdns.yaml:7: peers.nodes.ns2.url: 'ftp://x' (expected: http:// or
 * https://HOST:PORT)}. Files are resolved against the config file's directory; the token file is
 * read here, so a missing or short token stops {@code popdns check} as it would stop the server.
 */
final class PeersLoader {
    static final Set<String> PEERS_KEYS = Set.of("self", "token-file", "ca-file", "nodes");
    static final Set<String> NODE_KEYS = Set.of("url", "vote-only");
    static final Set<String> AGREEMENT_KEYS = Set.of("down-quorum", "stale-after");
    static final int MIN_TOKEN = 16;

    private final Path file;
    private final Path base;
    private final List<String> problems = new ArrayList<>();

    private PeersLoader(Path file, Path base) {
        this.file = file;
        this.base = base;
    }

    /**
     * The peers of {@code file}, or null when it has no {@code peers} section.
     *
     * @param identity this node's id when {@code peers.self} is not given
     * @throws ConfigException listing every problem
     */
    static PeersConfig load(Path file, Path base, String identity) throws ConfigException {
        PeersLoader loader = new PeersLoader(file, base);
        PeersConfig config = loader.bind(YamlTree.read(file), identity);
        if (!loader.problems.isEmpty()) {
            throw new ConfigException(String.join("\n", loader.problems));
        }
        return config;
    }

    private PeersConfig bind(Node root, String identity) {
        if (!(root instanceof MapNode top)) {
            return null;
        }
        Node peersNode = top.entries().get("peers");
        Node agreementNode = top.entries().get("health-agreement");
        if (peersNode == null) {
            if (agreementNode != null) {
                problem(agreementNode.line(), "health-agreement: without peers (expected: a peers section beside it)");
            }
            return null;
        }
        MapNode peers = map(peersNode, "peers");
        if (peers == null) {
            return null;
        }
        keys(peers, "peers", PEERS_KEYS);
        Node selfNode = peers.entries().get("self");
        String self = selfNode == null ? identity : text(selfNode, "peers.self");
        MapNode nodesMap = map(peers.entries().get("nodes"), "peers.nodes");
        List<PeersConfig.Node> nodes = nodes(peers, nodesMap);
        if (self != null && nodesMap != null) {
            selfAmongNodes(self, selfNode, peers, nodesMap);
        }
        Node tokenNode = peers.entries().get("token-file");
        Path tokenFile = path(tokenNode, "peers.token-file");
        String token = tokenFile == null ? null : token(tokenFile, tokenNode.line());
        Path caFile = path(peers.entries().get("ca-file"), "peers.ca-file");
        if (caFile != null && !Files.isReadable(caFile)) {
            problem(peers.entries().get("ca-file").line(), "peers.ca-file: cannot read " + caFile);
        }
        MapNode agreement = agreementNode == null ? null : map(agreementNode, "health-agreement");
        DownQuorum quorum = DownQuorum.MAJORITY;
        Duration staleAfter = PeersConfig.DEFAULT_STALE_AFTER;
        if (agreement != null) {
            keys(agreement, "health-agreement", AGREEMENT_KEYS);
            quorum = downQuorum(agreement.entries().get("down-quorum"), nodes.size());
            staleAfter = staleAfter(agreement.entries().get("stale-after"));
        }
        if (!problems.isEmpty() || self == null) {
            return null;
        }
        return new PeersConfig(self, token, tokenFile, caFile, nodes, quorum, staleAfter);
    }

    /** {@code peers.nodes}: every node by id with its url, this one included. */
    private List<PeersConfig.Node> nodes(MapNode peers, MapNode nodesMap) {
        List<PeersConfig.Node> nodes = new ArrayList<>();
        if (nodesMap == null) {
            problem(peers.line(), "peers.nodes: missing (expected: every node by id, each with a url)");
            return nodes;
        }
        for (Map.Entry<String, Node> entry : nodesMap.entries().entrySet()) {
            PeersConfig.Node node = node(nodesMap, entry.getKey(), entry.getValue());
            if (node != null) {
                nodes.add(node);
            }
        }
        if (nodesMap.entries().isEmpty()) {
            problem(nodesMap.line(), "peers.nodes: empty (expected: every node by id, this one included)");
        }
        return nodes;
    }

    /** {@code peers.nodes.ID}: a DNS-label id, a url and {@code vote-only}; null where it is wrong. */
    private PeersConfig.Node node(MapNode nodesMap, String id, Node value) {
        String key = "peers.nodes." + id;
        if (!id.matches("[a-z0-9][a-z0-9-]{0,62}")) {
            problem(
                    nodesMap.keyLines().get(id),
                    key + ": id '" + id + "' (expected: lower-case letters, digits and '-', at most 63)");
        }
        MapNode node = map(value, key);
        if (node == null) {
            return null;
        }
        keys(node, key, NODE_KEYS);
        URI url = url(node.entries().get("url"), key + ".url", node.line());
        boolean voteOnly = bool(node.entries().get("vote-only"), key + ".vote-only");
        return url == null ? null : new PeersConfig.Node(id, url, voteOnly);
    }

    /** {@code peers.self} (or the identity standing in for it) must name one of the nodes. */
    private void selfAmongNodes(String self, Node selfNode, MapNode peers, MapNode nodesMap) {
        if (nodesMap.entries().containsKey(self)) {
            return;
        }
        problem(
                selfNode == null ? peers.line() : selfNode.line(),
                "peers.self: '" + self + "'" + (selfNode == null ? " (the identity)" : "")
                        + " is not among peers.nodes (expected: one of "
                        + nodesMap.entries().keySet() + ")");
    }

    /** The token in {@code peers.token-file}, at least {@link #MIN_TOKEN} characters. */
    private String token(Path tokenFile, int line) {
        try {
            String token = Files.readString(tokenFile).strip();
            if (token.length() < MIN_TOKEN) {
                problem(
                        line,
                        "peers.token-file: " + tokenFile + " holds a token of " + token.length()
                                + " characters (expected: at least " + MIN_TOKEN + ")");
            }
            return token;
        } catch (IOException e) {
            problem(line, "peers.token-file: cannot read " + tokenFile + ": " + e.getMessage());
            return null;
        }
    }

    /** {@code health-agreement.down-quorum}: at most the number of nodes; majority when absent. */
    private DownQuorum downQuorum(Node quorumNode, int nodes) {
        if (quorumNode == null) {
            return DownQuorum.MAJORITY;
        }
        try {
            DownQuorum quorum = DownQuorum.parse(text(quorumNode, "health-agreement.down-quorum"));
            String wrong = nodes > 0 ? HealthAgreement.Settings.quorumProblem(quorum, nodes) : null;
            if (wrong != null) {
                problem(quorumNode.line(), "health-agreement." + wrong);
            }
            return quorum;
        } catch (IllegalArgumentException e) {
            problem(quorumNode.line(), "health-agreement." + e.getMessage());
            return DownQuorum.MAJORITY;
        }
    }

    /** {@code health-agreement.stale-after}: 100ms..1h; {@link PeersConfig#DEFAULT_STALE_AFTER} when absent. */
    private Duration staleAfter(Node staleNode) {
        if (staleNode == null) {
            return PeersConfig.DEFAULT_STALE_AFTER;
        }
        try {
            Duration staleAfter = Durations.parse(text(staleNode, "health-agreement.stale-after"));
            if (staleAfter.compareTo(HealthAgreement.Settings.MIN_STALE_AFTER) < 0
                    || staleAfter.compareTo(HealthAgreement.Settings.MAX_STALE_AFTER) > 0) {
                problem(
                        staleNode.line(),
                        "health-agreement.stale-after: " + Durations.format(staleAfter) + " (expected: "
                                + Durations.format(HealthAgreement.Settings.MIN_STALE_AFTER) + ".."
                                + Durations.format(HealthAgreement.Settings.MAX_STALE_AFTER) + ")");
            }
            return staleAfter;
        } catch (IllegalArgumentException e) {
            problem(staleNode.line(), "health-agreement.stale-after: " + e.getMessage());
            return PeersConfig.DEFAULT_STALE_AFTER;
        }
    }

    private URI url(Node node, String key, int parentLine) {
        if (node == null) {
            problem(parentLine, key + ": missing (expected: http:// or https://HOST:PORT)");
            return null;
        }
        String text = text(node, key);
        if (text == null) {
            return null;
        }
        try {
            URI uri = new URI(text);
            boolean scheme = "http".equals(uri.getScheme()) || "https".equals(uri.getScheme());
            String path = uri.getRawPath() == null ? "" : uri.getRawPath();
            if (!scheme
                    || uri.getHost() == null
                    || uri.getPort() < 1
                    || !(path.isEmpty() || path.equals("/"))
                    || uri.getRawQuery() != null
                    || uri.getRawUserInfo() != null) {
                problem(node.line(), key + ": '" + text + "' (expected: http:// or https://HOST:PORT, no path)");
                return null;
            }
            return new URI(uri.getScheme(), null, uri.getHost(), uri.getPort(), null, null, null);
        } catch (URISyntaxException e) {
            problem(node.line(), key + ": '" + text + "' (expected: http:// or https://HOST:PORT): " + e.getReason());
            return null;
        }
    }

    private Path path(Node node, String key) {
        String text = node == null ? null : text(node, key);
        return text == null || text.isBlank() ? null : base.resolve(text);
    }

    private boolean bool(Node node, String key) {
        if (node == null) {
            return false;
        }
        String text = text(node, key);
        if ("true".equals(text) || "false".equals(text)) {
            return Boolean.parseBoolean(text);
        }
        problem(node.line(), key + ": '" + text + "' (expected: true or false)");
        return false;
    }

    private String text(Node node, String key) {
        if (node instanceof Scalar scalar && scalar.text() != null) {
            return scalar.text();
        }
        problem(node.line(), key + ": " + describe(node) + " (expected: a value)");
        return null;
    }

    private MapNode map(Node node, String key) {
        if (node == null) {
            return null;
        }
        if (node instanceof MapNode map) {
            return map;
        }
        problem(node.line(), key + ": " + describe(node) + " (expected: a mapping)");
        return null;
    }

    private void keys(MapNode node, String key, Set<String> allowed) {
        for (String name : node.entries().keySet()) {
            if (!allowed.contains(name)) {
                problem(
                        node.keyLines().get(name),
                        key + "." + name + ": unknown key (expected: one of "
                                + allowed.stream().sorted().toList() + ")");
            }
        }
    }

    private static String describe(Node node) {
        return switch (node) {
            case MapNode m -> "a mapping";
            case YamlTree.ListNode l -> "a list";
            case Scalar s -> s.text() == null ? "null" : "'" + s.text() + "'";
        };
    }

    private void problem(int line, String message) {
        problems.add(file + ":" + line + ": " + message);
    }
}
