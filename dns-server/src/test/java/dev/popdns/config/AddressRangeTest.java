package dev.popdns.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.net.InetAddress;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class AddressRangeTest {
    @ParameterizedTest(name = "{0} contains {1}: {2}")
    @CsvSource({
        "127.0.0.0/8, 127.0.0.1, true",
        "127.0.0.0/8, 127.255.0.9, true",
        "127.0.0.0/8, 198.51.100.7, false",
        "::1, ::1, true",
        "::1, 2001:db8::1, false",
        "127.0.0.1, 127.0.0.2, false",
        "192.0.2.0/24, 192.0.2.77, true",
        "192.0.2.0/25, 192.0.2.200, false",
        "192.0.2.128/25, 192.0.2.200, true",
        "2001:db8::/48, 2001:db8:0:ffff::1, true",
        "2001:db8::/48, 2001:db8:1::1, false",
        "0.0.0.0/0, 203.0.113.1, true",
        "0.0.0.0/0, ::1, false",
        "::/0, 127.0.0.1, false",
    })
    void matchesByPrefix(String range, String address, boolean expected) throws Exception {
        assertEquals(expected, AddressRange.parse(range).contains(InetAddress.getByName(address)));
    }

    @ParameterizedTest
    @ValueSource(
            strings = {"localhost", "cafe.beef", "192.0.2.0/33", "::/129", "192.0.2.0/", "192.0.2.0/-1", "[::1]/128", ""
            })
    void rejectsWhatIsNotALiteralRange(String text) {
        assertNull(AddressRange.parse(text));
    }

    @ParameterizedTest
    @CsvSource({"192.0.2.1, 192.0.2.1/32", "2001:DB8::1/64, 2001:db8::1/64", "10.0.0.0/8, 10.0.0.0/8"})
    void writesItselfBack(String text, String expected) {
        assertEquals(expected, AddressRange.parse(text).toString());
    }
}
