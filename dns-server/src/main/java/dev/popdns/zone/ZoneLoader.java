package dev.popdns.zone;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.TextParseException;

/**
 * Loads every {@code <origin>.zone} file of a directory into a {@link ZoneSet}, all or nothing.
 * The same code serves start-up, reload and {@code popdns check}: a set with any problem is
 * rejected whole, so the caller keeps serving what it had.
 */
public final class ZoneLoader {
    public static final String SUFFIX = ".zone";

    private ZoneLoader() {}

    /**
     * Loads and validates the directory.
     *
     * @param previous the zones being served now (for serial checks), or null at start
     * @throws ZoneLoadException with every problem found in any file
     */
    public static ZoneSet load(Path dir, ZoneSet previous) throws ZoneLoadException {
        List<ZoneProblem> problems = new ArrayList<>();
        TreeSet<Path> files = new TreeSet<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
            for (Path p : stream) {
                if (Files.isRegularFile(p)) {
                    files.add(p);
                }
            }
        } catch (IOException e) {
            problems.add(new ZoneProblem(dir.toString(), 0, "io", "cannot list zone directory: " + e));
            throw new ZoneLoadException(problems);
        }
        if (files.isEmpty()) {
            problems.add(new ZoneProblem(dir.toString(), 0, "no-zones", "no *" + SUFFIX + " files in the directory"));
            throw new ZoneLoadException(problems);
        }
        Map<Name, Zone> zones = new HashMap<>();
        for (Path file : files) {
            Zone zone = loadFile(file, problems);
            if (zone == null) {
                continue;
            }
            Zone old = previous == null ? null : previous.get(zone.origin());
            if (old != null && serialBefore(zone.serial(), old.serial())) {
                problems.add(new ZoneProblem(
                        zone.file(),
                        0,
                        "serial-decreased",
                        "SOA serial " + zone.serial() + " is older than the served " + old.serial()
                                + " (RFC 1982); secondaries would ignore the change"));
            }
            zones.put(zone.origin(), zone);
        }
        if (!problems.isEmpty()) {
            throw new ZoneLoadException(problems);
        }
        return new ZoneSet(zones);
    }

    /** Parses and validates one file; returns null and adds to {@code problems} when it is wrong. */
    static Zone loadFile(Path file, List<ZoneProblem> problems) {
        String display = file.toString();
        String fileName = file.getFileName().toString();
        String originText = fileName.substring(0, fileName.length() - SUFFIX.length());
        Name origin;
        try {
            origin = Name.fromString(originText.endsWith(".") ? originText : originText + ".");
        } catch (TextParseException e) {
            problems.add(new ZoneProblem(
                    display,
                    0,
                    "file-name",
                    "file name does not give a zone origin (" + "expected: <origin>" + SUFFIX + "): "
                            + e.getMessage()));
            return null;
        }
        int before = problems.size();
        List<SourcedRecord> parsed = new ZoneFileParser(display, origin, problems).parse(file);
        if (problems.size() > before) {
            return null;
        }
        List<Record> records = new ZoneValidator(display, origin, problems).validate(parsed);
        return problems.size() > before ? null : Zone.build(origin, records, display);
    }

    /** RFC 1982 serial arithmetic: is {@code a} before {@code b}? */
    static boolean serialBefore(long a, long b) {
        return a != b && ((a < b && b - a < 0x80000000L) || (a > b && a - b > 0x80000000L));
    }
}
