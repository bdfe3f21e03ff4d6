package dev.popdns.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.popdns.e2e.DnsClient.Transport;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.ClientSubnetOption;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * A scheduled drain empties a PoP by its deadline, seen through a real resolver (issue 13): Unbound
 * on loopback with ECS towards popdns ({@code subnetcache}, {@code send-client-subnet}) and a stub
 * zone to the packaged server. A Dutch client (ECS 131.180.1.0/24) gets eu-west with TTL 30;
 * {@code popdns drain eu-west --in 35s} plans the drain; from then on every answer pointing at
 * eu-west carries at most the seconds left until the drain, so Unbound's copy expires by then;
 * at {@code at + 1 s} the client's answer, through Unbound, is hq with a fresh TTL of 30. The
 * status API shows the countdown, {@code popdns explain} the shortened TTL; {@code popdns
 * undrain} brings eu-west back.
 */
class ScheduledDrainTest {
    private static final Path DB = Path.of(System.getProperty("popdns.root", "../.."), "geoip/data/GeoLite2-City.mmdb");
    private static final String TOKEN = "drain-test-secret-5b1e97a3c60d";
    private static final String EU_WEST_A = "192.0.2.4";
    private static final String HQ_A = "192.0.2.1";
    private static final String DUTCH = "131.180.1.0";
    private static final long TTL = 30;
    private static final Duration LEAD = Duration.ofSeconds(35);
    private static final ObjectMapper JSON = new ObjectMapper();

    record Seen(Instant at, String address, long ttl) {}

