package dev.popdns.tools;

import dev.popdns.routing.RoutingTable;
import dev.popdns.served.Served;
import dev.popdns.zone.Zone;
import io.netty.util.NetUtil;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.RRset;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Type;

/**
 * The record changes between two loaded zones directories, RRset by RRset: added, removed, and
 * changed (same owner and type, other records or TTL). The SOA serial is reported on its own and
 * checked with RFC 1982 arithmetic. Geo names' A/AAAA placeholders (the HQ's addresses the loader
 * adds) are not zone data and are left out: pops.yaml changes are {@link PopsDiff}'s.
 */
public final class ZoneDiff {
    /** Canonical name order (RFC 4034 §6.1); at a name SOA first, then NS, then by type, as zone files are written. */
    private static final Comparator<RRset> ORDER = Comparator.comparing(RRset::getName)
            .thenComparingInt(s -> s.getType() == Type.SOA ? -2 : s.getType() == Type.NS ? -1 : s.getType());

    /** One RRset before and after. */
    public record Changed(RRset before, RRset after) {}

    /** A zone present on both sides, with what changed in it. */
    public record ZoneChange(Zone before, Zone after, List<RRset> added, List<RRset> removed, List<Changed> changed) {
        public boolean contentChanged() {
            return !added.isEmpty() || !removed.isEmpty() || !changed.isEmpty();
        }
    }

    private final List<ZoneChange> changed = new ArrayList<>();
    private final List<Zone> unchanged = new ArrayList<>();
    private final List<Zone> added = new ArrayList<>();
    private final List<Zone> removed = new ArrayList<>();
    private final Map<Name, List<RRset>> addedSets = new HashMap<>();

    private ZoneDiff() {}

    /** Compares the zones of {@code before} and {@code after}. */
    public static ZoneDiff between(Served before, Served after) {
        ZoneDiff diff = new ZoneDiff();
        for (Zone old : before.zones().zones()) {
            Zone now = after.zones().get(old.origin());
            if (now == null) {
                diff.removed.add(old);
                continue;
            }
            ZoneChange change = compare(old, rrsets(old, before.routing()), now, rrsets(now, after.routing()));
            if (change.contentChanged() || old.serial() != now.serial()) {
                diff.changed.add(change);
            } else {
                diff.unchanged.add(now);
            }
        }
        for (Zone now : after.zones().zones()) {
            if (before.zones().get(now.origin()) == null) {
                diff.added.add(now);
                diff.addedSets.put(now.origin(), rrsets(now, after.routing()));
            }
        }
        return diff;
    }

    public List<ZoneChange> changed() {
        return changed;
    }

    public List<Zone> added() {
        return added;
    }

    public List<Zone> removed() {
        return removed;
    }

    public boolean isEmpty() {
        return changed.isEmpty() && added.isEmpty() && removed.isEmpty();
    }

    /** The zone's own RRsets (no geo placeholders), in canonical order. */
    private static List<RRset> rrsets(Zone zone, RoutingTable routing) {
        List<RRset> sets = new ArrayList<>();
        for (RRset set : zone.rrsets()) {
            boolean address = set.getType() == Type.A || set.getType() == Type.AAAA;
            if (!(address && routing.find(set.getName()) != null)) {
                sets.add(set);
            }
        }
        sets.sort(ORDER);
        return sets;
    }

    private static ZoneChange compare(Zone before, List<RRset> old, Zone after, List<RRset> now) {
        Map<String, RRset> oldByKey = new HashMap<>();
        for (RRset set : old) {
            oldByKey.put(key(set), set);
        }
        List<RRset> added = new ArrayList<>();
        List<Changed> changed = new ArrayList<>();
        for (RRset set : now) {
            RRset previous = oldByKey.remove(key(set));
            if (previous == null) {
                added.add(set);
            } else if (!same(previous, set)) {
                changed.add(new Changed(previous, set));
            }
        }
        List<RRset> removed = new ArrayList<>(oldByKey.values());
        removed.sort(ORDER);
        return new ZoneChange(before, after, added, removed, changed);
    }

    private static String key(RRset set) {
        return set.getName().toString().toLowerCase(java.util.Locale.ROOT) + " " + set.getType();
    }

    /** Same TTL and same records; a SOA whose serial alone differs counts as the same (the serial is reported apart). */
    private static boolean same(RRset a, RRset b) {
        return a.getTTL() == b.getTTL() && Arrays.equals(canonical(a), canonical(b));
    }

