package dev.popdns.cli;

import dev.popdns.config.ConfigLoader;
import dev.popdns.geoip.GeoLocator;
import dev.popdns.geoip.GeoLocatorConfig;
import dev.popdns.geoip.Location;
import dev.popdns.routing.ClientRankings;
import dev.popdns.routing.Eligibility;
import dev.popdns.routing.Explanation;
import dev.popdns.routing.GeoName;
import dev.popdns.routing.Router;
import dev.popdns.routing.RoutingTable;
import dev.popdns.server.Served;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * {@code popdns explain NAME TYPE CLIENT_IP}: why a client gets the answer it gets — its
 * location, every PoP ranked with distance and eligibility, the choice, the records and the ECS
 * scope. Uses the same loader and router as the server (admin state only: no live probes here).
 */
final class Explain {
    static final String DEFAULT_GEOIP = "geoip/data/GeoLite2-City.mmdb";

    private Explain() {}

    static int run(List<String> args, PrintStream out, PrintStream err) {
        Path zones = Path.of(ConfigLoader.DEFAULT_ZONES);
        Path geoip = Path.of(DEFAULT_GEOIP);
        List<String> positional = new java.util.ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if ((a.equals("--zones") || a.equals("--geoip")) && i + 1 < args.size()) {
                Path value = Path.of(args.get(++i));
                if (a.equals("--zones")) {
                    zones = value;
                } else {
                    geoip = value;
                }
            } else {
                positional.add(a);
            }
        }
        if (positional.size() != 3) {
            err.print(Main.USAGE);
            return 2;
        }
        Name name;
        int type = Type.value(positional.get(1).toUpperCase(Locale.ROOT));
        InetAddress client;
        try {
            name = Name.fromString(positional.get(0), Name.root);
            client = literal(positional.get(2));
        } catch (TextParseException | UnknownHostException e) {
            err.println("popdns explain: " + e.getMessage());
            return 2;
        }
        if (type != Type.A && type != Type.AAAA) {
            err.println("popdns explain: type " + positional.get(1)
                    + " (expected: A or AAAA; other types are not geo-routed)");
            return 2;
        }
        Served served;
        try {
            served = Served.load(zones, null);
        } catch (Served.Invalid e) {
            e.problems().forEach(err::println);
            return 1;
        }
        RoutingTable table = served.routing();
        GeoName geo = table.routed(name.toWireCanonical(), name.toWireCanonical().length);
        if (geo == null) {
            out.println(name + " is not geo-routed in " + zones + ": every client gets the zone's static records.");
            return 0;
        }
        try (GeoLocator locator = GeoLocator.open(GeoLocatorConfig.withDefaults(geoip))) {
            Location location = locator.locate(client);
            print(out, name, geo, type, client, location, table, locator, ClientRankings.build(table, locator));
        } catch (IOException e) {
            err.println("popdns explain: " + e.getMessage());
            return 1;
        }
        return 0;
    }

    private static void print(
            PrintStream out,
            Name name,
            GeoName geo,
            int type,
            InetAddress client,
            Location location,
            RoutingTable table,
            GeoLocator locator,
            ClientRankings rankings) {
        Explanation e = Explanation.of(table, geo, type, location, client, rankings, Eligibility.adminOnly());
        out.println("question:  " + name + " " + Type.string(type)
                + (geo.name().equals(name) ? "" : " (routed as " + geo.name() + ")"));
        out.println("client:    " + client.getHostAddress() + " (as the resolver address or the ECS source)");
        out.println("database:  " + locator.database().type() + " "
                + locator.database().path() + " built " + locator.database().buildDate());
        if (location == null) {
            out.println("location:  unknown (private, reserved or unlisted address): HQ first, then by id");
        } else {
            out.println("location:  "
                    + (location.hasCoordinates()
                            ? String.format(Locale.ROOT, "%.4f, %.4f", location.latitude(), location.longitude())
                            : "no coordinates")
                    + ", country " + location.countryCode() + ", continent " + location.continentCode()
                    + ", network /" + location.networkPrefixLength());
        }
        out.println("candidates (best first):");
        int rank = 1;
        for (Router.Candidate c : e.candidates()) {
            String distance = Double.isNaN(c.distanceKm())
                    ? "distance n/a"
                    : String.format(Locale.ROOT, "%8.0f km", c.distanceKm())
                            + (c.pop().bias() != 0
                                    ? String.format(
                                            Locale.ROOT,
                                            " (bias %+d -> %.0f km)",
                                            c.pop().bias(),
                                            c.scaledKm())
                                    : "");
            out.println(String.format(
                    Locale.ROOT,
                    "  %d. %-14s %s%s%s%s%s",
                    rank++,
                    c.pop().id(),
                    distance,
                    c.pinned() ? ", pinned by override" : "",
                    c.pop().hq() ? ", HQ" : "",
                    c.eligible() ? ", eligible" : ", NOT eligible (drained)",
                    c.hasRecords() ? "" : ", no " + Type.string(type) + " records"));
        }
        String reason = e.decision().reason().name().toLowerCase(Locale.ROOT).replace('_', ' ');
        if (e.records() == null) {
            out.println("answer:    NODATA (" + reason + ")");
        } else {
            out.println("answer:    " + table.pops().get(e.decision().pop()).id() + " (" + reason + ")");
            for (Record r : e.records().rrs(false)) {
                out.println("           " + r);
            }
        }
        out.println("ecs scope: /" + e.scope() + " for a client subnet of /" + e.subnetPrefix());
    }

    /** A literal address only: never asks a resolver. */
    private static InetAddress literal(String text) throws UnknownHostException {
        boolean literal =
                text.contains(":") ? text.matches("[0-9a-fA-F:.]+") : text.matches("\\d{1,3}(\\.\\d{1,3}){3}");
        if (!literal) {
            throw new UnknownHostException("'" + text + "' (expected: a literal IPv4 or IPv6 address)");
        }
        return InetAddress.getByName(text);
    }
}
