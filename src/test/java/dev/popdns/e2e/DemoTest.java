package dev.popdns.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.ClientSubnetOption;
import org.xbill.DNS.Message;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * The README's run command as a user runs it: {@code ./popdns demo} starts, every dig command it
 * prints gets an answer, the status page is up, {@code demo fail} moves an answer and
 * {@code demo heal} brings it back, and Ctrl-C (SIGINT) stops everything.
 */
class DemoTest {
    private static final Path ROOT = Path.of(System.getProperty("popdns.root", "../.."));
    private static final Pattern DIG =
            Pattern.compile("dig @127\\.0\\.0\\.1 -p 5300 \\+short (\\S+) (A|AAAA) \\+subnet=(\\S+)/(\\d+)");

    @Test
    void demoRunsFailsHealsAndStops(@TempDir Path dir) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(ROOT.resolve("popdns").toString(), "demo", "--dir", dir.toString())
                .redirectErrorStream(true);
        pb.environment().put("POPDNS_SKIP_BUILD", "1"); // the build running these tests made the jar
        Process demo = pb.start();
        List<String> output = new ArrayList<>();
        List<String[]> digs = new ArrayList<>();
        List<List<String>> commands = new ArrayList<>();
        try {
            BufferedReader r = new BufferedReader(new InputStreamReader(demo.getInputStream(), StandardCharsets.UTF_8));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            String line;
            while ((line = r.readLine()) != null && System.nanoTime() < deadline) {
                output.add(line);
                Matcher m = DIG.matcher(line);
                if (m.find()) {
                    digs.add(new String[] {m.group(1), m.group(2), m.group(3), m.group(4)});
                }
                Matcher c = COMMAND.matcher(line);
                if (c.find()) {
                    commands.add(List.of(c.group(1).trim().split(" +")));
                }
                if (line.contains("Ctrl-C stops everything")) {
                    break;
                }
            }
            assertEquals(3, digs.size(), String.join("\n", output));
            Thread reader = new Thread(() -> r.lines().forEach(l -> {}));
            reader.setDaemon(true);
            reader.start();

            String[] expected = {"192.0.2.4", "2001:db8:10:0:0:0:0:1", "203.0.113.30"};
            for (int i = 0; i < digs.size(); i++) {
                assertEquals(
                        List.of(expected[i]),
                        ask(digs.get(i)),
                        "answer to the printed dig command " + String.join(" ", digs.get(i)));
            }
            HttpResponse<String> page = HttpClient.newHttpClient()
                    .send(
                            HttpRequest.newBuilder(URI.create("http://127.0.0.1:8053/"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            assertEquals(200, page.statusCode());
            assertTrue(page.body().contains("<html"), page.body());

            assertEquals(0, run("demo", "--dir", dir.toString(), "fail", "eu-west", "nginx"));
            assertTrue(waitFor(digs.get(0), "192.0.2.1"), "the Dutch client moves to hq after demo fail");
            // the printed operator commands, against the running demo
            List<String> explain = printed(commands, "explain");
            String why = output(explain);
            assertTrue(why.contains("eu-west") && why.contains("NOT eligible (nginx DOWN"), why);
            assertTrue(why.contains("answer:    hq (nearest)"), why);
            String status = output(printed(commands, "status"));
            assertTrue(status.replaceAll(" +", " ").contains("eu-west active DOWN"), status);
            String planned = output(printed(commands, "drain"));
            assertTrue(planned.startsWith("eu-west: drain at "), planned);
            assertTrue(output(printed(commands, "status")).contains("drain at "), "status shows the countdown");
            assertEquals(
                    "eu-west: scheduled drain cancelled, no drain override\n", output(printed(commands, "undrain")));
            assertEquals(0, run("demo", "--dir", dir.toString(), "heal", "eu-west", "nginx"));
            assertTrue(waitFor(digs.get(0), "192.0.2.4"), "and back to eu-west after demo heal");
            assertEquals(
                    2,
                    run("demo", "--dir", dir.toString(), "fail", "mars", "nginx"),
                    "an unknown PoP is a usage error");
        } finally {
            // Ctrl-C: SIGINT to the JVM (the launcher exec'd it, so this is the java process)
            new ProcessBuilder("kill", "-INT", Long.toString(demo.pid()))
                    .start()
                    .waitFor(5, TimeUnit.SECONDS);
            boolean stopped = demo.waitFor(20, TimeUnit.SECONDS);
            if (!stopped) {
                demo.destroyForcibly();
            }
            assertTrue(stopped, "the demo stops on Ctrl-C");
        }
        assertEquals(
                null,
                DnsClient.udp(
                        new InetSocketAddress("127.0.0.1", 5300),
                        DnsClient.query("hachyderm.io.", Type.A).toWire(),
                        500),
                "nothing answers after the demo stopped");
    }

    /** {@code ./popdns COMMAND ...} lines the demo prints, with the trailing comment cut off. */
    private static final Pattern COMMAND = Pattern.compile("^\\s+\\./popdns ((?:explain|status|drain|undrain)[^#]*)");

    private static List<String> printed(List<List<String>> commands, String name) {
        for (List<String> c : commands) {
            if (c.get(0).equals(name)) {
                return c;
            }
        }
        throw new AssertionError("the demo prints no ./popdns " + name + " command: " + commands);
    }

    /** Runs a printed command through the launcher; its standard output (fails on a non-zero exit). */
    private static String output(List<String> args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(ROOT.resolve("popdns").toString()));
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD);
        pb.environment().put("POPDNS_SKIP_BUILD", "1");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), String.join(" ", args) + ":\n" + out);
        return out;
    }

    private static List<String> ask(String[] dig) throws Exception {
        InetAddress subnet = InetAddress.getByName(dig[2]);
        Message q = DnsClient.query(dig[0] + ".", Type.value(dig[1]));
        q.addRecord(
                new OPTRecord(1232, 0, 0, 0, List.of(new ClientSubnetOption(Integer.parseInt(dig[3]), subnet))),
                Section.ADDITIONAL);
        Message reply = DnsClient.ask(DnsClient.Transport.UDP, new InetSocketAddress("127.0.0.1", 5300), q);
        List<String> addresses = new ArrayList<>();
        for (Record rec : reply.getSection(Section.ANSWER)) {
            addresses.add(rec.rdataToString());
        }
        return addresses;
    }

    private static boolean waitFor(String[] dig, String address) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (System.nanoTime() < deadline) {
            if (ask(dig).equals(List.of(address))) {
                return true;
            }
            Thread.sleep(100);
        }
        return false;
    }

    private static int run(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(ROOT.resolve("popdns").toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("POPDNS_SKIP_BUILD", "1");
        Process p = pb.start();
        p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        return p.exitValue();
    }
}
