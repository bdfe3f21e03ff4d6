package dev.popdns.tools;

import com.maxmind.db.CHMCache;
import com.maxmind.db.DatabaseRecord;
import com.maxmind.db.InvalidNetworkException;
import com.maxmind.db.Network;
import com.maxmind.db.Networks;
import com.maxmind.db.Reader;
import dev.popdns.geoip.DatabaseInfo;
import dev.popdns.geoip.GeoLocator;
import dev.popdns.geoip.GeoLocatorConfig;
import dev.popdns.geoip.GeoRecord;
import dev.popdns.geoip.Location;
import dev.popdns.routing.Decision;
import dev.popdns.routing.Eligibility;
import dev.popdns.routing.GeoName;
import dev.popdns.routing.Router;
import dev.popdns.routing.RoutingTable;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.xbill.DNS.Name;
import org.xbill.DNS.Type;

/**
 * Which clients a routing change moves to another PoP, weighted by address space: every IPv4
 * network of a GeoIP database is located as the server would locate it, routed under the old and
 * the new routing table ({@link Router#decide} for an A query, {@link Eligibility#adminOnly()}:
 * drained PoPs count, health cannot be known offline), and its address count is summed per
 * country and continent and (old PoP, new PoP).
 *
 * <p>IPv6 is left out: its networks are too large to weigh against IPv4 by address count, and
 * the GeoLite2 IPv6 data mostly repeats the IPv4 locations. Networks are grouped by location
 * first, so the router runs once per distinct place (tens of thousands), not per network
 * (about 3 million in GeoLite2 City, read in a few seconds).
 */
public final class TrafficShift {
    /** Label for addresses whose database record has no country (or no continent). */
    public static final String UNKNOWN = "unknown";
    /** Label for an A query that gets NODATA (no eligible PoP has an IPv4 address). */
    public static final String NO_DATA = "(nodata)";

    private static final double MIN_SHARE = 0.001;

    /** Addresses of one area (country or continent) that go from one PoP to another. */
    public record Move(String area, String from, String to, long addresses, long areaAddresses) {
        /** The moved part of the area's addresses, 0..1. */
        public double share() {
            return (double) addresses / areaAddresses;
        }
    }

    /** Whether a geo name is routed on both sides, only after, or only before. */
    public enum Status {
        BOTH,
        ADDED,
        REMOVED
    }

    /** The moves of one geo name, biggest first (none unless {@link Status#BOTH}). */
    public record NameShift(Name name, Status status, long moved, List<Move> continents, List<Move> countries) {}

    /**
     * The shift of every geo name.
     *
     * @param networks  IPv4 networks read
     * @param addresses IPv4 addresses in them
     */
    public record Result(DatabaseInfo database, long networks, long addresses, List<NameShift> names) {}

    private TrafficShift() {}

