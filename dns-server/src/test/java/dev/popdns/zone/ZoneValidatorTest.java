package dev.popdns.zone;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every rule of {@link ZoneValidator} through {@link ZoneLoader}, one broken zone each: which rule
 * fires and at which line (the end-to-end {@code CheckCommandTest} pins the full messages).
 */
class ZoneValidatorTest {
    /** Lines 1-4; a case's records start at line 5. */
    private static final String HEAD = """
            $TTL 300
            @ SOA ns1 host 1 7200 3600 1209600 60
              NS ns1
            ns1 A 192.0.2.1
            """;

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            value = {
                "soa-multiple    | @ SOA ns1 host 2 7200 3600 1209600 60     | 5",
                "soa-not-apex    | www SOA ns1 host 1 7200 3600 1209600 60   | 5",
                "out-of-zone     | www.example.org. A 192.0.2.2              | 5",
                "cname-exclusive | www CNAME ns1;www A 192.0.2.2             | 5",
                "cname-single    | www CNAME ns1;www CNAME host              | 6",
                "dname-single    | d DNAME example.org.;d DNAME example.net. | 6",
                "dname-occluded  | d DNAME example.org.;x.d A 192.0.2.9      | 6",
                "occluded        | sub NS ns.example.org.;www.sub TXT x      | 6",
                "glue-missing    | sub NS ns.sub                             | 5",
                "duplicate       | www A 192.0.2.2;www A 192.0.2.2           | 6",
                "ttl-mismatch    | www 300 A 192.0.2.2;www 600 A 192.0.2.3   | 6",
                "syntax          | www A 300.1.1.1                           | 5",
            })
    void ruleAndLine(String rule, String records, int line, @TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("bad.test.zone"), HEAD + records.replace(';', '\n') + "\n");
        assertEquals(List.of(rule + "@" + line), problems(dir));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            value = {"retry above refresh | 3600 7200 1209600", "expire below refresh + retry | 7200 3600 10000"})
    void soaTimers(String what, String timers, @TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("bad.test.zone"), HEAD.replace("7200 3600 1209600", timers));
        assertEquals(List.of("soa-timers@2"), problems(dir));
    }

    @Test
    void apexWithoutSoaOrNs(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("bad.test.zone"), "$TTL 300\nns1 A 192.0.2.1\n");
        assertEquals(List.of("soa-missing@0", "ns-missing@0"), problems(dir));
    }

    @Test
    void aValidZoneLoads(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("good.test.zone"), HEAD + "www A 192.0.2.2\n");
        assertEquals(1, ZoneLoader.load(dir, null).size());
    }

    /** {@code rule@line} of every problem the directory has. */
    private static List<String> problems(Path dir) {
        ZoneLoadException e = assertThrows(ZoneLoadException.class, () -> ZoneLoader.load(dir, null));
        List<String> out = new ArrayList<>();
        for (ZoneProblem p : e.problems()) {
            out.add(p.rule() + "@" + p.line());
        }
        return out;
    }
}
