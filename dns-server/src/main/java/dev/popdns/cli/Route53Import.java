package dev.popdns.cli;

import dev.popdns.config.PopsLoader;
import dev.popdns.served.Served;
import dev.popdns.tools.PopsYaml;
import dev.popdns.tools.Route53Input;
import dev.popdns.tools.Route53Mapper;
import dev.popdns.zone.ZoneLoader;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.xbill.DNS.Name;
import org.xbill.DNS.Type;

/**
 * {@code popdns import route53 RECORDS.json [--health-checks HEALTHCHECKS.json] --out DIR}: turns
 * a Route 53 hosted zone (the JSON of {@code aws route53 list-resource-record-sets}, and of
 * {@code aws route53 list-health-checks}) into a zones directory: {@code DIR/<origin>.zone} and,
 * when record sets have routing policies, {@code DIR/pops.yaml}. How each policy maps is in
 * {@link Route53Mapper}. What cannot be mapped is listed on stderr with the record set and why;
 * the rest is written all the same, and the directory is loaded as the server would load it.
 * Exit codes: 0 everything mapped and the directory loads, 1 something not mapped, unreadable
 * input or a directory that does not load, 2 usage.
 */
final class Route53Import {
    static final String USAGE =
            "usage: popdns import route53 RECORDS.json [--health-checks HEALTHCHECKS.json] --out DIR\n";

    private Route53Import() {}

    /** The files named on the command line. */
    private record Request(Path records, Path healthChecks, Path dir) {
        /** How the import names its input in the files it writes. */
        String source() {
            return records.getFileName() + (healthChecks == null ? "" : ", " + healthChecks.getFileName());
        }
    }

    /** {@code args} starts with the source, {@code route53}. */
    static int run(List<String> args, PrintStream out, PrintStream err) {
        Request request = parse(args, err);
        if (request == null) {
            return 2;
        }
        Route53Mapper.Result result = map(request, err);
        if (result == null || !write(result, request, out, err)) {
            return 1;
        }
        for (String note : result.notes()) {
            out.println("note: " + note);
        }
        int code = 0;
        for (String line : result.unmapped()) {
            err.println(line);
        }
        if (!result.unmapped().isEmpty()) {
            err.println("popdns import: " + result.unmapped().size() + " record set(s) not mapped (listed above);" + " "
                    + request.dir() + " holds everything else");
            code = 1;
        }
        return loads(request.dir(), out, err) ? code : 1;
    }

    /** The source, RECORDS.json, the health checks and the directory; null, with the usage on stderr, where wrong. */
    private static Request parse(List<String> args, PrintStream err) {
        if (args.isEmpty() || !args.get(0).equals("route53")) {
            err.print(
                    (args.isEmpty() ? "" : "popdns import: unknown source '" + args.get(0) + "' (expected: route53)\n")
                            + USAGE);
            return null;
        }
        Path records = null;
        Path healthChecks = null;
        Path dir = null;
        for (int i = 1; i < args.size(); i++) {
            String a = args.get(i);
            if ((a.equals("--health-checks") || a.equals("--out")) && i + 1 < args.size()) {
                Path value = Path.of(args.get(++i));
                if (a.equals("--out")) {
                    dir = value;
                } else {
                    healthChecks = value;
                }
            } else if (a.startsWith("-") || records != null) {
                err.print("popdns import: unexpected argument " + a + "\n" + USAGE);
                return null;
            } else {
                records = Path.of(a);
            }
        }
        if (records == null || dir == null) {
            err.print(USAGE);
            return null;
        }
        return new Request(records, healthChecks, dir);
    }

    /** Reads and maps the input and creates the (new or empty) directory; null, said on stderr, on failure. */
    private static Route53Mapper.Result map(Request request, PrintStream err) {
        Path records = request.records();
        Path dir = request.dir();
        try {
            Route53Mapper.Result result = Route53Mapper.map(
                    Route53Input.recordSets(records),
                    request.healthChecks() == null ? null : Route53Input.healthChecks(request.healthChecks()));
            if (Files.exists(dir) && !empty(dir)) {
                err.println("popdns import: " + dir
                        + " is not empty (expected: a new or empty directory; nothing is overwritten)");
                return null;
            }
            Files.createDirectories(dir);
            return result;
        } catch (Route53Input.Invalid e) {
            err.println("popdns import: " + (e.getMessage().startsWith(records.toString()) ? "" : records + ": ")
                    + e.getMessage());
            return null;
        } catch (IOException e) {
            err.println("popdns import: cannot create " + dir + ": " + e.getMessage());
            return null;
        }
    }

