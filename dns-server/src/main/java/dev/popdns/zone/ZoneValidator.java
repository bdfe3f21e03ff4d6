package dev.popdns.zone;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.xbill.DNS.NSRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Type;

/**
 * The semantic rules a zone must pass before it is served; the same code runs at start-up, on
 * reload and in {@code popdns check}. Every problem names the line of the offending record.
 */
final class ZoneValidator {
    private final String file;
    private final Name origin;
    private final List<ZoneProblem> problems;
    /** owner -> type -> records, in file order. */
    private final Map<Name, Map<Integer, List<SourcedRecord>>> byOwner = new LinkedHashMap<>();

    ZoneValidator(String file, Name origin, List<ZoneProblem> problems) {
        this.file = file;
        this.origin = origin;
        this.problems = problems;
    }

    /** Returns the records that may be served (those inside the zone, duplicates removed). */
    List<Record> validate(List<SourcedRecord> records) {
        List<Record> kept = new ArrayList<>(records.size());
        Map<RecordKey, SourcedRecord> seen = new HashMap<>();
        for (SourcedRecord sr : records) {
            Record r = sr.record();
            if (!r.getName().subdomain(origin)) {
                problem(sr.line(), "out-of-zone", r.getName() + " is outside the zone " + origin);
                continue;
            }
            SourcedRecord first = seen.putIfAbsent(new RecordKey(r), sr);
            if (first != null) {
                problem(
                        sr.line(),
                        "duplicate",
                        "duplicate record " + r.getName() + " " + Type.string(r.getType()) + " (first at line "
                                + first.line() + ")");
                continue;
            }
            byOwner.computeIfAbsent(r.getName(), k -> new LinkedHashMap<>())
                    .computeIfAbsent(r.getType(), k -> new ArrayList<>())
                    .add(sr);
            kept.add(r);
        }
        checkApex();
        for (Map.Entry<Name, Map<Integer, List<SourcedRecord>>> e : byOwner.entrySet()) {
            checkOwner(e.getKey(), e.getValue());
        }
        checkCutsAndDnames();
        return kept;
    }

    private void checkApex() {
        Map<Integer, List<SourcedRecord>> apex = byOwner.getOrDefault(origin, Map.of());
        List<SourcedRecord> soa = apex.getOrDefault(Type.SOA, List.of());
        if (soa.isEmpty()) {
            problem(0, "soa-missing", "no SOA record at the apex " + origin);
        } else if (soa.size() > 1) {
            problem(soa.get(1).line(), "soa-multiple", "more than one SOA record at the apex");
        } else {
            SOARecord s = (SOARecord) soa.get(0).record();
            if (s.getRetry() > s.getRefresh()) {
                problem(
                        soa.get(0).line(),
                        "soa-timers",
                        "SOA retry " + s.getRetry() + " is above refresh " + s.getRefresh());
            }
            if (s.getExpire() < s.getRefresh() + s.getRetry()) {
                problem(soa.get(0).line(), "soa-timers", "SOA expire " + s.getExpire() + " is below refresh + retry");
            }
        }
        if (!apex.containsKey(Type.NS)) {
            problem(0, "ns-missing", "no NS records at the apex " + origin);
        }
    }

    private void checkOwner(Name owner, Map<Integer, List<SourcedRecord>> types) {
        for (Map.Entry<Integer, List<SourcedRecord>> t : types.entrySet()) {
            List<SourcedRecord> set = t.getValue();
            long ttl = set.get(0).record().getTTL();
            for (SourcedRecord sr : set) {
                if (sr.record().getTTL() != ttl) {
                    problem(
                            sr.line(),
                            "ttl-mismatch",
                            owner + " " + Type.string(t.getKey()) + " TTL "
                                    + sr.record().getTTL() + " differs from " + ttl + " at line "
                                    + set.get(0).line() + " (RFC 2181 §5.2: one TTL per RRset)");
                }
            }
            if (t.getKey() == Type.SOA && !owner.equals(origin)) {
                problem(set.get(0).line(), "soa-not-apex", "SOA record at " + owner + " is not at the apex " + origin);
            }
        }
        List<SourcedRecord> cname = types.get(Type.CNAME);
        if (cname != null) {
            if (cname.size() > 1) {
                problem(cname.get(1).line(), "cname-single", owner + " has more than one CNAME record");
            }
            StringBuilder others = new StringBuilder();
            for (Map.Entry<Integer, List<SourcedRecord>> t : types.entrySet()) {
                int type = t.getKey();
                if (type != Type.CNAME && type != Type.RRSIG && type != Type.NSEC) {
                    others.append(others.isEmpty() ? "" : ", ")
                            .append(Type.string(type))
                            .append(" (line ")
                            .append(t.getValue().get(0).line())
                            .append(')');
                }
            }
            if (!others.isEmpty()) {
                problem(
                        cname.get(0).line(),
                        "cname-exclusive",
                        owner + " has a CNAME and other data: " + others + " (RFC 1034 §3.6.2: a CNAME stands alone)");
            }
        }
        List<SourcedRecord> dname = types.get(Type.DNAME);
        if (dname != null && dname.size() > 1) {
            problem(dname.get(1).line(), "dname-single", owner + " has more than one DNAME record (RFC 6672 §2.4)");
        }
    }

