package dev.popdns.health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class TcpSpecTest {
    @ParameterizedTest
    @ValueSource(strings = {"{address}", "{address}:0", "{address}:65536", "{address}:22/x", "{address}:ssh"})
    void needsAnAddressAndAPort(String target) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new TcpSpec(target));
        assertEquals(
                "tcp: '" + target.replace("{address}", "192.0.2.1") + "' (expected: {address}:port, port 1..65535)",
                e.getMessage());
    }

    @ParameterizedTest(name = "{0} at {1}")
    @CsvSource({"192.0.2.1, 192.0.2.1", "2001:db8::1, 2001:db8::1", "pop.example, pop.example"})
    void bindsIpv6InBrackets(String address, String host) {
        var socket = TcpSpec.socketAddress(Addresses.bind(new TcpSpec("{address}:5432").target(), address));
        assertEquals(host, socket.getHostString());
        assertEquals(5432, socket.getPort());
        assertEquals("[2001:db8::1]:22", Addresses.bind("{address}:22", "2001:db8::1"));
    }
}
