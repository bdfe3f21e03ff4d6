package dev.popdns.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.popdns.geoip.Location;
import dev.popdns.served.Served;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.Name;
import org.xbill.DNS.Type;

/** The routing semantics of docs/DESIGN.md "Routing semantics", on hand-made locations (no GeoIP database). */
class RouterTest {
    private static final Location AMSTERDAM = new Location(52.37, 4.90, "NL", "EU", 16);
    private static final Location BERLIN = new Location(52.52, 13.40, "DE", "EU", 16);
    private static final Location SYDNEY = new Location(-33.87, 151.21, "AU", "OC", 16);
    private static final Location BEIJING = new Location(39.90, 116.40, "CN", "AS", 16);
    private static final Location COUNTRY_ONLY_JP = new Location(Double.NaN, Double.NaN, "JP", "AS", 16);

    private static RoutingTable table(Path dir, String pops) throws Exception {
        Files.writeString(dir.resolve("t.test.zone"), """
                $TTL 300
                @ SOA ns1 host 1 7200 3600 1209600 60
                  NS ns1
                ns1 A 192.0.2.53
                """);
        Files.writeString(dir.resolve("pops.yaml"), pops);
        return Served.load(dir, null).routing();
    }

    private static final String POPS = """
            pops:
              hq:      { hq: true, location: [50.47, 12.37], addresses: [192.0.2.1, "2001:db8::1"] }
              eu-west: { location: [52.37, 4.90], addresses: [192.0.2.4, "2001:db8::4"] }
              ap:      { location: [1.35, 103.82], addresses: [192.0.2.30] }
              us:      { location: [39.04, -77.49], addresses: [192.0.2.10, "2001:db8::10"] }
            names:
              t.test.: { ttl: 30, countries: { CN: hq }, continents: { OC: eu-west } }
            """;

    private static String route(RoutingTable table, Location location, int qtype, Eligibility eligibility)
            throws Exception {
        GeoName name = table.find(Name.fromString("t.test."));
        Decision d = Router.decide(table, name, location, qtype, eligibility);
        return (d.pop() == Decision.NO_DATA
                        ? "nodata"
                        : table.pops().get(d.pop()).id()) + "/" + d.reason();
    }

    private static List<String> ranking(RoutingTable table, Location location) throws Exception {
        List<String> ids = new ArrayList<>();
        for (int i : Router.rank(table, table.find(Name.fromString("t.test.")), location)
                .order()) {
            ids.add(table.pops().get(i).id());
        }
        return ids;
    }

    @Test
    void nearestByGreatCircleDistance(@TempDir Path dir) throws Exception {
        RoutingTable t = table(dir, POPS);
        Eligibility all = Eligibility.adminOnly();
        assertEquals("eu-west/NEAREST", route(t, AMSTERDAM, Type.A, all));
        assertEquals("hq/NEAREST", route(t, BERLIN, Type.A, all));
        assertEquals(List.of("hq", "eu-west", "us", "ap"), ranking(t, BERLIN));
    }

    @Test
    void countryOverrideBeatsContinentOverrideBeatsDistance(@TempDir Path dir) throws Exception {
        RoutingTable t = table(dir, POPS);
        assertEquals("hq/OVERRIDE", route(t, BEIJING, Type.A, Eligibility.adminOnly()));
        assertEquals("eu-west/OVERRIDE", route(t, SYDNEY, Type.A, Eligibility.adminOnly()));
        assertEquals(List.of("eu-west", "ap", "us", "hq"), ranking(t, SYDNEY), "the rest keep their distance order");
    }

    @Test
    void unknownLocationGoesToHqThenById(@TempDir Path dir) throws Exception {
        RoutingTable t = table(dir, POPS);
        assertEquals("hq/UNKNOWN_LOCATION", route(t, null, Type.A, Eligibility.adminOnly()));
        assertEquals(List.of("hq", "ap", "eu-west", "us"), ranking(t, null));
        // a Country database gives no coordinates: overrides still apply, else HQ first
        assertEquals(List.of("hq", "ap", "eu-west", "us"), ranking(t, COUNTRY_ONLY_JP));
    }

    @Test
    void perFamilyTheFirstCandidateWithRecords(@TempDir Path dir) throws Exception {
        RoutingTable t = table(dir, POPS);
        Location singapore = new Location(1.29, 103.85, "SG", "AS", 16);
        assertEquals("ap/NEAREST", route(t, singapore, Type.A, Eligibility.adminOnly()));
        assertEquals("hq/NEAREST", route(t, singapore, Type.AAAA, Eligibility.adminOnly()), "ap has no IPv6");
    }

