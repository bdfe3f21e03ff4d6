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

    /** {@code args} starts with the source, {@code route53}. */
    static int run(List<String> args, PrintStream out, PrintStream err) {
        if (args.isEmpty() || !args.get(0).equals("route53")) {
            err.print(
                    (args.isEmpty() ? "" : "popdns import: unknown source '" + args.get(0) + "' (expected: route53)\n")
                            + USAGE);
            return 2;
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
                return 2;
            } else {
                records = Path.of(a);
            }
        }
        if (records == null || dir == null) {
            err.print(USAGE);
            return 2;
        }
        Route53Mapper.Result result;
        try {
            result = Route53Mapper.map(
                    Route53Input.recordSets(records),
                    healthChecks == null ? null : Route53Input.healthChecks(healthChecks));
            if (Files.exists(dir) && !empty(dir)) {
                err.println("popdns import: " + dir
                        + " is not empty (expected: a new or empty directory; nothing is overwritten)");
                return 1;
            }
            Files.createDirectories(dir);
        } catch (Route53Input.Invalid e) {
            err.println("popdns import: " + (e.getMessage().startsWith(records.toString()) ? "" : records + ": ")
                    + e.getMessage());
            return 1;
        } catch (IOException e) {
            err.println("popdns import: cannot create " + dir + ": " + e.getMessage());
            return 1;
        }
        String source = records.getFileName() + (healthChecks == null ? "" : ", " + healthChecks.getFileName());
        String origin = result.origin().toString();
        Path zoneFile = dir.resolve(origin.substring(0, origin.length() - 1) + ZoneLoader.SUFFIX);
        try {
            Files.writeString(zoneFile, zoneText(result, source));
            out.println("wrote " + zoneFile + ": " + result.zone().size() + " records");
            if (result.pops() != null) {
                Path pops = dir.resolve(PopsLoader.FILE);
                Files.writeString(
                        pops,
                        PopsYaml.write(
                                result.pops(),
                                List.of(
                                        "PoPs, checks and geo names imported from Route 53 (" + source
                                                + ") by `popdns import route53`.",
                                        "Review every comment, then `popdns check` this directory."),
                                result.comments()));
                out.println("wrote " + pops + ": " + result.pops().pops().size() + " PoP(s), "
                        + result.pops().checks().size() + " check(s), "
                        + result.pops().names().size() + " geo name(s)");
            }
        } catch (IOException e) {
            err.println("popdns import: cannot write in " + dir + ": " + e.getMessage());
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
                    + dir + " holds everything else");
            code = 1;
        }
        try {
            Served served = Served.load(dir, null);
            out.println("ok: " + dir + " loads as the server loads it ("
                    + served.zones().size() + " zone(s), "
                    + served.pops().pops().size() + " PoP(s), "
                    + served.pops().names().size() + " geo name(s))");
        } catch (Served.Invalid e) {
            for (String p : e.problems()) {
                err.println(p);
            }
            err.println(
                    "popdns import: " + dir + " does not load: " + e.problems().size() + " error(s)");
            code = 1;
        }
        return code;
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