    @Test
    void aClientLeavesThePopByTheDeadlineThroughUnbound(@TempDir Path dir) throws Exception {
        assertTrue(Files.isRegularFile(DB), "GeoLite2 database missing at " + DB + ": run geoip/fetch-geolite2.sh");
        Path zones = Files.createDirectory(dir.resolve("zones"));
        Files.copy(Path.of("resources/geo/geo.test.zone"), zones.resolve("geo.test.zone"));
        Files.writeString(zones.resolve("pops.yaml"), """
                pops:
                  hq: { hq: true, location: [50.47, 12.37], addresses: [%s] }
                  eu-west: { location: [52.37, 4.90], addresses: [%s] }
                names:
                  geo.test.: { ttl: %d }
                """.formatted(HQ_A, EU_WEST_A, TTL));
        Files.writeString(dir.resolve("admin-token"), TOKEN + "\n");
        Files.writeString(dir.resolve("popdns.yaml"), "admin-token-file: admin-token\n");
        try (ServerProcess server = ServerProcess.start(
                        zones, "--config", dir.resolve("popdns.yaml").toString(), "--geoip", DB.toString());
                Unbound unbound = Unbound.start(dir.resolve("unbound"), server.dnsPort)) {
            Path cli = dir.resolve("cli.yaml");
            Files.writeString(cli, "http: 127.0.0.1:" + server.httpPort + "\nadmin-token-file: admin-token\n");

            Seen first = unbound.ask(DUTCH);
            assertEquals(EU_WEST_A, first.address(), "the Dutch client's nearest PoP");
            assertTrue(first.ttl() <= TTL && first.ttl() >= TTL - 2, first.toString());

            JarCommand.Result planned = JarCommand.run(
                    "drain",
                    "eu-west",
                    "--in",
                    LEAD.toSeconds() + "s",
                    "--reason",
                    "kernel upgrade",
                    "--for",
                    "10m",
                    "--config",
                    cli.toString());
            assertEquals(0, planned.exit(), planned.err());
            Matcher m = Pattern.compile("eu-west: drain at (\\S+) until (\\S+) \\(kernel upgrade\\)")
                    .matcher(planned.out());
            assertTrue(m.find(), planned.out());
            Instant at = Instant.parse(m.group(1));
            assertEquals(at.plus(Duration.ofMinutes(10)), Instant.parse(m.group(2)));

            // until at - TTL an answer's full TTL ends before the drain: it stays 30
            Seen early = ask(server.v4(), DUTCH);
            assertEquals(EU_WEST_A, early.address());
            assertEquals(TTL, early.ttl(), early + " with " + Duration.between(early.at(), at) + " left");
            // the window has begun (at - TTL is in the past): direct answers carry the seconds left
            waitUntil(at.minusSeconds(TTL - 2));
            Seen direct = ask(server.v4(), DUTCH);
            long left = Duration.between(direct.at(), at).toSeconds();
            assertEquals(EU_WEST_A, direct.address());
            assertTrue(direct.ttl() <= left + 1 && direct.ttl() >= left - 1, direct + " with " + left + " s left");

            JsonNode status = JSON.readTree(get(server, "/api/v1/status"));
            JsonNode drain = pop(status, "eu-west").path("scheduled_drain");
            assertEquals(at.toString(), drain.path("at").asText(), status.toString());
            assertEquals("kernel upgrade", drain.path("reason").asText());
            assertTrue(drain.path("ttl_shortened").asBoolean(), drain.toString());
            assertTrue(drain.path("seconds_left").asLong() <= LEAD.toSeconds(), drain.toString());
            assertTrue(
                    status.path("timeline").toString().contains("eu-west: drain scheduled at " + at),
                    status.toString());

            JarCommand.Result explained =
                    JarCommand.run("explain", "geo.test.", "A", "131.180.1.1", "--config", cli.toString());
            assertEquals(0, explained.exit(), explained.err());
            assertTrue(
                    Pattern.compile("ttl:       \\d+ s \\(shortened: eu-west drains at " + Pattern.quote(at.toString())
                                    + "\\)")
                            .matcher(explained.out())
                            .find(),
                    explained.out());

            JarCommand.Result st = JarCommand.run("status", "--config", cli.toString());
            assertTrue(st.out().contains("drain at " + at + " in "), st.out());

            // through Unbound until just before the deadline: eu-west, never cached past `at`
            List<Seen> seen = new ArrayList<>();
            while (Instant.now().isBefore(at.minusSeconds(2))) {
                Seen s = unbound.ask(DUTCH);
                seen.add(s);
                assertEquals(EU_WEST_A, s.address(), "before the drain: " + s);
                Instant expires = s.at().plusSeconds(s.ttl());
                assertTrue(!expires.isAfter(at.plusSeconds(1)), "Unbound holds " + s + " past the drain at " + at);
                Thread.sleep(1000);
            }
            assertTrue(seen.size() >= 10, "asked through Unbound " + seen.size() + " times before the drain");
            assertTrue(seen.stream().anyMatch(x -> x.ttl() < TTL - 5), "Unbound passed on shortened TTLs: " + seen);

            waitUntil(at.plusSeconds(1));
            Seen after = unbound.ask(DUTCH);
            assertEquals(HQ_A, after.address(), "at + 1 s the client has left eu-west: " + after);
            assertEquals(TTL, after.ttl(), "a fresh answer from the next PoP: " + after);
            Seen directAfter = ask(server.v4(), DUTCH);
            assertEquals(HQ_A, directAfter.address());
            assertEquals(TTL, directAfter.ttl());

            JarCommand.Result undrained = JarCommand.run("undrain", "eu-west", "--config", cli.toString());
            assertEquals(0, undrained.exit(), undrained.err());
            assertEquals("eu-west: scheduled drain cancelled, no drain override\n", undrained.out());
            assertEquals(EU_WEST_A, ask(server.v4(), DUTCH).address());
        }
    }

    private static void waitUntil(Instant when) throws InterruptedException {
        long millis;
        while ((millis = Duration.between(Instant.now(), when).toMillis()) > 0) {
            Thread.sleep(Math.min(millis, 500));
        }
    }

    /** One A query for geo.test. with the client's ECS /24 to {@code target}: the address and TTL. */
    static Seen ask(InetSocketAddress target, String subnet) throws IOException {
        Message q = DnsClient.query("geo.test.", Type.A);
        q.getHeader().setFlag(Flags.RD); // a resolver answers only from its cache without RD
        q.addRecord(
                new OPTRecord(1232, 0, 0, 0, List.of(new ClientSubnetOption(24, InetAddress.getByName(subnet)))),
                Section.ADDITIONAL);
        Instant now = Instant.now();
        Message reply = DnsClient.ask(Transport.UDP, target, q);
        assertEquals(Rcode.NOERROR, reply.getRcode(), reply.toString());
        List<Record> answer = reply.getSection(Section.ANSWER);
        assertEquals(1, answer.size(), reply.toString());
        return new Seen(now, answer.get(0).rdataToString(), answer.get(0).getTTL());
    }