    @Test
    void ineligiblePopsAreSkippedAndNoneEligibleFailsOpenToHq(@TempDir Path dir) throws Exception {
        RoutingTable t = table(dir, POPS);
        Eligibility notEuWest = (pop, name) -> !pop.id().equals("eu-west");
        assertEquals("hq/NEAREST", route(t, AMSTERDAM, Type.A, notEuWest));
        Eligibility none = (pop, name) -> false;
        assertEquals("hq/FAIL_OPEN", route(t, AMSTERDAM, Type.A, none));
        Eligibility onlyAp = (pop, name) -> pop.id().equals("ap");
        assertEquals(
                "nodata/NO_RECORDS", route(t, AMSTERDAM, Type.AAAA, onlyAp), "eligible, but no AAAA anywhere eligible");
    }

    @Test
    void biasGrowsOrShrinksARegionAndTiesGoById(@TempDir Path dir) throws Exception {
        // Berlin is ~250 km from Falkenstein and ~580 km from Amsterdam: hq wins, unless eu-west grows
        RoutingTable plain = table(dir, POPS);
        assertEquals("hq/NEAREST", route(plain, BERLIN, Type.A, Eligibility.adminOnly()));
        RoutingTable biased = table(
                dir,
                POPS.replace("eu-west: { location: [52.37, 4.90],", "eu-west: { bias: 60, location: [52.37, 4.90],"));
        assertEquals("eu-west/NEAREST", route(biased, BERLIN, Type.A, Eligibility.adminOnly()));
        String twins = """
                pops:
                  hq: { hq: true, location: [0, 0], addresses: [192.0.2.1] }
                  b-second: { location: [10, 10], addresses: [192.0.2.3] }
                  a-first: { location: [10, 10], addresses: [192.0.2.2] }
                names:
                  t.test.: {}
                """;
        assertEquals(
                "a-first/NEAREST",
                route(table(dir, twins), new Location(10, 10, "XX", "AF", 8), Type.A, Eligibility.adminOnly()));
    }

    @Test
    void drainInConfigIsAdminState(@TempDir Path dir) throws Exception {
        RoutingTable t = table(
                dir,
                POPS.replace(
                        "eu-west: { location: [52.37, 4.90],", "eu-west: { state: drain, location: [52.37, 4.90],"));
        assertEquals("hq/NEAREST", route(t, AMSTERDAM, Type.A, Eligibility.adminOnly()));
    }

    @Test
    void cachedRankingsEqualFreshOnesEverywhere(@TempDir Path dir) throws Exception {
        RoutingTable t = table(
                dir,
                POPS.replace("eu-west: { location: [52.37, 4.90],", "eu-west: { bias: 30, location: [52.37, 4.90],"));
        java.util.Random random = new java.util.Random(11);
        String[][] places = {{"DE", "EU"}, {"CN", "AS"}, {"AU", "OC"}, {"US", "NA"}, {"BR", "SA"}};
        for (int i = 0; i < 20_000; i++) {
            // a coarse grid, so that coordinates repeat (cache hits) across different countries
            double lat = Math.round(random.nextDouble() * 36 - 18) * 5.0;
            double lon = Math.round(random.nextDouble() * 72 - 36) * 5.0;
            String[] place = places[random.nextInt(places.length)];
            Location location = new Location(lat, lon, place[0], place[1], 24);
            assertEquals(reference(t, location), ranking(t, location), lat + "," + lon + " " + place[0]);
        }
    }

    /** The README's rules written out plainly: override first, then scaled distance, ties by id. */
    private static List<String> reference(RoutingTable table, Location location) {
        List<Pop> pops = new ArrayList<>(table.pops());
        String pinned =
                "CN".equals(location.countryCode()) ? "hq" : "OC".equals(location.continentCode()) ? "eu-west" : null;
        pops.sort(java.util.Comparator.<Pop>comparingInt(p -> p.id().equals(pinned) ? 0 : 1)
                .thenComparingDouble(p -> dev.popdns.geoip.Distance.kilometres(
                                location.latitude(), location.longitude(), p.latitude(), p.longitude())
                        * (1 - p.bias() / 100.0))
                .thenComparing(Pop::id));
        List<String> ids = new ArrayList<>();
        for (Pop p : pops) {
            ids.add(p.id());
        }
        return ids;
    }
}