    /** Delegations, glue, occluded data and DNAME subtrees. */
    private void checkCutsAndDnames() {
        for (Map.Entry<Name, Map<Integer, List<SourcedRecord>>> e : byOwner.entrySet()) {
            Name owner = e.getKey();
            Name cut = enclosing(owner, Type.NS, true);
            Name dname = enclosing(owner, Type.DNAME, false);
            for (Map.Entry<Integer, List<SourcedRecord>> t : e.getValue().entrySet()) {
                int type = t.getKey();
                int line = t.getValue().get(0).line();
                if (cut != null && !owner.equals(cut) && type != Type.A && type != Type.AAAA) {
                    problem(
                            line,
                            "occluded",
                            owner + " " + Type.string(type) + " lies below the delegation " + cut
                                    + " and would never be served (only glue A/AAAA belongs there)");
                }
                if (cut != null
                        && owner.equals(cut)
                        && type != Type.NS
                        && type != Type.DS
                        && type != Type.A
                        && type != Type.AAAA) {
                    problem(
                            line,
                            "occluded",
                            owner + " " + Type.string(type) + " sits at the delegation " + cut
                                    + " and would never be served (only NS, DS and glue belong there)");
                }
                if (dname != null && !owner.equals(dname)) {
                    problem(line, "dname-occluded", owner + " lies below the DNAME at " + dname + " (RFC 6672 §2.4)");
                }
                if (type == Type.NS) {
                    for (SourcedRecord sr : t.getValue()) {
                        checkGlue(((NSRecord) sr.record()).getTarget(), sr.line());
                    }
                }
            }
        }
    }

    /** RFC 9471: a name server inside this zone (authoritative or below a cut) needs an address here. */
    private void checkGlue(Name target, int line) {
        if (!target.subdomain(origin)) {
            return;
        }
        Map<Integer, List<SourcedRecord>> at = byOwner.getOrDefault(target, Map.of());
        if (!at.containsKey(Type.A) && !at.containsKey(Type.AAAA)) {
            problem(
                    line,
                    "glue-missing",
                    "name server " + target + " is inside " + origin + " but has no A or AAAA record (glue)");
        }
    }

    /** The nearest ancestor-or-self of {@code name} (not the apex, when {@code skipApex}) holding {@code type}. */
    private Name enclosing(Name name, int type, boolean skipApex) {
        int stop = origin.labels() + (skipApex ? 1 : 0);
        for (int labels = stop; labels <= name.labels(); labels++) {
            Name candidate = labels == name.labels() ? name : new Name(name, name.labels() - labels);
            Map<Integer, List<SourcedRecord>> at = byOwner.get(candidate);
            if (at != null && at.containsKey(type)) {
                return candidate;
            }
        }
        return null;
    }

    private void problem(int line, String rule, String message) {
        problems.add(new ZoneProblem(file, line, rule, message));
    }

    /** Owner, type and RDATA: what makes two records the same record (TTL aside). */
    private record RecordKey(Name name, int type, byte[] rdata) {
        RecordKey(Record r) {
            this(r.getName(), r.getType(), r.rdataToWireCanonical());
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof RecordKey k && name.equals(k.name) && type == k.type && Arrays.equals(rdata, k.rdata);
        }

        @Override
        public int hashCode() {
            return name.hashCode() * 31 + type * 17 + Arrays.hashCode(rdata);
        }
    }
}