    private static String get(ServerProcess server, String path) throws IOException, InterruptedException {
        try (HttpClient http = HttpClient.newHttpClient()) {
            return http.send(
                            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.httpPort + path))
                                    .timeout(Duration.ofSeconds(5))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString())
                    .body();
        }
    }

    private static JsonNode pop(JsonNode status, String id) {
        for (JsonNode p : status.path("pops")) {
            if (p.path("id").asText().equals(id)) {
                return p;
            }
        }
        throw new AssertionError("no PoP " + id + " in " + status);
    }

    /**
     * Unbound (Debian package {@code unbound}) in the foreground on 127.0.0.1 with its own config:
     * no validator, ECS towards 127.0.0.1 ({@code subnetcache}), a stub zone for geo.test. to
     * popdns, queries to localhost allowed. Stopped with SIGTERM.
     */
    static final class Unbound implements AutoCloseable {
        private final Process process;
        final InetSocketAddress address;

        private Unbound(Process process, InetSocketAddress address) {
            this.process = process;
            this.address = address;
        }

        static Unbound start(Path dir, int popdnsPort) throws Exception {
            Path binary = Path.of("/usr/sbin/unbound");
            assertTrue(Files.isExecutable(binary), "unbound missing: apt-get install unbound (./popdns test does)");
            Files.createDirectories(dir);
            int port = ServerProcess.freePort();
            Path conf = dir.resolve("unbound.conf");
            Files.writeString(conf, """
                    server:
                      interface: 127.0.0.1
                      port: %d
                      do-ip6: no
                      do-daemonize: no
                      use-syslog: no
                      logfile: ""
                      verbosity: 1
                      username: ""
                      chroot: ""
                      directory: "%s"
                      pidfile: "%s/unbound.pid"
                      access-control: 127.0.0.0/8 allow
                      do-not-query-localhost: no
                      module-config: "subnetcache iterator"
                      send-client-subnet: 127.0.0.1
                      max-client-subnet-ipv4: 24
                      qname-minimisation: no
                      # test. is one of Unbound's built-in empty zones (RFC 6761): ask popdns instead
                      local-zone: "test." nodefault
                      prefetch: no
                      serve-expired: no
                      cache-min-ttl: 0
                    remote-control:
                      control-enable: no
                    stub-zone:
                      name: "geo.test."
                      stub-addr: 127.0.0.1@%d
                    """.formatted(port, dir, dir, popdnsPort));
            Path log = dir.resolve("unbound.log");
            Process p = new ProcessBuilder(binary.toString(), "-d", "-c", conf.toString())
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .start();
            Unbound unbound = new Unbound(p, new InetSocketAddress("127.0.0.1", port));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            String last = "no answer";
            while (true) {
                try {
                    Message soa = DnsClient.query("geo.test.", Type.SOA);
                    soa.getHeader().setFlag(Flags.RD);
                    Message reply = DnsClient.ask(Transport.UDP, unbound.address, soa);
                    if (reply.getRcode() == Rcode.NOERROR) {
                        return unbound;
                    }
                    last = reply.toString();
                } catch (IOException notYet) {
                    last = notYet.toString(); // not listening yet
                }
                if (!p.isAlive() || System.nanoTime() > deadline) {
                    String out = Files.exists(log) ? Files.readString(log) : "";
                    unbound.close();
                    throw new AssertionError("unbound did not answer within 30 s; last: " + last + "\n" + out);
                }
                Thread.sleep(200);
            }
        }

        Seen ask(String subnet) throws IOException {
            return ScheduledDrainTest.ask(address, subnet);
        }

        @Override
        public void close() throws IOException, InterruptedException {
            process.toHandle().destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }
}
