package dev.popdns.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.netty.util.NetUtil;
import java.net.Inet4Address;
import java.net.Inet6Address;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Literal addresses in, RFC 5952 §4 text out; anything else is not an address. */
class AddressLiteralTest {
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
    void shortForm(String in, String expected) {
        assertEquals(expected, NetUtil.toAddressString(AddressLiteral.parse(in)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"192.0.2.1", "0.0.0.0", "255.255.255.255"})
    void ipv4(String text) {
        assertInstanceOf(Inet4Address.class, AddressLiteral.parse(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {"::", "::1", "2001:db8::1", "2001:DB8::A"})
    void ipv6(String text) {
        assertInstanceOf(Inet6Address.class, AddressLiteral.parse(text));
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "",
                "localhost",
                "example.org",
                "1.2",
                "1.2.3",
                "256.1.1.1",
                "1.2.3.4.5",
                "[::1]",
                "fe80::1%eth0",
                "2001:db8::1::2",
                "2001:db8::g",
                " 192.0.2.1"
            })
    void notALiteral(String text) {
        assertNull(AddressLiteral.parse(text));
    }
}
