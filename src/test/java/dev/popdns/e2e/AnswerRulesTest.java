package dev.popdns.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.popdns.e2e.DnsClient.Transport;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * The authoritative answer rules, one row each, asked of the running server over UDP and TCP,
 * IPv4 and IPv6, on the test zones in src/test/resources/zones.
 */
class AnswerRulesTest {
    private static final String SOA =
            "example.test. 600 IN SOA ns1.example.test. hostmaster.example.test. 2026112201 7200 3600 1209600 600";
    private static final List<String> SUB_NS = List.of(
            "sub.example.test. 3600 IN NS ns1.sub.example.test.",
            "sub.example.test. 3600 IN NS ns.sibling.example.test.",
            "sub.example.test. 3600 IN NS ns.example.org.");
    private static final List<String> SUB_GLUE = List.of(
            "ns1.sub.example.test. 3600 IN A 192.0.2.60",
            "ns1.sub.example.test. 3600 IN AAAA 2001:db8:0:0:0:0:0:60",
            "ns.sibling.example.test. 3600 IN A 192.0.2.61");

    private static ServerProcess server;

    @BeforeAll
    static void start() throws Exception {
        server = ServerProcess.start(Path.of("resources/zones"));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    /** One question and everything the answer must be (sections compared as sets, OPT aside). */
    record Case(
            String why,
            String qname,
            int qtype,
            int rcode,
            boolean aa,
            List<String> answer,
            List<String> authority,
            List<String> additional) {
        @Override
        public String toString() {
            return why;
        }
    }

    private static Case ok(String why, String qname, int qtype, List<String> answer) {
        return new Case(why, qname, qtype, Rcode.NOERROR, true, answer, List.of(), List.of());
    }

    private static Case nodata(String why, String qname, int qtype) {
        return new Case(why, qname, qtype, Rcode.NOERROR, true, List.of(), List.of(SOA), List.of());
    }

    private static Case nxdomain(String why, String qname, int qtype, List<String> answer) {
        return new Case(why, qname, qtype, Rcode.NXDOMAIN, true, answer, List.of(SOA), List.of());
    }

    static List<Case> cases() {
        return List.of(
                ok("apex A", "example.test.", Type.A, List.of("example.test. 3600 IN A 192.0.2.1")),
                new Case(
                        "MX with in-zone addresses in additional",
                        "example.test.",
                        Type.MX,
                        Rcode.NOERROR,
                        true,
                        List.of("example.test. 3600 IN MX 10 mail.example.test."),
                        List.of(),
                        List.of(
                                "mail.example.test. 3600 IN A 192.0.2.25",
                                "mail.example.test. 3600 IN AAAA 2001:db8:0:0:0:0:0:25")),
                nxdomain("NXDOMAIN with negative TTL min(SOA TTL, MINIMUM)", "nope.example.test.", Type.A, List.of()),
                nodata("NODATA for an existing name", "mail.example.test.", Type.TXT),
                nodata("empty non-terminal is NODATA", "ent.example.test.", Type.A),
                nodata("deeper empty non-terminal is NODATA", "b.c.ent.example.test.", Type.A),
                nxdomain("below a leaf is NXDOMAIN", "x.a.b.c.ent.example.test.", Type.A, List.of()),
                ok(
                        "wildcard synthesis takes the query name",
                        "anything.wild.example.test.",
                        Type.A,
                        List.of("anything.wild.example.test. 3600 IN A 192.0.2.5")),
                ok(
                        "wildcard covers more than one label",
                        "y.x.wild.example.test.",
                        Type.TXT,
                        List.of("y.x.wild.example.test. 3600 IN TXT wildcard")),
                nodata("NODATA at a wildcard", "anything.wild.example.test.", Type.MX),
                nodata("an existing name blocks the wildcard", "exists.wild.example.test.", Type.A),
                ok(
                        "the wildcard's own name is answered as data",
                        "*.wild.example.test.",
                        Type.A,
                        List.of("*.wild.example.test. 3600 IN A 192.0.2.5")),
                ok(
                        "wildcard CNAME is followed",
                        "q.cname-wild.example.test.",
                        Type.A,
                        List.of(
                                "q.cname-wild.example.test. 3600 IN CNAME mail.example.test.",
                                "mail.example.test. 3600 IN A 192.0.2.25")),
                ok(
                        "CNAME chain followed inside the zone",
                        "chain1.example.test.",
                        Type.A,
                        List.of(
                                "chain1.example.test. 3600 IN CNAME chain2.example.test.",
                                "chain2.example.test. 3600 IN CNAME chain3.example.test.",
                                "chain3.example.test. 3600 IN A 192.0.2.3")),
                ok(
                        "CNAME asked for itself is not followed",
                        "www.example.test.",
                        Type.CNAME,
                        List.of("www.example.test. 3600 IN CNAME example.test.")),
                nxdomain(
                        "CNAME to a missing in-zone name is NXDOMAIN (RFC 6604)",
                        "dangling.example.test.",
                        Type.A,
                        List.of("dangling.example.test. 3600 IN CNAME missing.example.test.")),
                new Case(
                        "CNAME to an existing name without the type is NODATA",
                        "nodata-target.example.test.",
                        Type.TXT,
                        Rcode.NOERROR,
                        true,
                        List.of("nodata-target.example.test. 3600 IN CNAME mail.example.test."),
                        List.of(SOA),
                        List.of()),
                ok(
                        "CNAME chain stops at the zone edge",
                        "external.example.test.",
                        Type.A,
                        List.of("external.example.test. 3600 IN CNAME www.example.org.")),
                ok(
                        "CNAME loop ends safely",
                        "loop1.example.test.",
                        Type.A,
                        List.of(
                                "loop1.example.test. 3600 IN CNAME loop2.example.test.",
                                "loop2.example.test. 3600 IN CNAME loop1.example.test.")),
                ok(
                        "DNAME synthesizes a CNAME (RFC 6672)",
                        "foo.dname.example.test.",
                        Type.A,
                        List.of(
                                "dname.example.test. 3600 IN DNAME example.net.",
                                "foo.dname.example.test. 3600 IN CNAME foo.example.net.")),
                ok(
                        "DNAME into the zone is followed",
                        "inner.indname.example.test.",
                        Type.A,
                        List.of(
                                "indname.example.test. 3600 IN DNAME x.example.test.",
                                "inner.indname.example.test. 3600 IN CNAME inner.x.example.test.",
                                "inner.x.example.test. 3600 IN A 192.0.2.6")),
                ok(
                        "the DNAME owner itself is not redirected",
                        "dname.example.test.",
                        Type.DNAME,
                        List.of("dname.example.test. 3600 IN DNAME example.net.")),
                new Case(
                        "referral at a cut: NS in authority, glue in additional, AA off",
                        "sub.example.test.",
                        Type.A,
                        Rcode.NOERROR,
                        false,
                        List.of(),
                        SUB_NS,
                        SUB_GLUE),
                new Case(
                        "referral for a name below a cut",
                        "deep.below.sub.example.test.",
                        Type.AAAA,
                        Rcode.NOERROR,
                        false,
                        List.of(),
                        SUB_NS,
                        SUB_GLUE),
                new Case(
                        "glue names are referred, not answered",
                        "ns1.sub.example.test.",
                        Type.A,
                        Rcode.NOERROR,
                        false,
                        List.of(),
                        SUB_NS,
                        SUB_GLUE),
                ok(
                        "DS at a cut is answered by the parent",
                        "sub.example.test.",
                        Type.DS,
                        List.of(
                                "sub.example.test. 3600 IN DS 12345 13 2 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF")),
                new Case(
                        "a name in no zone is REFUSED",
                        "example.org.",
                        Type.A,
                        Rcode.REFUSED,
                        false,
                        List.of(),
                        List.of(),
                        List.of()),
                ok(
                        "the longest matching zone answers",
                        "deep.example.test.",
                        Type.TXT,
                        List.of("deep.example.test. 300 IN TXT deep")),
                ok("a second zone is served", "other.test.", Type.TXT, List.of("other.test. 300 IN TXT other")),
                ok(
                        "ANY gets one RRset (RFC 8482)",
                        "example.test.",
                        Type.ANY,
                        List.of("example.test. 3600 IN A 192.0.2.1")),
                new Case(
                        "AXFR is refused",
                        "example.test.",
                        Type.AXFR,
                        Rcode.REFUSED,
                        false,
                        List.of(),
                        List.of(),
                        List.of()),
                new Case(
                        "IXFR is refused",
                        "example.test.",
                        Type.IXFR,
                        Rcode.REFUSED,
                        false,
                        List.of(),
                        List.of(),
                        List.of()),
                ok(
                        "non-ASCII octets compare as they are (RFC 4343)",
                        "caf\\195\\169.example.test.",
                        Type.A,
                        List.of("caf\\195\\169.example.test. 3600 IN A 192.0.2.7")),
                nxdomain(
                        "0xC9 is not 0xE9: only A-Z fold (RFC 4343)",
                        "caf\\195\\137.example.test.",
                        Type.A,
                        List.of()));
    }

    static List<Arguments> casesOnEveryPath() {
        List<Arguments> all = new ArrayList<>();
        for (Case c : cases()) {
            for (Transport t : Transport.values()) {
                all.add(Arguments.of(c, t, false));
                all.add(Arguments.of(c, t, true));
            }
        }
        return all;
    }

    @ParameterizedTest(name = "{0} over {1}, IPv6 {2}")
    @MethodSource("casesOnEveryPath")
    void answers(Case c, Transport transport, boolean ipv6) throws Exception {
        InetSocketAddress to = ipv6 ? server.v6() : server.v4();
        Message query = DnsClient.withEdns(DnsClient.query(c.qname(), c.qtype()), 1232, 0);
        // twice: the second answer comes from the response cache and must be the same
        for (int round = 0; round < 2; round++) {
            Message reply = DnsClient.ask(transport, to, query);
            assertEquals(query.getHeader().getID(), reply.getHeader().getID(), "id");
            assertEquals(Rcode.string(c.rcode()), Rcode.string(reply.getRcode()), "rcode");
            assertEquals(c.aa(), reply.getHeader().getFlag(Flags.AA), "AA");
            assertEquals(false, reply.getHeader().getFlag(Flags.TC), "TC");
            assertEquals(sorted(c.answer()), section(reply, Section.ANSWER), "answer");
            assertEquals(sorted(c.authority()), section(reply, Section.AUTHORITY), "authority");
            assertEquals(sorted(c.additional()), section(reply, Section.ADDITIONAL), "additional");
            assertEquals(query.getQuestion(), reply.getQuestion(), "question echoed");
        }
    }

    static List<String> section(Message m, int section) {
        List<String> out = new ArrayList<>();
        for (Record r : m.getSection(section)) {
            if (!(r instanceof OPTRecord)) {
                out.add(String.join(" ", r.toString().trim().split("\\s+")));
            }
        }
        out.sort(null);
        return out;
    }

    private static List<String> sorted(List<String> list) {
        List<String> copy = new ArrayList<>(list);
        copy.sort(null);
        return copy;
    }
}
