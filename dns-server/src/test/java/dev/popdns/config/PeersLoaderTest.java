package dev.popdns.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.popdns.health.DownQuorum;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code peers} and {@code health-agreement} sections of popdns.yaml: defaults and every error with its line. */
class PeersLoaderTest {
    private static ServerConfig load(Path file) throws ConfigException {
        return ConfigLoader.load(new ConfigLoader.Overrides(file, null, List.of(), null, null, false));
    }

    private static String error(Path file, String yaml) throws Exception {
        Files.writeString(file, yaml);
        return assertThrows(ConfigException.class, () -> load(file)).getMessage();
    }

    @Test
    void withoutPeersNothingChanges(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("popdns.yaml");
        Files.writeString(file, "identity: ns1\n");
        assertNull(load(file).peers());
        assertNull(load(file).peerListen());
        assertNull(load(file).httpTls());
    }

    @Test
    void aFullSectionAndItsDefaults(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("popdns.yaml");
        Files.writeString(dir.resolve("peer-token"), "0123456789abcdef0123\n");
        Files.writeString(file, """
                identity: ns2
                peer-listen: 127.0.0.1:8054
                peers:
                  token-file: peer-token
                  nodes:
                    ns1: { url: "https://ns1.hachyderm.io:8054" }
                    ns2: { url: "http://198.18.0.2:8054/" }
                    probe-sg: { url: "http://198.18.0.9:8054", vote-only: true }
                """);
        ServerConfig config = load(file);
        PeersConfig peers = config.peers();
        assertEquals("ns2", peers.self(), "the identity when self is not given");
        assertEquals("0123456789abcdef0123", peers.token());
        assertEquals(
                List.of(
                        new PeersConfig.Node("ns1", URI.create("https://ns1.hachyderm.io:8054"), false),
                        new PeersConfig.Node("ns2", URI.create("http://198.18.0.2:8054"), false),
                        new PeersConfig.Node("probe-sg", URI.create("http://198.18.0.9:8054"), true)),
                peers.nodes());
        assertEquals(
                List.of("ns1", "probe-sg"),
                peers.peers().stream().map(PeersConfig.Node::id).toList());
        assertEquals(DownQuorum.MAJORITY, peers.downQuorum());
        assertEquals(2, peers.agreement().required());
        assertEquals(Duration.ofSeconds(10), peers.staleAfter());
        assertEquals(8054, config.peerListen().getPort());

        Files.writeString(file, Files.readString(file) + "health-agreement: { down-quorum: 3, stale-after: 2s }\n");
        assertEquals(3, load(file).peers().agreement().required());
        assertEquals(Duration.ofSeconds(2), load(file).peers().staleAfter());
    }

    @Test
    void everyProblemNamesItsLine(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("popdns.yaml");
        String message = error(file, """
                peers:
                  self: ns9
                  colour: blue
                  token-file: missing-token
                  nodes:
                    ns1: { url: "ftp://198.18.0.1:21" }
                    NS2: { url: "http://198.18.0.2:8054" }
                    ns3: { url: "http://198.18.0.3:8054/api", vote-only: perhaps }
                    ns4: { vote-only: false }
                health-agreement:
                  down-quorum: most
                  stale-after: 2h
                  flavour: strict
                """);
        List<String> lines = message.lines().toList();
        assertTrue(
                lines.contains(
                        file + ":3: peers.colour: unknown key (expected: one of [ca-file, nodes, self, token-file])"),
                message);
        assertTrue(
                lines.contains(file + ":6: peers.nodes.ns1.url: 'ftp://198.18.0.1:21' (expected: http:// or"
                        + " https://HOST:PORT, no path)"),
                message);
        assertTrue(
                lines.contains(file + ":7: peers.nodes.NS2: id 'NS2' (expected: lower-case letters, digits and"
                        + " '-', at most 63)"),
                message);
        assertTrue(
                lines.contains(file + ":8: peers.nodes.ns3.url: 'http://198.18.0.3:8054/api' (expected: http://"
                        + " or https://HOST:PORT, no path)"),
                message);
        assertTrue(
                lines.contains(file + ":8: peers.nodes.ns3.vote-only: 'perhaps' (expected: true or false)"), message);
        assertTrue(
                lines.contains(file + ":9: peers.nodes.ns4.url: missing (expected: http:// or https://HOST:PORT)"),
                message);
        assertTrue(
                lines.contains(file + ":2: peers.self: 'ns9' is not among peers.nodes (expected: one of [ns1, NS2,"
                        + " ns3, ns4])"),
                message);
        assertTrue(lines.stream().anyMatch(l -> l.startsWith(file + ":4: peers.token-file: cannot read ")), message);
        assertTrue(
                lines.contains(file + ":11: health-agreement.down-quorum: 'most' (expected: majority, all, any or a"
                        + " number 1..1000)"),
                message);
        assertTrue(lines.contains(file + ":12: health-agreement.stale-after: 2h (expected: 100ms..1h)"), message);
        assertTrue(
                lines.contains(file + ":13: health-agreement.flavour: unknown key (expected: one of [down-quorum,"
                        + " stale-after])"),
                message);
        assertEquals(11, lines.size(), message);
    }

    @Test
    void quorumTokenAndSectionRules(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("popdns.yaml");
        String nodes = """
                peers:
                  self: ns1
                  nodes:
                    ns1: { url: "http://198.18.0.1:8054" }
                    ns2: { url: "http://198.18.0.2:8054" }
                """;
        assertEquals(
                file + ":7: health-agreement.down-quorum: 3 (expected: 1..2, the number of nodes)",
                error(file, nodes + "health-agreement:\n  down-quorum: 3\n"));
        assertEquals(
                file + ":1: health-agreement: without peers (expected: a peers section beside it)",
                error(file, "health-agreement: { down-quorum: any }\n"));
        Files.writeString(dir.resolve("short"), "tooshort\n");
        assertEquals(
                file + ":3: peers.token-file: " + dir.resolve("short")
                        + " holds a token of 8 characters (expected: at least 16)",
                error(
                        file,
                        "peers:\n  self: ns1\n  token-file: short\n  nodes:\n    ns1: { url: \"http://198.18.0.1:1\" }\n"));
        assertTrue(error(file, "http-tls: { cert: c.pem, kye: k.pem }\n").startsWith(file + ":1: "));
        assertEquals(
                file + ":1: http-tls: cannot read " + dir.resolve("c.pem") + " (expected: a PEM file)",
                error(file, "http-tls: { cert: c.pem, key: k.pem }\n"));
    }
}
