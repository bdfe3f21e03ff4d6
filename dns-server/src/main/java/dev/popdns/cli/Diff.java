package dev.popdns.cli;

import dev.popdns.served.Served;
import dev.popdns.tools.PopsDiff;
import dev.popdns.tools.TrafficShift;
import dev.popdns.tools.ZoneDiff;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code popdns diff OLD_DIR NEW_DIR [--geoip FILE]}: what a zones pull request changes, as
 * Markdown for a PR comment — records per zone (with an RFC 1982 serial check), zones added and
 * removed, pops.yaml, and which countries and continents move to another PoP, weighted by
 * GeoIP address space. Both directories are loaded exactly as the server loads them.
 * Exit codes: 0 diff printed (changes or none), 1 a directory does not load or the GeoIP file is
 * unusable, 2 usage.
 */
final class Diff {
    /** Country rows per geo name; the rest are summed in one line. */
    static final int MAX_COUNTRIES = 15;

    private Diff() {}

    static int run(List<String> args, PrintStream out, PrintStream err) {
        Path geoip = null;
        List<String> dirs = new ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (a.equals("--geoip") && i + 1 < args.size()) {
                geoip = Path.of(args.get(++i));
            } else if (a.startsWith("-")) {
                err.print("popdns diff: unknown flag " + a + "\n" + Main.USAGE);
                return 2;
            } else {
                dirs.add(a);
            }
        }
        if (dirs.size() != 2) {
            err.print(Main.USAGE);
            return 2;
        }
        Served before = load(Path.of(dirs.get(0)), err);
        Served after = load(Path.of(dirs.get(1)), err);
        if (before == null || after == null) {
            return 1;
        }
        ZoneDiff zones = ZoneDiff.between(before, after);
        PopsDiff pops = PopsDiff.between(before.pops(), after.pops());
        StringBuilder md = new StringBuilder();
        md.append("## popdns diff `")
                .append(dirs.get(0))
                .append("` -> `")
                .append(dirs.get(1))
                .append("`\n\n");
        if (zones.isEmpty() && pops.isEmpty()) {
            md.append("No changes: the zones and pops.yaml serve the same answers.\n");
            out.print(md);
            return 0;
        }
        zones.appendMarkdown(md);
        if (!pops.isEmpty()) {
            md.append("### pops.yaml\n\n");
            pops.appendMarkdown(md);
        }
        if (pops.routingChanged()
                && (before.routing().hasGeoNames() || after.routing().hasGeoNames())) {
            md.append("### Traffic shift\n\n");
            boolean given = geoip != null;
            Path db = given ? geoip : Path.of(Explain.DEFAULT_GEOIP);
            if (!given && !Files.exists(db)) {
                md.append("Skipped: no GeoIP database at ")
                        .append(db)
                        .append(" (give --geoip FILE, a GeoLite2/GeoIP2 City mmdb).\n");
            } else {
                try {
                    TrafficShift.appendMarkdown(
                            md, TrafficShift.compute(db, before.routing(), after.routing()), MAX_COUNTRIES);
                } catch (IOException e) {
                    err.println("popdns diff: " + e.getMessage());
                    return 1;
                }
            }
        }
        out.print(md.toString().stripTrailing() + "\n");
        return 0;
    }

    private static Served load(Path dir, PrintStream err) {
        try {
            return Served.load(dir, null);
        } catch (Served.Invalid e) {
            for (String p : e.problems()) {
                err.println(p);
            }
            err.println(
                    "popdns diff: " + dir + " does not load: " + e.problems().size() + " error(s)");
            return null;
        }
    }
}
