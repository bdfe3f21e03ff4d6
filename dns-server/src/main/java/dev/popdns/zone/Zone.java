package dev.popdns.zone;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.DNAMERecord;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.NSRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.NameTooLongException;
import org.xbill.DNS.RRset;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.Type;

/**
 * One validated zone as an immutable tree of names, answering single-step lookups with RFC 1034
 * §4.3.2 semantics (delegations, DNAME, exact match, wildcard per RFC 4592, empty non-terminals).
 * CNAME chains across names are followed by {@link ZoneLookup}.
 *
 * <p>Built once per (re)load and then only read, from any thread, without locks. dnsjava's
 * {@link Name} compares and hashes case-insensitively on A-Z only, as RFC 4343 requires.
 */
public final class Zone {
    private static final Name WILDCARD_LABEL = Name.fromConstantString("*");
    private final Name origin;
    private final Map<Name, Node> nodes;
    private final SOARecord soa;
    private final RRset negativeSoa;
    private final String file;
    private final List<Record> records;

    private Zone(Name origin, Map<Name, Node> nodes, SOARecord soa, String file, List<Record> records) {
        this.origin = origin;
        this.nodes = nodes;
        this.soa = soa;
        this.file = file;
        this.records = records;
        // RFC 2308 §3/§5: the SOA in a negative answer carries min(SOA TTL, SOA MINIMUM)
        this.negativeSoa = new RRset(new SOARecord(
                origin,
                DClass.IN,
                Math.min(soa.getTTL(), soa.getMinimum()),
                soa.getHost(),
                soa.getAdmin(),
                soa.getSerial(),
                soa.getRefresh(),
                soa.getRetry(),
                soa.getExpire(),
                soa.getMinimum()));
    }

    /** Builds the zone from records that passed {@link ZoneValidator}. */
    static Zone build(Name origin, List<Record> records, String file) {
        Map<Name, Map<Integer, RRset>> sets = new HashMap<>();
        SOARecord soa = null;
        for (Record r : records) {
            sets.computeIfAbsent(r.getName(), k -> new TreeMap<>())
                    .computeIfAbsent(r.getType(), k -> new RRset())
                    .addRR(r);
            if (r instanceof SOARecord s) {
                soa = s;
            }
        }
        Map<Name, Node> nodes = new HashMap<>();
        for (Map.Entry<Name, Map<Integer, RRset>> e : sets.entrySet()) {
            nodes.put(e.getKey(), new Node(e.getKey(), e.getValue(), e.getKey().equals(origin)));
            // empty non-terminals: every ancestor up to the apex exists (RFC 4592 §2.2.2)
            Name n = e.getKey();
            while (n.labels() > origin.labels() + 1) {
                n = new Name(n, 1);
                if (!sets.containsKey(n)) {
                    nodes.putIfAbsent(n, new Node(n, Map.of(), false));
                }
            }
        }
        return new Zone(origin, Map.copyOf(nodes), soa, file, List.copyOf(records));
    }

    /**
     * This zone with {@code extra} records added (the geo names' placeholder addresses, so that
     * the names exist for NODATA, ANY and empty non-terminals). The records must lie in the zone.
     */
    public Zone withRecords(List<Record> extra) {
        List<Record> all = new ArrayList<>(records.size() + extra.size());
        all.addAll(records);
        all.addAll(extra);
        return build(origin, all, file);
    }

    /** The SOA RRset of negative answers (TTL = min(SOA TTL, MINIMUM), RFC 2308 §5). */
    public RRset negativeSoa() {
        return negativeSoa;
    }

    public Name origin() {
        return origin;
    }

    public long serial() {
        return soa.getSerial();
    }

    public String file() {
        return file;
    }

    /** Number of RRsets, for logs and metrics. */
    public int rrsetCount() {
        int count = 0;
        for (Node node : nodes.values()) {
            count += node.sets.size();
        }
        return count;
    }

    /** The RRsets of the zone in no particular order (for diffs and tests). */
    public List<RRset> rrsets() {
        List<RRset> all = new ArrayList<>();
        for (Node node : nodes.values()) {
            all.addAll(node.sets.values());
        }
        return all;
    }

    /** The RRset at exactly {@code name} of {@code type}, or null; ignores cuts (for glue and tests). */
    public RRset find(Name name, int type) {
        Node node = nodes.get(name);
        return node == null ? null : node.sets.get(type);
    }

    /**
     * One lookup step for {@code qname}, which must be at or below the origin. A result whose
     * answer ends in a CNAME (and qtype is not CNAME) asks the caller to follow it.
     */
    LookupResult lookup(Name qname, int qtype) {
        int nameLabels = qname.labels();
        Node encloser = null;
        for (int labels = origin.labels(); labels <= nameLabels; labels++) {
            Name ancestor = labels == nameLabels ? qname : new Name(qname, nameLabels - labels);
            Node node = nodes.get(ancestor);
            if (node == null) {
                break;
            }
            encloser = node;
            boolean exact = labels == nameLabels;
            if (node.cut != null && !(exact && qtype == Type.DS)) {
                return referral(node.cut);
            }
            if (node.dname != null && !exact) {
                return dnameSubstitution(qname, node.dname);
            }
        }
        if (encloser == null) {
            return new LookupResult.NxDomain(List.of(), negativeSoa);
        }
        if (encloser.name.labels() == nameLabels) {
            return atNode(encloser, qname, qtype, false);
        }
        // RFC 4592 §3.3.1: the closest encloser's wildcard child synthesizes the answer
        Node wildcard = encloser.wildcard(nodes);
        if (wildcard != null) {
            return atNode(wildcard, qname, qtype, true);
        }
        return new LookupResult.NxDomain(List.of(), negativeSoa);
    }