    /**
     * Reads every IPv4 network of {@code database} and routes it under both tables.
     *
     * @throws IOException when the database is missing or is no City/Country mmdb (the message names the path)
     */
    public static Result compute(Path database, RoutingTable before, RoutingTable after) throws IOException {
        DatabaseInfo info;
        // the server's own checks and messages for a missing or wrong file
        try (GeoLocator locator = GeoLocator.open(GeoLocatorConfig.withDefaults(database))) {
            info = locator.database();
        }
        List<Name> names = new ArrayList<>();
        for (GeoName n : after.names()) {
            names.add(n.name());
        }
        for (GeoName n : before.names()) {
            if (after.find(n.name()) == null) {
                names.add(n.name());
            }
        }
        List<Name> both = new ArrayList<>();
        for (Name n : names) {
            if (before.find(n) != null && after.find(n) != null) {
                both.add(n);
            }
        }
        Map<Place, Cell> cells = new HashMap<>();
        long networks = 0;
        long addresses = 0;
        try (Reader reader = new Reader(database.toFile(), Reader.FileMode.MEMORY_MAPPED, new CHMCache(1 << 16))) {
            Networks<GeoRecord> it = reader.networksWithin(
                    new Network(InetAddress.getByAddress(new byte[4]), 0), false, GeoRecord.class);
            while (it.hasNext()) {
                DatabaseRecord<GeoRecord> record = it.next();
                long size = 1L << (32 - record.getNetwork().getPrefixLength());
                Place place = Place.of(record.getData());
                Cell cell = cells.get(place);
                if (cell == null) {
                    cell = new Cell(place, route(place, both, before, after));
                    cells.put(place, cell);
                }
                cell.addresses += size;
                networks++;
                addresses += size;
            }
        } catch (InvalidNetworkException e) {
            throw new IOException(
                    "GeoIP database " + database + ": cannot list its IPv4 networks: " + e.getMessage(), e);
        }
        List<NameShift> shifts = new ArrayList<>();
        for (Name n : names) {
            int i = both.indexOf(n);
            if (i < 0) {
                shifts.add(new NameShift(
                        n, before.find(n) == null ? Status.ADDED : Status.REMOVED, 0, List.of(), List.of()));
                continue;
            }
            shifts.add(shift(n, i, cells.values()));
        }
        return new Result(info, networks, addresses, shifts);
    }

    /** For each name, {from, to} PoP ids for clients at {@code place}. */
    private static String[][] route(Place place, List<Name> names, RoutingTable before, RoutingTable after) {
        Location location = place.location();
        String[][] out = new String[names.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = new String[] {pop(before, names.get(i), location), pop(after, names.get(i), location)};
        }
        return out;
    }

    private static String pop(RoutingTable table, Name name, Location location) {
        Decision d = Router.decide(table, table.find(name), location, Type.A, Eligibility.adminOnly());
        return d.pop() == Decision.NO_DATA ? NO_DATA : table.pops().get(d.pop()).id();
    }

    private static NameShift shift(Name name, int index, Iterable<Cell> cells) {
        Map<String, Long> countryTotals = new HashMap<>();
        Map<String, Long> continentTotals = new HashMap<>();
        Map<List<String>, Long> countryMoves = new HashMap<>();
        Map<List<String>, Long> continentMoves = new HashMap<>();
        long moved = 0;
        for (Cell c : cells) {
            String country = c.place.country() == null ? UNKNOWN : c.place.country();
            String continent = c.place.continent() == null ? UNKNOWN : c.place.continent();
            countryTotals.merge(country, c.addresses, Long::sum);
            continentTotals.merge(continent, c.addresses, Long::sum);
            String[] fromTo = c.routes[index];
            if (!fromTo[0].equals(fromTo[1])) {
                countryMoves.merge(List.of(country, fromTo[0], fromTo[1]), c.addresses, Long::sum);
                continentMoves.merge(List.of(continent, fromTo[0], fromTo[1]), c.addresses, Long::sum);
                moved += c.addresses;
            }
        }
        return new NameShift(
                name, Status.BOTH, moved, moves(continentMoves, continentTotals), moves(countryMoves, countryTotals));
    }

    private static List<Move> moves(Map<List<String>, Long> moved, Map<String, Long> totals) {
        List<Move> out = new ArrayList<>();
        for (Map.Entry<List<String>, Long> e : moved.entrySet()) {
            List<String> k = e.getKey();
            out.add(new Move(k.get(0), k.get(1), k.get(2), e.getValue(), totals.get(k.get(0))));
        }
        out.sort(Comparator.comparingLong(Move::addresses)
                .reversed()
                .thenComparing(Move::area)
                .thenComparing(Move::from)
                .thenComparing(Move::to));
        return out;
    }

