package dev.popdns.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
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
        Process server = null;
        try {
            exec(List.of("ip", "-n", NAMESPACE, "link", "set", "lo", "up"), false);
            List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", NAMESPACE));
            cmd.addAll(ServerProcess.javaCommand());
            cmd.addAll(List.of("serve", "--zones", zones.toString(), "--http", "127.0.0.1:8053"));
            for (String address : listen) {
                cmd.addAll(List.of("--listen", address));
            }
            server = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            body.run(awaitReady(server));
        } finally {
            if (server != null) {
                server.destroy();
                if (!server.waitFor(10, TimeUnit.SECONDS)) {
                    server.destroyForcibly();
                }
            }
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

    /** The server's output up to its "ready" line; fails on exit or after 60 s. */
    private static String awaitReady(Process server) throws Exception {
        LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader in =
                    new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                    lines.add(line);
                }
            } catch (IOException e) {
                // the process ended
            }
        });
        reader.setDaemon(true);
        reader.start();
        StringBuilder log = new StringBuilder();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            String line = lines.poll(200, TimeUnit.MILLISECONDS);
            if (line != null) {
                log.append(line).append('\n');
                if (line.endsWith(" ready")) {
                    return log.toString();
                }
            } else if (!server.isAlive() && lines.isEmpty()) {
                fail("the server exited (" + server.exitValue() + ") before it was ready:\n" + log);
            }
        }
        fail("the server was not ready within 60 s:\n" + log);
        return log.toString();
    }

    private static String exec(List<String> cmd, boolean mayFail) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(20, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail(String.join(" ", cmd) + ": no exit within 20 s");
        }
        if (p.exitValue() != 0 && !mayFail) {
            fail(String.join(" ", cmd) + ": exit " + p.exitValue() + ": " + out);
        }
        return out;
    }
}
