package dev.popdns.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetAddress;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** RFC 5952 §4 text of addresses. */
class AddressTextTest {
    @ParameterizedTest
    @CsvSource({
        "192.0.2.1, 192.0.2.1",
        "2001:db8:0:0:0:0:0:1, 2001:db8::1",
        "2001:DB8:0:0:1:0:0:1, 2001:db8::1:0:0:1",
        "2001:db8:0:0:1:0:0:0, 2001:db8:0:0:1::",
        "2001:db8:0:1:1:1:1:1, 2001:db8:0:1:1:1:1:1",
        "0:0:0:0:0:0:0:0, ::",
        "0:0:0:0:0:0:0:1, ::1",
        "fe80:0:0:0:0:0:0:1, fe80::1",
    })
    void shortForm(String in, String expected) throws Exception {
        assertEquals(expected, AddressText.of(InetAddress.getByName(in)));
    }
}
