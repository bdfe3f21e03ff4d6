package dev.popdns.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.popdns.config.AddressLiteral;
import dev.popdns.config.ConfigException;
import dev.popdns.config.ConfigLoader;
import dev.popdns.geoip.GeoLocator;
import dev.popdns.geoip.GeoLocatorConfig;
import dev.popdns.routing.ClientRankings;
import dev.popdns.routing.Eligibility;
import dev.popdns.served.Served;
import dev.popdns.status.ExplainReport;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.URLEncoder;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.xbill.DNS.Name;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * {@code popdns explain NAME TYPE CLIENT_IP}: why a client gets the answer it gets — its
 * location, every PoP ranked with distance, live checks, override and eligibility, the choice, the
 * records with their TTL and the ECS scope. It asks the running server ({@code GET
 * /api/v1/explain}), which knows the live health; when no server answers (or with
 * {@code --offline}) it loads the zones itself, says loudly that it is offline, and assumes every
 * PoP UP (only pops.yaml's {@code state} counts). Both paths print the same {@link ExplainReport}.
 */
final class Explain {
    static final String DEFAULT_GEOIP = "geoip/data/GeoLite2-City.mmdb";

    private Explain() {}

    /** The command line: where the zones, database and server are, and the question asked. */
    private record Request(
            Path zones,
            Path geoip,
            String server,
            Path config,
            boolean offline,
            Name name,
            int type,
            InetAddress client) {}

    static int run(List<String> args, PrintStream out, PrintStream err) {
        Request request = parse(args, err);
        if (request == null) {
            return 2;
        }
        String why = "--offline";
        if (!request.offline()) {
            try {
                return live(request, out, err);
            } catch (ServerClient.Unreachable e) {
                why = "no server at " + e.getMessage();
            }
        }
        return offline(request, why, out, err);
    }

    /** The flags and the three positional arguments; null, with the usage on stderr, where they are wrong. */
    private static Request parse(List<String> args, PrintStream err) {
        Path zones = Path.of(ConfigLoader.DEFAULT_ZONES);
        Path geoip = Path.of(DEFAULT_GEOIP);
        String server = null;
        Path config = null;
        boolean offline = false;
        List<String> positional = new ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (a.equals("--offline")) {
                offline = true;
            } else if (a.startsWith("--") && i + 1 < args.size()) {
                String value = args.get(++i);
                switch (a) {
                    case "--zones" -> zones = Path.of(value);
                    case "--geoip" -> geoip = Path.of(value);
                    case "--server" -> server = value;
                    case "--config" -> config = Path.of(value);
                    default -> {
                        err.print("popdns explain: unknown flag " + a + "\n" + Main.USAGE);
                        return null;
                    }
                }
            } else {
                positional.add(a);
            }
        }
        if (positional.size() != 3) {
            err.print(Main.USAGE);
            return null;
        }
        return question(positional, err, zones, geoip, server, config, offline);
    }

    /** NAME TYPE CLIENT_IP: a domain name, A or AAAA, a literal address. */
    private static Request question(
            List<String> positional,
            PrintStream err,
            Path zones,
            Path geoip,
            String server,
            Path config,
            boolean offline) {
        Name name;
        int type = Type.value(positional.get(1).toUpperCase(Locale.ROOT));
        InetAddress client;
        try {
            name = Name.fromString(positional.get(0), Name.root);
            client = literal(positional.get(2));
        } catch (TextParseException | UnknownHostException e) {
            err.println("popdns explain: " + e.getMessage());
            return null;
        }
        if (type != Type.A && type != Type.AAAA) {
            err.println("popdns explain: type " + positional.get(1)
                    + " (expected: A or AAAA; other types are not geo-routed)");
            return null;
        }
        return new Request(zones, geoip, server, config, offline, name, type, client);
    }

    /** Asks the running server, which knows the live health. */
    private static int live(Request request, PrintStream out, PrintStream err) throws ServerClient.Unreachable {
        try {
            ServerClient live = ServerClient.of(request.server(), request.config());
            JsonNode report = live.get(
                    "/api/v1/explain?name=" + encode(request.name().toString()) + "&type=" + Type.string(request.type())
                            + "&client=" + encode(request.client().getHostAddress()));
            out.println("server:    " + live.base + " (live: health and overrides as the server sees them now)");
            print(out, report, request.zones());
            return 0;
        } catch (ConfigException e) {
            err.println("popdns explain: " + e.getMessage());
            return 1;
        } catch (ServerClient.Refused e) {
            err.println("popdns explain: the server refused: " + e.getMessage());
            return 1;
        }
    }

    /** Loads the zones and the database itself and says loudly that live health is unknown. */
    private static int offline(Request request, String why, PrintStream out, PrintStream err) {
        Served served;
        try {
            served = Served.load(request.zones(), null);
        } catch (Served.Invalid e) {
            e.problems().forEach(err::println);
            return 1;
        }
        try (GeoLocator locator = GeoLocator.open(GeoLocatorConfig.withDefaults(request.geoip()))) {
            JsonNode report = ExplainReport.build(
                    served.routing(),
                    ClientRankings.build(served.routing(), locator),
                    Eligibility.adminOnly(),
                    null,
                    null,
                    Map.of(),
                    false,
                    Instant.now(),
                    locator,
                    request.name(),
                    request.type(),
                    request.client());
            out.println("*** OFFLINE (" + why + "): live health and overrides unknown;");
            out.println(
                    "*** every PoP is assumed UP, only pops.yaml's state counts. Zones from " + request.zones() + ".");
            err.println("popdns explain: OFFLINE, " + why + ": every PoP assumed UP");
            print(out, report, request.zones());
        } catch (IOException e) {
            err.println("popdns explain: " + e.getMessage());
            return 1;
        }
        return 0;
    }

    /** The report as text; the same for the live and the offline path. */
    static void print(PrintStream out, JsonNode r, Path zones) {
        if (!r.path("routed").asBoolean()) {
            out.println(r.path("name").asText() + " is not geo-routed"
                    + (r.path("live").asBoolean() ? " by the server" : " in " + zones)
                    + ": every client gets the zone's static records.");
            return;
        }
        String name = r.path("name").asText();
        String type = r.path("type").asText();
        out.println("question:  " + name + " " + type
                + (r.path("routed_as").asText().equals(name)
                        ? ""
                        : " (routed as " + r.path("routed_as").asText() + ")"));
        out.println("client:    " + r.path("client").asText() + " (as the resolver address or the ECS source)");
        JsonNode db = r.path("database");
        out.println("database:  " + db.path("type").asText() + " "
                + db.path("path").asText() + " built " + db.path("build_date").asText());
        out.println("location:  " + location(r.path("location")));
        boolean probes = r.path("probes").asBoolean();
        out.println("candidates (best first):");
        int rank = 1;
        for (JsonNode c : r.path("candidates")) {
            out.println(candidate(c, rank++, probes, type));
            // with peers: each needed check's votes, as the status page shows them
            c.path("votes").properties().forEach(check -> out.println(votes(c, check.getKey(), check.getValue())));
        }
        answer(out, r);
        out.println("ecs scope: /" + r.path("ecs_scope").asInt() + " for a client subnet of /"
                + r.path("ecs_source_prefix").asInt());
    }

    private static String location(JsonNode location) {
        if (location.isNull() || location.isMissingNode()) {
            return "unknown (private, reserved or unlisted address): HQ first, then by id";
        }
        return (location.has("latitude")
                        ? String.format(
                                Locale.ROOT,
                                "%.4f, %.4f",
                                location.path("latitude").asDouble(),
                                location.path("longitude").asDouble())
                        : "no coordinates")
                + ", country " + location.path("country").asText() + ", continent "
                + location.path("continent").asText() + ", network /"
                + location.path("network_prefix").asInt();
    }

    /** One ranked PoP: distance (biased), pin, HQ, whether it is eligible and why, its records. */
    private static String candidate(JsonNode c, int rank, boolean probes, String type) {
        String distance = !c.has("distance_km")
                ? "distance n/a"
                : String.format(Locale.ROOT, "%8d km", c.path("distance_km").asLong())
                        + (c.path("bias").asInt() != 0
                                ? String.format(
                                        Locale.ROOT,
                                        " (bias %+d -> %d km)",
                                        c.path("bias").asInt(),
                                        c.path("scaled_km").asLong())
                                : "");
        boolean eligible = c.path("eligible").asBoolean();
        String why = c.path("why").asText();
        return String.format(
                Locale.ROOT,
                "  %d. %-14s %s%s%s%s%s",
                rank,
                c.path("pop").asText(),
                distance,
                c.path("pinned").asBoolean() ? ", pinned by override" : "",
                c.path("hq").asBoolean() ? ", HQ" : "",
                eligible ? ", eligible" + (probes ? " (" + why + ")" : "") : ", NOT eligible (" + why + ")",
                c.path("has_records").asBoolean() ? "" : ", no " + type + " records");
    }

    /** A needed check's agreed state and each node's vote on it. */
    private static StringBuilder votes(JsonNode c, String check, JsonNode v) {
        StringBuilder line = new StringBuilder("       ")
                .append(check)
                .append(": ")
                .append(c.path("checks").path(check).asText().toUpperCase(Locale.ROOT))
                .append(' ')
                .append(v.path("votes_up").asInt())
                .append(" up / ")
                .append(v.path("votes_down").asInt())
                .append(" down");
        for (JsonNode vote : v.path("votes")) {
            line.append(" · ")
                    .append(vote.path("node").asText())
                    .append(": ")
                    .append(vote.path("state").asText().toUpperCase(Locale.ROOT));
            if (vote.has("last_error")) {
                line.append(' ').append(vote.path("last_error").asText());
            }
        }
        return line;
    }

    /** The PoP answered (or NODATA) and why, its records and TTL. */
    private static void answer(PrintStream out, JsonNode r) {
        String reason = r.path("reason").asText().replace('_', ' ');
        if (r.path("answer").asText().equals("none")) {
            out.println("answer:    NODATA (" + reason + ")");
            return;
        }
        out.println("answer:    " + r.path("answer").asText() + " (" + reason + ")");
        for (JsonNode rec : r.path("records")) {
            out.println("           " + rec.asText());
        }
        out.println("ttl:       " + r.path("ttl").asLong() + " s"
                + (r.has("ttl_shortened_for_drain_at")
                        ? " (shortened: " + r.path("answer").asText() + " drains at "
                                + r.path("ttl_shortened_for_drain_at").asText() + ")"
                        : ""));
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    /** A literal address only: never asks a resolver. */
    private static InetAddress literal(String text) throws UnknownHostException {
        InetAddress address = AddressLiteral.parse(text);
        if (address == null) {
            throw new UnknownHostException("'" + text + "' (expected: a literal IPv4 or IPv6 address)");
        }
        return address;
    }
}
