package dev.popdns.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * DNS cookies (RFC 7873, RFC 9018 server cookies) as dig (BIND) and kdig (Knot) use them against
 * the packaged server: a fresh server cookie for a client cookie, the cookie accepted when sent
 * back, a fresh one for a wrong one, FORMERR for a malformed option, BADCOOKIE for a
 * cookie-only query with a wrong one, and one secret file shared by two servers.
 */
class CookieTest {
    private static final Pattern DIG_COOKIE = Pattern.compile("; COOKIE: ([0-9a-fA-F]+)( \\(good\\))?");

    @Test
    void digLearnsAServerCookieAndHasItAccepted() throws Exception {
        try (ServerProcess server = ServerProcess.start(Path.of("resources/zones"))) {
            String first = run(dig(server, "+cookie", "example.test.", "NS"));
            assertTrue(first.contains("status: NOERROR"), first);
            Matcher m = matcher(first);
            String cookie = m.group(1).toLowerCase(Locale.ROOT);
            assertEquals(48, cookie.length(), "8-byte client + 16-byte server cookie: " + first);
            assertEquals(" (good)", m.group(2), "dig found its client cookie echoed: " + first);
            assertTrue(cookie.substring(16).startsWith("01000000"), "version 1, reserved 0: " + cookie);

            String second = run(dig(server, "+cookie=" + cookie, "example.test.", "NS"));
            assertTrue(second.contains("status: NOERROR") && second.contains("ANSWER: 2"), second);
            assertEquals(cookie, matcher(second).group(1).toLowerCase(Locale.ROOT), "a valid cookie is echoed as sent");

            String wrong = cookie.substring(0, 47) + (cookie.endsWith("0") ? "1" : "0");
            String third = run(dig(server, "+cookie=" + wrong, "example.test.", "NS"));
            assertTrue(third.contains("status: NOERROR") && third.contains("ANSWER: 2"), third);
            String fresh = matcher(third).group(1).toLowerCase(Locale.ROOT);
            assertEquals(cookie.substring(0, 16), fresh.substring(0, 16));
            assertNotEquals(wrong, fresh, "a wrong server cookie gets a fresh one: " + third);

            String malformed = run(dig(server, "+cookie=0102030405", "example.test.", "NS"));
            assertTrue(malformed.contains("status: FORMERR"), malformed);

            // RFC 7873 §5.4: a query without a question asks only for a cookie
            String header = run(dig(server, "+header-only", "+nobadcookie", "+cookie=" + wrong));
            assertTrue(header.contains("status: BADCOOKIE"), header);
            String headerGood = run(dig(server, "+header-only", "+cookie=" + cookie));
            assertTrue(headerGood.contains("status: NOERROR"), headerGood);
        }
    }

    @Test
    void kdigLearnsAServerCookieAndHasItAccepted() throws Exception {
        try (ServerProcess server = ServerProcess.start(Path.of("resources/zones"))) {
            String first = run(kdig(server, "+cookie", "example.test.", "NS"));
            String cookie = kdigCookie(first);
            assertEquals(48, cookie.length(), first);
            String second = run(kdig(server, "+cookie=" + cookie, "example.test.", "NS"));
            assertTrue(second.contains("status: NOERROR") && second.contains("ANSWER: 2"), second);
            assertEquals(cookie, kdigCookie(second), "a valid cookie is echoed as sent: " + second);
        }
    }

    @Test
    void serversSharingTheSecretFileAcceptEachOthersCookies(@TempDir Path dir) throws Exception {
        Path shared = dir.resolve("shared.yaml");
        Path other = dir.resolve("other.yaml");
        Files.writeString(dir.resolve("secret"), "00112233445566778899aabbccddeeff\n");
        Files.writeString(dir.resolve("other-secret"), "ffeeddccbbaa99887766554433221100\n");
        Files.writeString(shared, "cookie-secret-file: secret\n");
        Files.writeString(other, "cookie-secret-file: other-secret\n");
        try (ServerProcess a = ServerProcess.start(Path.of("resources/zones"), "--config", shared.toString());
                ServerProcess b = ServerProcess.start(Path.of("resources/zones"), "--config", shared.toString());
                ServerProcess c = ServerProcess.start(Path.of("resources/zones"), "--config", other.toString())) {
            String cookie = matcher(run(dig(a, "+cookie", "example.test.", "NS")))
                    .group(1)
                    .toLowerCase(Locale.ROOT);
            String atB = matcher(run(dig(b, "+cookie=" + cookie, "example.test.", "NS")))
                    .group(1)
                    .toLowerCase(Locale.ROOT);
            assertEquals(cookie, atB, "ns2 accepts the cookie ns1 issued");
            String atC = matcher(run(dig(c, "+cookie=" + cookie, "example.test.", "NS")))
                    .group(1)
                    .toLowerCase(Locale.ROOT);
            assertNotEquals(cookie, atC, "a server with another secret issues its own");
            assertTrue(a.logText().contains("cookies: secret from"), a.logText());
        }
    }

    @Test
    void aSecretFileOfTheWrongLengthStopsTheStart(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("secret"), "0011223344\n");
        Path config = dir.resolve("popdns.yaml");
        Files.writeString(config, "cookie-secret-file: secret\n");
        List<String> cmd = new ArrayList<>(ServerProcess.javaCommand());
        cmd.addAll(List.of(
                "serve",
                "--config",
                config.toString(),
                "--zones",
                "resources/zones",
                "--listen",
                "127.0.0.1:" + ServerProcess.freePort(),
                "--http",
                "127.0.0.1:" + ServerProcess.freePort()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "did not stop");
        assertNotEquals(0, p.exitValue(), output);
        assertTrue(output.contains("cookie secret of 10 characters (expected: 32 hex digits"), output);
    }

    private static Matcher matcher(String digOutput) {
        Matcher m = DIG_COOKIE.matcher(digOutput);
        assertTrue(m.find(), "no COOKIE in:\n" + digOutput);
        return m;
    }

    private static String kdigCookie(String output) {
        Matcher m = Pattern.compile(";; COOKIE: ([0-9a-fA-F]+)").matcher(output);
        assertTrue(m.find(), "no COOKIE in:\n" + output);
        return m.group(1).toLowerCase(Locale.ROOT);
    }

    private static List<String> dig(ServerProcess server, String... args) {
        List<String> cmd = new ArrayList<>(
                List.of("dig", "@127.0.0.1", "-p", Integer.toString(server.dnsPort), "+norec", "+time=3", "+tries=2"));
        cmd.addAll(List.of(args));
        return cmd;
    }

    private static List<String> kdig(ServerProcess server, String... args) {
        List<String> cmd = new ArrayList<>(
                List.of("kdig", "@127.0.0.1", "-p", Integer.toString(server.dnsPort), "+norec", "+time=3", "+retry=1"));
        cmd.addAll(List.of(args));
        return cmd;
    }

    private static String run(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "timed out: " + cmd);
        return output;
    }
}
