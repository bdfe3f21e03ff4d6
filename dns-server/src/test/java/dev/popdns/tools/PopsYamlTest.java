package dev.popdns.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.popdns.config.CheckFields.Timing;
import dev.popdns.config.HttpCheck;
import dev.popdns.config.PopsConfig;
import dev.popdns.config.PopsLoader;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** pops.yaml written by the tools reads back through PopsLoader to the same config. */
class PopsYamlTest {
    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "hachyderm.io|hachyderm.io",
                "10s|10s",
                "true|true",
                "null|\"null\"",
                "OK|OK",
                "2001:db8::1|\"2001:db8::1\"",
                "https://{address}/|\"https://{address}/\"",
                "say \"hi\" \\ bye|\"say \\\"hi\\\" \\\\ bye\"",
            })
    void scalars(String text, String yaml) {
        assertEquals(yaml, PopsYaml.scalar(text));
    }

    @Test
    void roundTrip(@TempDir Path dir) throws Exception {
        HttpCheck check = new HttpCheck(
                "https://{address}:8443/health?full=1",
                null,
                "hachyderm.io",
                List.of(200, 204),
                "status: \"ok\" # really",
                null,
                true,
                null,
                new Timing(Duration.ofSeconds(10), null, null, null));
        PopsConfig config = new PopsConfig(
                List.of(
                        new PopsConfig.Pop(
                                "hq",
                                true,
                                50.11,
                                8.68,
                                List.of(InetAddress.getByName("192.0.2.1"), InetAddress.getByName("2001:db8::1")),
                                PopsConfig.AdminState.ACTIVE,
                                0,
                                null,
                                Map.of(),
                                0),
                        new PopsConfig.Pop(
                                "ap",
                                false,
                                -33.87,
                                151.21,
                                List.of(InetAddress.getByName("203.0.113.30")),
                                PopsConfig.AdminState.DRAIN,
                                -15,
                                InetAddress.getByName("10.0.0.30"),
                                Map.of(
                                        "web",
                                        new HttpCheck(
                                                "https://{address}:9443/",
                                                null,
                                                null,
                                                null,
                                                null,
                                                null,
                                                null,
                                                null,
                                                null)),
                                0)),
                Map.of("web", new PopsConfig.Check("web", check, 0)),
                Map.of(
                        "hachyderm.io.",
                        new PopsConfig.GeoName(
                                "hachyderm.io.",
                                60,
                                List.of("web"),
                                Map.of("CN", "hq"),
                                Map.of("OC", "ap", "EU", "hq"),
                                0)));
        String text = PopsYaml.write(
                config, List.of("a header", ""), Map.of("pops.hq", "the HQ", "pops.hq.location", "Frankfurt"));
        assertEquals("""
                # a header
                #
                pops:
                  # the HQ
                  hq:
                    hq: true
                    location: [50.11, 8.68]           # Frankfurt
                    addresses: [192.0.2.1, "2001:db8::1"]
                  ap:
                    location: [-33.87, 151.21]
                    addresses: [203.0.113.30]
                    state: drain
                    bias: -15
                    probe-address: 10.0.0.30
                    checks:
                      web: { http: "https://{address}:9443/" }
                checks:
                  web: { http: "https://{address}:8443/health?full=1", host: hachyderm.io, expect: [200, 204], body: "status: \\"ok\\" # really", insecure: true, interval: 10s }
                names:
                  hachyderm.io.: { ttl: 60, needs: [web], countries: { CN: hq }, continents: { EU: hq, OC: ap } }
                """, text);
        Files.writeString(dir.resolve("pops.yaml"), text);
        PopsConfig back = PopsLoader.load(dir);
        assertEquals(config.pops().size(), back.pops().size());
        for (int i = 0; i < config.pops().size(); i++) {
            PopsConfig.Pop a = config.pops().get(i);
            PopsConfig.Pop b = back.pops().get(i);
            assertEquals(
                    List.of(
                            a.id(),
                            a.hq(),
                            a.latitude(),
                            a.longitude(),
                            a.addresses(),
                            a.state(),
                            a.bias(),
                            a.checkOverrides()),
                    List.of(
                            b.id(),
                            b.hq(),
                            b.latitude(),
                            b.longitude(),
                            b.addresses(),
                            b.state(),
                            b.bias(),
                            b.checkOverrides()));
            assertEquals(a.probeAddress(), b.probeAddress());
        }
        assertEquals(check, back.checks().get("web").fields());
        PopsConfig.GeoName n = back.names().get("hachyderm.io.");
        assertEquals(
                List.of(60L, List.of("web"), Map.of("CN", "hq"), Map.of("OC", "ap", "EU", "hq")),
                List.of(n.ttl(), n.needs(), n.countries(), n.continents()));
    }
}
