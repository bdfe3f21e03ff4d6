package dev.popdns.health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PopTargetTest {
    private static final CheckConfig NGINX = CheckConfig.of("nginx", HttpSpec.of("https://{address}/"));

    @Test
    void theProbeAddressWinsOverTheAddress() {
        assertEquals(
                "192.0.2.4", PopTarget.of("eu-west", "192.0.2.4", List.of()).probeTarget());
        PopTarget tunnelled =
                new PopTarget("eu-west", "192.0.2.4", Optional.of("10.8.0.4"), AdminState.ACTIVE, List.of());
        assertEquals("10.8.0.4", tunnelled.probeTarget());
    }

    @Test
    void invalidTargetsAreNamed() {
        assertEquals(
                "pop: 'eu west' (expected: 1..63 letters, digits, '.', '_' or '-', starting with a letter or digit)",
                assertThrows(IllegalArgumentException.class, () -> PopTarget.of("eu west", "192.0.2.4", List.of()))
                        .getMessage());
        assertEquals(
                "address: '192.0.2.4/24' (expected: an IPv4 or IPv6 literal or a host name)",
                assertThrows(IllegalArgumentException.class, () -> PopTarget.of("eu-west", "192.0.2.4/24", List.of()))
                        .getMessage());
        assertEquals(
                "checks: duplicate name 'nginx' (expected: unique names)",
                assertThrows(
                                IllegalArgumentException.class,
                                () -> PopTarget.of("eu-west", "192.0.2.4", List.of(NGINX, NGINX)))
                        .getMessage());
        assertEquals(
                "pops: duplicate id 'hq' (expected: unique ids)",
                assertThrows(
                                IllegalArgumentException.class,
                                () -> new HealthConfig(List.of(
                                        PopTarget.of("hq", "192.0.2.1", List.of()),
                                        PopTarget.of("hq", "192.0.2.2", List.of()))))
                        .getMessage());
        assertEquals(
                "check: '' (expected: 1..63 letters, digits, '.', '_' or '-', starting with a letter or digit)",
                assertThrows(
                                IllegalArgumentException.class,
                                () -> CheckConfig.of("", HttpSpec.of("https://{address}/")))
                        .getMessage());
    }

    @Test
    void checksAreBoundToTheProbeAddressWithIpv6InBrackets() {
        PopTarget v6 = PopTarget.of("eu-west", "2001:db8::4", List.of(NGINX));
        HttpProbe probe = (HttpProbe) Probe.create(v6, NGINX, java.time.Clock.systemUTC(), java.util.Map.of());
        assertEquals("https://[2001:db8::4]/", probe.url());
    }
}
