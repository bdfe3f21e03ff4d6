package dev.popdns.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.popdns.e2e.DnsClient.Transport;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.xbill.DNS.ExtendedFlags;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * Differential test: Knot DNS (Debian package {@code knot}) and popdns serve the same zone files;
 * the same query bytes must get the same rcode, flags and sections (as sets, TTLs included).
 */
class KnotParityTest {
    private static ServerProcess popdns;
    private static Process knot;
    private static InetSocketAddress knotAddress;

    @BeforeAll
    static void start(@TempDir Path dir) throws Exception {
        Path knotd = Path.of("/usr/sbin/knotd");
        assertTrue(Files.isExecutable(knotd), "knotd missing: install the Debian package 'knot' (./popdns test does)");
        popdns = ServerProcess.start(Path.of("resources/zones"));
        int port = ServerProcess.freePort();
        knotAddress = new InetSocketAddress("127.0.0.1", port);
        StringBuilder zones = new StringBuilder();
        try (var files = Files.newDirectoryStream(Path.of("resources/zones"), "*.zone")) {
            for (Path f : files) {
                Files.copy(f, dir.resolve(f.getFileName()));
                String origin = f.getFileName().toString().replaceFirst("\\.zone$", "");
                zones.append("  - domain: ").append(origin).append('\n');
            }
        }
        Files.writeString(dir.resolve("knot.conf"), """
                server:
                    listen: 127.0.0.1@%d
                    rundir: %s
                database:
                    storage: %s
                log:
                  - target: stderr
                    any: warning
                template:
                  - id: default
                    storage: %s
                    file: "%%s.zone"
                    zonefile-sync: -1
                    journal-content: none
                zone:
                %s""".formatted(port, dir, dir.resolve("db"), dir, zones));
        knot = new ProcessBuilder(
                        knotd.toString(), "-c", dir.resolve("knot.conf").toString())
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("knot.log").toFile())
                .start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (true) {
            byte[] reply = DnsClient.udp(
                    knotAddress, DnsClient.query("example.test.", Type.SOA).toWire(), 300);
            if (reply != null && new Message(reply).getRcode() == Rcode.NOERROR) {
                break;
            }
            if (System.nanoTime() > deadline || !knot.isAlive()) {
                fail("knotd did not serve the zones: " + Files.readString(dir.resolve("knot.log")));
            }
        }
    }

    @AfterAll
    static void stop() throws InterruptedException {
        if (knot != null) {
            knot.toHandle().destroy();
            knot.waitFor(10, TimeUnit.SECONDS);
        }
        if (popdns != null) {
            popdns.close();
        }
    }

    record Ask(String name, int type, int ednsSize, boolean dnssecOk, Transport transport) {
        @Override
        public String toString() {
            return name + " " + Type.string(type) + (ednsSize > 0 ? " edns=" + ednsSize : "") + (dnssecOk ? " +do" : "")
                    + " " + transport;
        }
    }

    static List<Ask> questions() {
        String[] names = {
            "example.test.",
            "EXAMPLE.test.",
            "www.example.test.",
            "mail.example.test.",
            "nope.example.test.",
            "ent.example.test.",
            "c.ent.example.test.",
            "a.b.c.ent.example.test.",
            "x.a.b.c.ent.example.test.",
            "any.wild.example.test.",
            "a.b.wild.example.test.",
            "exists.wild.example.test.",
            "*.wild.example.test.",
            "wild.example.test.",
            "z.cname-wild.example.test.",
            "chain1.example.test.",
            "dangling.example.test.",
            "nodata-target.example.test.",
            "external.example.test.",
            "loop1.example.test.",
            "foo.dname.example.test.",
            "a.b.foo.dname.example.test.",
            "inner.indname.example.test.",
            "dname.example.test.",
            "sub.example.test.",
            "x.y.sub.example.test.",
            "ns1.sub.example.test.",
            "big.example.test.",
            "large.example.test.",
            "deep.example.test.",
            "x.deep.example.test.",
            "other.test.",
            "caf\\195\\169.example.test.",
            "CAF\\195\\169.example.test.",
            "example.org.",
            "test."
        };
        int[] types = {
            Type.A, Type.AAAA, Type.TXT, Type.MX, Type.NS, Type.SOA, Type.CNAME, Type.DS, Type.DNAME, Type.ANY
        };
        List<Ask> all = new ArrayList<>();
        for (String n : names) {
            for (int t : types) {
                all.add(new Ask(n, t, 1232, false, Transport.UDP));
            }
            all.add(new Ask(n, Type.A, 0, false, Transport.UDP));
            all.add(new Ask(n, Type.A, 512, true, Transport.UDP));
            all.add(new Ask(n, Type.TXT, 0, false, Transport.TCP));
            all.add(new Ask(n, Type.AAAA, 0, false, Transport.UDP));
        }
        return all;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("questions")
    void sameAnswerAsKnot(Ask ask) throws IOException {
        Message query = DnsClient.query(ask.name(), ask.type());
        if (ask.ednsSize() > 0) {
            query.addRecord(
                    new OPTRecord(ask.ednsSize(), 0, 0, ask.dnssecOk() ? ExtendedFlags.DO : 0), Section.ADDITIONAL);
        }
        assertEquals(
                describe(DnsClient.ask(ask.transport(), knotAddress, query)),
                describe(DnsClient.ask(ask.transport(), popdns.v4(), query)));
    }

    private static String describe(Message m) {
        StringBuilder sb = new StringBuilder();
        sb.append(Rcode.string(m.getRcode()));
        for (int flag : new int[] {Flags.AA, Flags.TC, Flags.RD, Flags.RA, Flags.AD, Flags.CD}) {
            if (m.getHeader().getFlag(flag)) {
                sb.append(' ').append(Flags.string(flag));
            }
        }
        OPTRecord opt = m.getOPT();
        if (opt != null) {
            sb.append(" opt payload=")
                    .append(opt.getPayloadSize())
                    .append(" do=")
                    .append((opt.getFlags() & ExtendedFlags.DO) != 0);
        }
        sb.append("\nquestion ").append(m.getQuestion());
        sb.append("\nanswer ").append(AnswerRulesTest.section(m, Section.ANSWER));
        sb.append("\nauthority ").append(AnswerRulesTest.section(m, Section.AUTHORITY));
        if (!m.getHeader().getFlag(Flags.TC)) {
            // which optional records still fit a truncated answer is up to each server; the
            // client retries over TCP anyway
            sb.append("\nadditional ").append(AnswerRulesTest.section(m, Section.ADDITIONAL));
        }
        return sb.toString();
    }
}
