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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The production listen addresses of the README, {@code 0.0.0.0:53} and {@code [::]:53} side by
 * side, UDP and TCP: each gets sockets of its own family (the IPv6 TCP one IPV6_V6ONLY), so both bind
 * and both families are answered over both transports. Until they did, the second TCP bind failed
 * with "Address already in use" and the server did not start. Both UDP paths are run: recvmmsg
 * (the default on Java 22+) and the JDK's sockets ({@code -Dpopdns.udp=jdk}). The wildcard
 * addresses are bound inside a network namespace this test makes (only its loopback is up),
 * removed at the end.
 */
class WildcardListenTest {
    private static final String NAMESPACE =
            "popdns-any-" + ProcessHandle.current().pid();
    private static final int PORT = 5300;

    @ParameterizedTest
    @ValueSource(strings = {"native", "jdk"})
    void ipv4AndIpv6WildcardsBindSideBySide(String udp, @TempDir Path dir) throws Exception {
        inNamespace(dir, udp, List.of("0.0.0.0:" + PORT, "[::]:" + PORT), log -> {
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
     * IPV6_V6ONLY; over UDP the recvmmsg path's socket is IPV6_V6ONLY too, and the JDK's is
     * dual-stack and the server drops the IPv4 client.
     */
    @ParameterizedTest
    @ValueSource(strings = {"native", "jdk"})
    void ipv6WildcardAloneAnswersNoIpv4Client(String udp, @TempDir Path dir) throws Exception {
        inNamespace(dir, udp, List.of("[::]:" + PORT), log -> {
            for (String transport : List.of("+notcp", "+tcp")) {
                assertEquals("192.0.2.1", ask("::1", transport), "::1 " + transport + "\n" + log);
                String v4 = ask("127.0.0.1", transport);
                assertTrue(v4.contains("timed out") || v4.contains("refused"), "127.0.0.1 " + transport + ": " + v4);
            }
        });
    }

    /**
     * On {@code 0.0.0.0}, a query to one of the host's addresses is answered from that address,
     * not from the route's preferred source: dig, sending from 127.0.0.1 to 127.0.0.2, takes no
     * answer from anywhere else ("reply from unexpected source"). The recvmmsg path only (IP_PKTINFO);
     * the README says to list the addresses on the JDK's.
     */
    @Test
    void aWildcardAnswersFromTheAddressAsked(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(Runtime.version().feature() >= 22, "the recvmmsg path needs Java 22 or newer");
        inNamespace(dir, "native", List.of("0.0.0.0:" + PORT), log -> {
            for (String address : List.of("127.0.0.2", "127.9.8.7")) {
                String answer = ask(address, "+notcp", "-b", "127.0.0.1");
                assertEquals("192.0.2.1", answer, address + "\n" + log);
            }
        });
    }

    private interface WithServer {
        void run(String log) throws Exception;
    }

    /** Starts the server in a namespace of its own on {@code listen}, runs {@code body}, removes both. */
    private static void inNamespace(Path dir, String udp, List<String> listen, WithServer body) throws Exception {
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
            cmd.add(cmd.size() - 2, "-Dpopdns.udp=" + udp); // before -jar popdns.jar
            cmd.addAll(List.of("serve", "--zones", zones.toString(), "--http", "127.0.0.1:8053"));
            for (String address : listen) {
                cmd.addAll(List.of("--listen", address));
            }
            try (NodeProcess server = new NodeProcess(
                    "server", new ProcessBuilder(cmd).redirectErrorStream(true).start())) {
                assertTrue(
                        server.awaitLog(l -> l.endsWith(" ready"), Duration.ofSeconds(60)),
                        "the server was not ready within 60 s:\n" + server.log());
                String path = udp.equals("jdk") || Runtime.version().feature() < 22 ? "JDK sockets" : "recvmmsg";
                assertTrue(server.log().contains(path), "UDP on " + path + ":\n" + server.log());
                body.run(server.log());
            }
        } finally {
            exec(List.of("ip", "netns", "del", NAMESPACE), true);
        }
    }

    /**
     * dig's short answer (or its error) for defence.test. A from {@code resolver} in the namespace,
     * over {@code transport} ({@code +notcp} or {@code +tcp}), with {@code extra} dig options.
     */
    private static String ask(String resolver, String transport, String... extra) throws Exception {
        List<String> cmd = new ArrayList<>(
                List.of("ip", "netns", "exec", NAMESPACE, "dig", "+short", transport, "+time=2", "+tries=1"));
        cmd.addAll(List.of(extra));
        cmd.addAll(List.of("@" + resolver, "-p", Integer.toString(PORT), "defence.test.", "A"));
        return exec(cmd, true).strip();
    }
}