    /** Writes the zone file and, with routing policies, pops.yaml; false, said on stderr, on failure. */
    private static boolean write(Route53Mapper.Result result, Request request, PrintStream out, PrintStream err) {
        String origin = result.origin().toString();
        Path zoneFile = request.dir().resolve(origin.substring(0, origin.length() - 1) + ZoneLoader.SUFFIX);
        try {
            Files.writeString(zoneFile, zoneText(result, request.source()));
            out.println("wrote " + zoneFile + ": " + result.zone().size() + " records");
            if (result.pops() != null) {
                writePops(result, request, out);
            }
            return true;
        } catch (IOException e) {
            err.println("popdns import: cannot write in " + request.dir() + ": " + e.getMessage());
            return false;
        }
    }

    private static void writePops(Route53Mapper.Result result, Request request, PrintStream out) throws IOException {
        Path pops = request.dir().resolve(PopsLoader.FILE);
        Files.writeString(
                pops,
                PopsYaml.write(
                        result.pops(),
                        List.of(
                                "PoPs, checks and geo names imported from Route 53 (" + request.source()
                                        + ") by `popdns import route53`.",
                                "Review every comment, then `popdns check` this directory."),
                        result.comments()));
        out.println("wrote " + pops + ": " + result.pops().pops().size() + " PoP(s), "
                + result.pops().checks().size() + " check(s), "
                + result.pops().names().size() + " geo name(s)");
    }

    /** Whether the directory loads as the server would load it; its problems on stderr where not. */
    private static boolean loads(Path dir, PrintStream out, PrintStream err) {
        try {
            Served served = Served.load(dir, null);
            out.println("ok: " + dir + " loads as the server loads it ("
                    + served.zones().size() + " zone(s), "
                    + served.pops().pops().size() + " PoP(s), "
                    + served.pops().names().size() + " geo name(s))");
            return true;
        } catch (Served.Invalid e) {
            for (String p : e.problems()) {
                err.println(p);
            }
            err.println(
                    "popdns import: " + dir + " does not load: " + e.problems().size() + " error(s)");
            return false;
        }
    }

    private static boolean empty(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.findAny().isEmpty();
        }
    }

    /** The master file: a header, {@code $ORIGIN}, then one record per line with owners relative to the origin. */
    static String zoneText(Route53Mapper.Result r, String source) {
        Name origin = r.origin();
        List<String> owners = new ArrayList<>();
        int width = 1;
        for (Route53Mapper.ZoneLine l : r.zone()) {
            String owner = l.owner().equals(origin)
                    ? "@"
                    : l.owner().relativize(origin).toString();
            owners.add(owner);
            width = Math.max(width, owner.length());
        }
        StringBuilder z = new StringBuilder();
        z.append("; ")
                .append(origin)
                .append(" imported from Route 53 (")
                .append(source)
                .append(") by `popdns import route53`.\n");
        if (r.pops() != null && !r.pops().names().isEmpty()) {
            z.append("; Geo names (")
                    .append(String.join(", ", r.pops().names().keySet()))
                    .append(") take their A/AAAA from pops.yaml.\n");
        }
        z.append("$ORIGIN ").append(origin).append('\n');
        String previous = null;
        for (int i = 0; i < r.zone().size(); i++) {
            Route53Mapper.ZoneLine l = r.zone().get(i);
            String owner = owners.get(i);
            z.append(String.format(
                    Locale.ROOT,
                    "%-" + width + "s %6d IN %-5s %s%n",
                    owner.equals(previous) ? "" : owner,
                    l.ttl(),
                    Type.string(l.type()),
                    l.rdata()));
            previous = owner;
        }
        return z.toString();
    }
}
