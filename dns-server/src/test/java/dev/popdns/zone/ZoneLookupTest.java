package dev.popdns.zone;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.xbill.DNS.Name;
import org.xbill.DNS.RRset;
import org.xbill.DNS.Type;

/**
 * {@link ZoneLookup} on one loaded zone, without the wire: the outcome and the RRsets of each
 * section for a table of questions (RFC 1034 §4.3.2, RFC 4592 wildcards, RFC 6672 DNAME).
 */
class ZoneLookupTest {
    private static final String ZONE = """
            $TTL 300
            @        SOA ns1 host 1 7200 3600 1209600 60
                     NS ns1
            ns1      A 192.0.2.1
            www      A 192.0.2.2
                     TXT "web"
            alias    CNAME www
            chain    CNAME alias
            loop1    CNAME loop2
            loop2    CNAME loop1
            broken   CNAME missing
            out      CNAME www.example.org.
            a.b.c    A 192.0.2.3
            *.wild   A 192.0.2.4
            host.wild TXT "here"
            sub      NS ns.sub
            ns.sub   A 192.0.2.5
            d        DNAME other.t.test.
            x.other  A 192.0.2.6
            """;

    @TempDir
    static Path dir;

    private static ZoneSet zones;

    @BeforeAll
    static void load() throws Exception {
        Files.writeString(dir.resolve("t.test.zone"), ZONE);
        zones = ZoneLoader.load(dir, null);
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource(
            delimiter = '|',
            value = {
                "www.t.test.        | A     | Answer   | www/A              | ",
                "WWW.T.TEST.        | TXT   | Answer   | www/TXT            | ",
                "www.t.test.        | AAAA  | NoData   |                    | @/SOA",
                "nope.t.test.       | A     | NxDomain |                    | @/SOA",
                "b.c.t.test.        | A     | NoData   |                    | @/SOA",
                "alias.t.test.      | A     | Answer   | alias/CNAME www/A  | ",
                "chain.t.test.      | A     | Answer   | chain/CNAME alias/CNAME www/A | ",
                "alias.t.test.      | CNAME | Answer   | alias/CNAME        | ",
                "broken.t.test.     | A     | NxDomain | broken/CNAME       | @/SOA",
                "out.t.test.        | A     | Answer   | out/CNAME          | ",
                "loop1.t.test.      | A     | Answer   | loop1/CNAME loop2/CNAME | ",
                "any.wild.t.test.   | A     | Answer   | any.wild/A         | ",
                "any.wild.t.test.   | TXT   | NoData   |                    | @/SOA",
                "host.wild.t.test.  | A     | NoData   |                    | @/SOA",
                "sub.t.test.        | A     | Referral |                    | sub/NS",
                "deep.sub.t.test.   | TXT   | Referral |                    | sub/NS",
                "x.d.t.test.        | A     | Answer   | d/DNAME x.d/CNAME x.other/A | ",
                "example.org.       | A     | Refused  |                    | ",
            })
    void answers(String qname, String qtype, String outcome, String answer, String authority) throws Exception {
        LookupResult r = ZoneLookup.lookup(zones, Name.fromString(qname), Type.value(qtype));
        assertEquals(outcome, r.getClass().getSimpleName(), r.toString());
        assertEquals(answer == null ? "" : answer, sets(answerOf(r)));
        assertEquals(authority == null ? "" : authority, sets(authorityOf(r)));
    }

    private static List<RRset> answerOf(LookupResult r) {
        return switch (r) {
            case LookupResult.Answer a -> a.answer();
            case LookupResult.NoData n -> n.answer();
            case LookupResult.NxDomain n -> n.answer();
            case LookupResult.Referral f -> f.answer();
            case LookupResult.YxDomain y -> y.answer();
            case LookupResult.Refused x -> List.of();
        };
    }

    private static List<RRset> authorityOf(LookupResult r) {
        return switch (r) {
            case LookupResult.NoData n -> List.of(n.soa());
            case LookupResult.NxDomain n -> List.of(n.soa());
            case LookupResult.Referral f -> List.of(f.ns());
            case LookupResult.Answer a -> List.of();
            case LookupResult.YxDomain y -> List.of();
            case LookupResult.Refused x -> List.of();
        };
    }

    /** RRsets as {@code owner/TYPE}, owners relative to the zone ({@code @} for the apex). */
    private static String sets(List<RRset> sets) throws Exception {
        Name origin = Name.fromString("t.test.");
        List<String> out = new ArrayList<>();
        for (RRset set : sets) {
            Name name = set.getName();
            String owner = name.equals(origin)
                    ? "@"
                    : name.subdomain(origin) ? name.relativize(origin).toString() : name.toString();
            out.add(owner + "/" + Type.string(set.getType()));
        }
        return String.join(" ", out);
    }
}