    /**
     * Appends the Markdown report: a line on what was counted, then per name the share of the
     * address space that moves and the tables of continents and (the first {@code maxCountries})
     * countries.
     */
    public static void appendMarkdown(StringBuilder md, Result r, int maxCountries) {
        md.append("A queries from each IPv4 network of ")
                .append(r.database().type())
                .append(" (built ")
                .append(r.database().buildDate().atOffset(ZoneOffset.UTC).toLocalDate())
                .append("; ")
                .append(String.format(Locale.ROOT, "%,d networks, %,d addresses", r.networks(), r.addresses()))
                .append(
                        "), routed by location, overrides, bias and drain state before and after; health is not known"
                                + " offline and IPv6 is not counted. A share is the part of that country's or continent's addresses.\n\n");
        for (NameShift s : r.names()) {
            md.append("#### `").append(s.name()).append("`\n\n");
            switch (s.status()) {
                case ADDED -> md.append("Newly geo-routed: before, its A/AAAA queries got the zone's answer.\n\n");
                case REMOVED -> md.append("No longer geo-routed: its A/AAAA queries get the zone's answer.\n\n");
                case BOTH -> {
                    if (s.moved() == 0) {
                        md.append("No client moves.\n\n");
                        continue;
                    }
                    md.append(String.format(
                            Locale.ROOT,
                            "%s of the address space moves (%,d addresses).%n%n",
                            percent((double) s.moved() / r.addresses()),
                            s.moved()));
                    List<Move> continents = new ArrayList<>(s.continents());
                    continents.sort(Comparator.comparing(Move::area)
                            .thenComparing(
                                    Comparator.comparingLong(Move::addresses).reversed()));
                    table(md, "continent", continents, Integer.MAX_VALUE);
                    table(md, "country", s.countries(), maxCountries);
                }
            }
        }
    }

    private static void table(StringBuilder md, String area, List<Move> moves, int max) {
        List<Move> shown = new ArrayList<>();
        long rest = 0;
        for (Move m : moves) {
            // rows under 0.1% of their area are noise in a review: summed in one line instead
            if (shown.size() < max && m.share() >= MIN_SHARE) {
                shown.add(m);
            } else {
                rest += m.addresses();
            }
        }
        if (!shown.isEmpty()) {
            md.append("| ").append(area).append(" | share | from | to |\n|---|---:|---|---|\n");
            for (Move m : shown) {
                md.append("| ")
                        .append(m.area())
                        .append(" | ")
                        .append(percent(m.share()))
                        .append(" | ")
                        .append(m.from())
                        .append(" | ")
                        .append(m.to())
                        .append(" |\n");
            }
            md.append('\n');
        }
        int hidden = moves.size() - shown.size();
        if (hidden > 0) {
            md.append(String.format(
                    Locale.ROOT,
                    "%s%d smaller %s move%s (%,d addresses).%n%n",
                    shown.isEmpty() ? "" : "...and ",
                    hidden,
                    area,
                    hidden == 1 ? "" : "s",
                    rest));
        }
    }

    static String percent(double fraction) {
        double p = fraction * 100;
        return p > 0 && p < 0.05 ? "<0.1%" : String.format(Locale.ROOT, "%.1f%%", p);
    }

    /** A place as the router sees it: country, continent and coordinates (NaN when unknown). */
    record Place(String country, String continent, double latitude, double longitude) {
        static final Place NOWHERE = new Place(null, null, Double.NaN, Double.NaN);

        /** The place of a database record (the decoder's, shared with geoip); NOWHERE for none. */
        static Place of(GeoRecord record) {
            if (record == null) {
                return NOWHERE;
            }
            boolean located = record.hasCoordinates();
            return new Place(
                    record.country(),
                    record.continent(),
                    located ? record.latitude() : Double.NaN,
                    located ? record.longitude() : Double.NaN);
        }

        /** The location the server's GeoLocator would return, or null (as it returns for no data). */
        Location location() {
            if (country == null && continent == null && Double.isNaN(latitude)) {
                return null;
            }
            return new Location(latitude, longitude, country, continent, 0);
        }
    }

    private static final class Cell {
        final Place place;
        final String[][] routes;
        long addresses;

        Cell(Place place, String[][] routes) {
            this.place = place;
            this.routes = routes;
        }
    }
}