    private LookupResult atNode(Node node, Name qname, int qtype, boolean synthesize) {
        if (qtype == Type.ANY) {
            // RFC 8482 §4.1: answer with one RRset of the name rather than all of them
            if (node.sets.isEmpty()) {
                return new LookupResult.NoData(List.of(), negativeSoa);
            }
            RRset first = node.sets.values().iterator().next();
            return new LookupResult.Answer(List.of(owned(first, qname, synthesize)), List.of());
        }
        RRset set = node.sets.get(qtype);
        if (set != null) {
            RRset answer = owned(set, qname, synthesize);
            return new LookupResult.Answer(List.of(answer), additionalFor(answer));
        }
        RRset cname = node.sets.get(Type.CNAME);
        if (cname != null) {
            return new LookupResult.Answer(List.of(owned(cname, qname, synthesize)), List.of());
        }
        return new LookupResult.NoData(List.of(), negativeSoa);
    }

    private LookupResult dnameSubstitution(Name qname, RRset dnameSet) {
        DNAMERecord dname = (DNAMERecord) dnameSet.first();
        try {
            Name target = qname.fromDNAME(dname);
            // RFC 6672 §3.1: the synthesized CNAME takes the DNAME's TTL
            RRset cname = new RRset(new CNAMERecord(qname, DClass.IN, dname.getTTL(), target));
            return new LookupResult.Answer(List.of(dnameSet, cname), List.of());
        } catch (NameTooLongException e) {
            return new LookupResult.YxDomain(List.of(dnameSet));
        }
    }

    private LookupResult referral(RRset ns) {
        List<RRset> required = new ArrayList<>(4);
        List<RRset> optional = new ArrayList<>(4);
        for (Record r : ns.rrs(false)) {
            Name target = ((NSRecord) r).getTarget();
            if (!target.subdomain(origin)) {
                continue;
            }
            List<RRset> into = target.subdomain(ns.getName()) ? required : optional;
            addAddresses(target, into);
        }
        return new LookupResult.Referral(List.of(), ns, required, optional);
    }

    /** In-zone addresses of the targets of NS, MX and SRV answers (RFC 1035 §3.3.9, RFC 2782). */
    private List<RRset> additionalFor(RRset answer) {
        int type = answer.getType();
        if (type != Type.NS && type != Type.MX && type != Type.SRV) {
            return List.of();
        }
        List<RRset> extra = new ArrayList<>(4);
        for (Record r : answer.rrs(false)) {
            Name target = switch (r) {
                case NSRecord ns -> ns.getTarget();
                case MXRecord mx -> mx.getTarget();
                case SRVRecord srv -> srv.getTarget();
                default -> null;
            };
            if (target != null && target.subdomain(origin)) {
                addAddresses(target, extra);
            }
        }
        return extra;
    }

    private void addAddresses(Name target, List<RRset> into) {
        Node node = nodes.get(target);
        if (node == null) {
            return;
        }
        RRset a = node.sets.get(Type.A);
        RRset aaaa = node.sets.get(Type.AAAA);
        if (a != null && !into.contains(a)) {
            into.add(a);
        }
        if (aaaa != null && !into.contains(aaaa)) {
            into.add(aaaa);
        }
    }

    /** An RRset as answered for {@code qname}: the wildcard's records re-owned when synthesizing. */
    private static RRset owned(RRset set, Name qname, boolean synthesize) {
        if (!synthesize) {
            return set;
        }
        RRset copy = new RRset();
        for (Record r : set.rrs(false)) {
            copy.addRR(r.withName(qname));
        }
        return copy;
    }

    /** One owner name: its RRsets by type, and what a lookup must notice first there. */
    private static final class Node {
        final Name name;
        final Map<Integer, RRset> sets;
        final RRset cut;
        final RRset dname;
        /** {@code *.name}, computed once so that NXDOMAIN paths allocate no name. */
        final Name wildcardName;

        Node(Name name, Map<Integer, RRset> sets, boolean apex) {
            this.name = name;
            this.sets = Collections.unmodifiableMap(sets);
            this.cut = apex ? null : sets.get(Type.NS);
            this.dname = sets.get(Type.DNAME);
            Name wild;
            try {
                wild = Name.concatenate(WILDCARD_LABEL, name);
            } catch (NameTooLongException e) {
                wild = null;
            }
            this.wildcardName = wild;
        }

        Node wildcard(Map<Name, Node> nodes) {
            return wildcardName == null ? null : nodes.get(wildcardName);
        }
    }
}