    private static String[] canonical(RRset set) {
        List<Record> records = set.rrs(false);
        String[] out = new String[records.size()];
        for (int i = 0; i < out.length; i++) {
            Record r = records.get(i);
            if (r instanceof SOARecord soa) {
                r = new SOARecord(
                        soa.getName(),
                        soa.getDClass(),
                        soa.getTTL(),
                        soa.getHost(),
                        soa.getAdmin(),
                        0,
                        soa.getRefresh(),
                        soa.getRetry(),
                        soa.getExpire(),
                        soa.getMinimum());
            }
            out[i] = java.util.HexFormat.of().formatHex(r.rdataToWireCanonical());
        }
        Arrays.sort(out);
        return out;
    }

    /** RFC 1982 §3.2: is serial {@code a} before {@code b}? */
    static boolean serialBefore(long a, long b) {
        return a != b && ((a < b && b - a < 0x80000000L) || (a > b && a - b > 0x80000000L));
    }

    /** Appends one Markdown section per changed, added and removed zone, and a line for the unchanged ones. */
    public void appendMarkdown(StringBuilder md) {
        for (ZoneChange c : changed) {
            long from = c.before().serial();
            long to = c.after().serial();
            md.append("### Zone `").append(c.after().origin()).append("`\n\n");
            md.append("Serial ").append(from).append(" -> ").append(to).append("; ");
            if (!c.contentChanged()) {
                md.append("no record changed.\n\n");
            } else {
                List<String> counts = new ArrayList<>();
                count(counts, c.added().size(), "added");
                count(counts, c.removed().size(), "removed");
                count(counts, c.changed().size(), "changed");
                md.append(String.join(", ", counts)).append(".\n\n");
            }
            if (serialBefore(to, from)) {
                md.append("> [!WARNING]\n> The serial went back (")
                        .append(from)
                        .append(" -> ")
                        .append(to)
                        .append(", RFC 1982): a popdns server serving the old zone rejects this one on reload"
                                + " [serial-decreased], and secondaries ignore it.\n\n");
            } else if (c.contentChanged() && from == to) {
                md.append("> [!WARNING]\n> Records changed but the serial did not increase (")
                        .append(from)
                        .append(" -> ")
                        .append(to)
                        .append(
                                ", RFC 1982): anything that compares serials (secondaries, monitoring) misses the change.\n\n");
            }
            block(md, "Added", c.added(), "+ ");
            block(md, "Removed", c.removed(), "- ");
            if (!c.changed().isEmpty()) {
                md.append("Changed:\n\n```diff\n");
                for (Changed ch : c.changed()) {
                    lines(md, ch.before(), "- ");
                    lines(md, ch.after(), "+ ");
                }
                md.append("```\n\n");
            }
        }
        for (Zone z : added) {
            List<RRset> sets = addedSets.get(z.origin());
            md.append("### Zone `")
                    .append(z.origin())
                    .append("` added\n\nSerial ")
                    .append(z.serial())
                    .append(", ")
                    .append(sets.size())
                    .append(sets.size() == 1 ? " RRset" : " RRsets")
                    .append(".\n\n");
            block(md, null, sets, "+ ");
        }
        for (Zone z : removed) {
            md.append("### Zone `")
                    .append(z.origin())
                    .append("` removed\n\nIt had serial ")
                    .append(z.serial())
                    .append(".\n\n");
        }
        if (!unchanged.isEmpty()) {
            md.append("Unchanged: ");
            for (int i = 0; i < unchanged.size(); i++) {
                Zone z = unchanged.get(i);
                md.append(i == 0 ? "" : ", ")
                        .append('`')
                        .append(z.origin())
                        .append("` (serial ")
                        .append(z.serial())
                        .append(')');
            }
            md.append(".\n\n");
        }
    }

    private static void count(List<String> counts, int n, String what) {
        if (n > 0) {
            counts.add(n + (n == 1 ? " RRset " : " RRsets ") + what);
        }
    }

    private static void block(StringBuilder md, String title, List<RRset> sets, String prefix) {
        if (sets.isEmpty()) {
            return;
        }
        if (title != null) {
            md.append(title).append(":\n\n");
        }
        md.append("```diff\n");
        for (RRset set : sets) {
            lines(md, set, prefix);
        }
        md.append("```\n\n");
    }

    private static void lines(StringBuilder md, RRset set, String prefix) {
        List<String> texts = new ArrayList<>();
        for (Record r : set.rrs(false)) {
            texts.add(text(r));
        }
        texts.sort(null);
        for (String t : texts) {
            md.append(prefix).append(t).append('\n');
        }
    }

    /** One record in master-file form on one line; AAAA in the short form. */
    static String text(Record r) {
        String data = r instanceof AAAARecord aaaa ? NetUtil.toAddressString(aaaa.getAddress()) : r.rdataToString();
        return r.getName() + " " + r.getTTL() + " IN " + Type.string(r.getType()) + " " + data;
    }
}
