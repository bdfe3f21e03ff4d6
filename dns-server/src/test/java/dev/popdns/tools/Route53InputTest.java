package dev.popdns.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Route 53's octal escapes become master-file text. */
class Route53InputTest {
    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "hachyderm.io.|hachyderm.io.",
                "\\052.hachyderm.io.|*.hachyderm.io.",
                "\\100.example.org.|@.example.org.",
                "a\\056b.example.org.|a\\046b.example.org.",
                "\"caf\\303\\251\"|\"caf\\195\\169\"",
                "\"two\\040words\"|\"two\\032words\"",
                "\"keep \\\"quotes\\\" and \\\\\"|\"keep \\\"quotes\\\" and \\\\\"",
                "\"not octal \\089\"|\"not octal \\089\"",
                "trailing\\|trailing\\",
            })
    void octalEscapesBecomeDecimal(String route53, String masterFile) {
        assertEquals(masterFile, Route53Input.decimalEscapes(route53));
    }
}
