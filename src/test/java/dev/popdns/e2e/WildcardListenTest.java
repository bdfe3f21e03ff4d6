package dev.popdns.e2e;

import static dev.popdns.e2e.PeerAgreementNetnsTest.exec;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.popdns.e2e.PeerAgreementNetnsTest.NodeProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The production listen addresses of the README, {@code 0.0.0.0:53} and {@code [::]:53} side by
 * side, UDP and TCP: each gets sockets of its own family (the IPv6 TCP one IPV6_V6ONLY), so both bind
 * and both families are answered over both transports. Until they did, the second TCP bind failed
 * with "Address already in use" and the server did not start. The wildcard addresses are bound
 * inside a network namespace this test makes (only its loopback is up), removed at the end.
 */
class WildcardListenTest {
    private static final String NAMESPACE =
            "popdns-any-" + ProcessHandle.current().pid();
    private static final int PORT = 5300;

    @Test
    void ipv4AndIpv6WildcardsBindSideBySide(@TempDir Path dir) throws Exception {
        inNamespace(dir, List.of("0.0.0.0:" + PORT, "[::]:" + PORT), log -> {
            for (String resolver : List.of("127.0.0.1", "::1")) {
                for (String transport : List.of("+notcp", "+tcp")) {
                    assertEquals("192.0.2.1", ask(resolver, transport), resolver + " " + transport + "\n" + log);
                }
            }
            // listening sockets of both families on the port
            String sockets = exec(List.of("ip", "netns", "exec", NAMESPACE, "ss", "-lntu"), false);
            assertTrue(sockets.contains("0.0.0.0:" + PORT), sockets);
            assertTrue(sockets.contains("[::]:" + PORT), sockets);
        });
    }

    /**
     * {@code [::]:53} alone answers IPv6 clients only, as the README says: over TCP its listener is
     * IPV6_V6ONLY; over UDP the JDK's socket is dual-stack and the server drops the IPv4 client.
     */
    @Test
    void ipv6WildcardAloneAnswersNoIpv4Client(@TempDir Path dir) throws Exception {
        inNamespace(dir, List.of("[::]:" + PORT), log -> {
            for (String transport : List.of("+notcp", "+tcp")) {
                assertEquals("192.0.2.1", ask("::1", transport), "::1 " + transport + "\n" + log);
                String v4 = ask("127.0.0.1", transport);
                assertTrue(v4.contains("timed out") || v4.contains("refused"), "127.0.0.1 " + transport + ": " + v4);
            }
        });
    }

    private interface WithServer {
        void run(String log) throws Exception;
    }

    /** Starts the server in a namespace of its own on {@code listen}, runs {@code body}, removes both. */
    private static void inNamespace(Path dir, List<String> listen, WithServer body) throws Exception {
        Assumptions.assumeTrue(
                PeerAgreementNetnsTest.namespacesPossible(),
                "network namespaces cannot be made here (needs root and `ip netns`): the wildcard binds stay inside one");
        Path zones = TcpDefenceTest.zones(dir);
        exec(List.of("ip", "netns", "del", NAMESPACE), true);
        exec(List.of("ip", "netns", "add", NAMESPACE), false);
        try {
            exec(List.of("ip", "-n", NAMESPACE, "link", "set", "lo", "up"), false);
            List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", NAMESPACE));
            cmd.addAll(ServerProcess.javaCommand());
            cmd.addAll(List.of("serve", "--zones", zones.toString(), "--http", "127.0.0.1:8053"));
            for (String address : listen) {
                cmd.addAll(List.of("--listen", address));
            }
            try (NodeProcess server = new NodeProcess(
                    "server", new ProcessBuilder(cmd).redirectErrorStream(true).start())) {
                assertTrue(
                        server.awaitLog(l -> l.endsWith(" ready"), Duration.ofSeconds(60)),
                        "the server was not ready within 60 s:\n" + server.log());
                body.run(server.log());
            }
        } finally {
            exec(List.of("ip", "netns", "del", NAMESPACE), true);
        }
    }

    /** dig's short answer (or its error) for defence.test. A from {@code resolver} in the namespace. */
    private static String ask(String resolver, String transport) throws Exception {
        return exec(
                        List.of(
                                "ip",
                                "netns",
                                "exec",
                                NAMESPACE,
                                "dig",
                                "+short",
                                transport,
                                "+time=2",
                                "+tries=1",
                                "@" + resolver,
                                "-p",
                                Integer.toString(PORT),
                                "defence.test.",
                                "A"),
                        true)
                .strip();
    }
}
