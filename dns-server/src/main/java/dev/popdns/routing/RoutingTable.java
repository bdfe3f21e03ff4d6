package dev.popdns.routing;

import dev.popdns.config.ConfigException;
import dev.popdns.config.PopsConfig;
import dev.popdns.zone.Zone;
import dev.popdns.zone.ZoneSet;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Name;
import org.xbill.DNS.RRset;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * The PoPs and geo-managed names compiled for the query path: PoP ids become indexes (sorted by
 * id, so index order is the tie-break order) and each (name, PoP) pair gets its A and AAAA RRsets
 * built once. Immutable; built beside the served one on every reload.
 *
 * <p><b>Placeholders.</b> {@link #compile} also returns the zones to serve, with each geo name's
 * A/AAAA records added at the HQ's addresses. That way the zone lookup, which knows nothing of
 * routing, treats a geo name as the existing name it is: other types there are NODATA with the
 * SOA, names below it are empty non-terminals, wildcards do not match it, CNAME chains that end
 * at it are answered in full, and ANY returns an RRset, exactly as for a static name (the
 * KnotParityTest rules). The query path then runs the lookup as for any name and
 * {@code Answerer.routed} replaces the geo name's A or AAAA RRset at the end of the answer by the
 * chosen PoP's (turning it into NODATA when the decision is {@link Decision#NO_DATA}, or adding it
 * to a NODATA when the HQ lacks that family). The placeholders are the HQ's so that anything that
 * ever reads them without routing fails open to the origin, as routing itself does when no PoP is
 * eligible.
 */
public final class RoutingTable {
    private final Pop[] pops;
    private final int hq;
    private final GeoName[] names;
    private final Map<Name, GeoName> byName;
    /** Query names routed like a geo name: the geo names themselves, then in-zone CNAMEs to them. */
    private final byte[][] routedWire;

    private final GeoName[] routedName;
    /** The order for clients without coordinates: HQ first, then by id. */
    private final int[] unlocatedOrder;

    private RoutingTable(Pop[] pops, int hq, GeoName[] names, Map<Name, GeoName> aliases) {
        this.pops = pops;
        this.hq = hq;
        this.names = names;
        this.routedWire = new byte[names.length + aliases.size()][];
        this.routedName = new GeoName[routedWire.length];
        int i = 0;
        for (GeoName n : names) {
            routedWire[i] = n.lowerWire();
            routedName[i++] = n;
        }
        for (Map.Entry<Name, GeoName> alias : aliases.entrySet()) {
            routedWire[i] = alias.getKey().toWireCanonical();
            routedName[i++] = alias.getValue();
        }
        Map<Name, GeoName> map = new HashMap<>();
        for (GeoName n : names) {
            map.put(n.name(), n);
        }
        this.byName = Map.copyOf(map);
        this.unlocatedOrder = new int[pops.length];
        int next = 0;
        if (hq >= 0) {
            unlocatedOrder[next++] = hq;
        }
        for (int p = 0; p < pops.length; p++) {
            if (p != hq) {
                unlocatedOrder[next++] = p;
            }
        }
    }

    public static RoutingTable empty() {
        return new RoutingTable(new Pop[0], -1, new GeoName[0], Map.of());
    }

    /** A routing table and the zones it is served with (geo names added as placeholders). */
    public record Compiled(RoutingTable table, ZoneSet zones) {}

    /**
     * Compiles the config against the zones it will be served with, in four named steps:
     * {@link #indexPops}, {@link #compileNames}, {@link #withPlaceholders} and {@link #bind}.
     *
     * @throws ConfigException when a geo name lies outside every served zone, or clashes with
     *                         static A, AAAA or CNAME records (all problems, one per line)
     */
    public static Compiled compile(PopsConfig config, ZoneSet zones, String file) throws ConfigException {
        if (config.pops().isEmpty()) {
            return new Compiled(empty(), zones);
        }
        PopIndex pops = indexPops(config);
        List<GeoName> names = compileNames(config, zones, file, pops);
        ZoneSet served = withPlaceholders(zones, names, pops.hq());
        List<GeoName> bound = bind(names, served);
        Map<Name, GeoName> byName = new HashMap<>();
        for (GeoName n : bound) {
            byName.put(n.name(), n);
        }
        return new Compiled(
                new RoutingTable(pops.pops(), pops.hq(), bound.toArray(new GeoName[0]), aliases(served, byName)),
                served);
    }

    /** The PoPs by index (sorted by id: index order is the tie-break order), the index of each id, the HQ's. */
    private record PopIndex(Pop[] pops, Map<String, Integer> index, int hq) {}

    /** Step 1: PoP ids become indexes, sorted by id. */
    private static PopIndex indexPops(PopsConfig config) {
        List<PopsConfig.Pop> sorted = new ArrayList<>(config.pops());
        sorted.sort(Comparator.comparing(PopsConfig.Pop::id));
        Pop[] pops = new Pop[sorted.size()];
        Map<String, Integer> index = new HashMap<>();
        int hq = -1;
        for (int i = 0; i < pops.length; i++) {
            PopsConfig.Pop p = sorted.get(i);
            pops[i] = new Pop(
                    i, p.id(), p.hq(), p.latitude(), p.longitude(), p.bias(), p.state() == PopsConfig.AdminState.DRAIN);
            index.put(p.id(), i);
            if (p.hq()) {
                hq = i;
            }
        }
        return new PopIndex(pops, index, hq);
    }

    /**
     * Step 2: every geo name placed in its zone (and checked against the zone's static records),
     * with its A and AAAA RRsets per PoP built once.
     */
    private static List<GeoName> compileNames(PopsConfig config, ZoneSet zones, String file, PopIndex pops)
            throws ConfigException {
        List<String> problems = new ArrayList<>();
        List<GeoName> names = new ArrayList<>();
        for (PopsConfig.GeoName g : config.names().values()) {
            Name name;
            try {
                name = Name.fromString(g.name());
            } catch (TextParseException e) {
                problems.add(file + ":" + g.line() + ": names." + g.name() + ": not a domain name: " + e.getMessage());
                continue;
            }
            Zone zone = placement(g, name, zones, file, problems);
            if (zone == null) {
                continue;
            }
            RRset[] a = new RRset[pops.pops().length];
            RRset[] aaaa = new RRset[pops.pops().length];
            for (PopsConfig.Pop p : config.pops()) {
                int i = pops.index().get(p.id());
                // the PoP's own addresses for this name if it has some, of the families the name answers
                for (InetAddress address : p.addressesFor(g.name())) {
                    if (address instanceof Inet4Address) {
                        if (g.answers("A")) {
                            a[i] = add(a[i], new ARecord(name, DClass.IN, g.ttl(), address));
                        }
                    } else if (g.answers("AAAA")) {
                        aaaa[i] = add(aaaa[i], new AAAARecord(name, DClass.IN, g.ttl(), address));
                    }
                }
            }
            if (Arrays.stream(a).allMatch(x -> x == null) && Arrays.stream(aaaa).allMatch(x -> x == null)) {
                problems.add(file + ":" + g.line() + ": names." + g.name() + ": no PoP has an address of "
                        + g.families() + " for it (expected: at least one)");
                continue;
            }
            names.add(new GeoName(
                    name,
                    g.ttl(),
                    List.copyOf(g.needs()),
                    codes(g.countries(), pops.index()),
                    codes(g.continents(), pops.index()),
                    a,
                    aaaa,
                    zone,
                    name.toWireCanonical(),
                    names.size()));
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(String.join("\n", problems));
        }
        return names;
    }

    /** The served zone holding {@code name}, or null with the problem noted (outside every zone, or static A/AAAA/CNAME there). */
    private static Zone placement(PopsConfig.GeoName g, Name name, ZoneSet zones, String file, List<String> problems) {
        Zone zone = zones.find(name);
        if (zone == null) {
            problems.add(file + ":" + g.line() + ": names." + g.name()
                    + ": in no served zone (expected: a name inside one of " + origins(zones) + ")");
            return null;
        }
        for (int type : new int[] {Type.A, Type.AAAA, Type.CNAME}) {
            if (zone.find(name, type) != null) {
                problems.add(file + ":" + g.line() + ": names." + g.name() + ": " + zone.file()
                        + " also has a static " + Type.string(type)
                        + " record for it (expected: geo names get their A/AAAA from the PoPs only)");
            }
        }
        // a clash is reported, but the zone is still the name's: every problem of the file shows at once
        return zone;
    }

    /**
     * Step 3: the zones with every geo name's HQ records added as placeholders (see the class
     * comment for why).
     */
    private static ZoneSet withPlaceholders(ZoneSet zones, List<GeoName> names, int hq) {
        Map<Name, List<org.xbill.DNS.Record>> placeholders = new HashMap<>();
        for (GeoName n : names) {
            List<org.xbill.DNS.Record> list =
                    placeholders.computeIfAbsent(n.zone().origin(), k -> new ArrayList<>());
            int holder = placeholderPop(n, hq);
            for (RRset set : new RRset[] {n.a()[holder], n.aaaa()[holder]}) {
                if (set != null) {
                    list.addAll(set.rrs(false));
                }
            }
        }
        ZoneSet served = zones;
        for (Map.Entry<Name, List<org.xbill.DNS.Record>> e : placeholders.entrySet()) {
            served = served.replace(zones.get(e.getKey()).withRecords(e.getValue()));
        }
        return served;
    }

    /**
     * The PoP whose records stand in the zone for {@code n}: the HQ, unless the HQ has none for it
     * (a name answering only a family the HQ lacks), then the first PoP that has some.
     */
    private static int placeholderPop(GeoName n, int hq) {
        if (n.a()[hq] != null || n.aaaa()[hq] != null) {
            return hq;
        }
        for (int p = 0; p < n.a().length; p++) {
            if (n.a()[p] != null || n.aaaa()[p] != null) {
                return p;
            }
        }
        return hq;
    }

    /** Step 4: each geo name pointed at the zone that is served (the one with its placeholders), for NODATA's SOA. */
    private static List<GeoName> bind(List<GeoName> names, ZoneSet served) {
        List<GeoName> bound = new ArrayList<>();
        for (GeoName n : names) {
            bound.add(new GeoName(
                    n.name(),
                    n.ttl(),
                    n.needs(),
                    n.countries(),
                    n.continents(),
                    n.a(),
                    n.aaaa(),
                    served.get(n.zone().origin()),
                    n.lowerWire(),
                    n.index()));
        }
        return bound;
    }

    /** Static CNAMEs whose in-zone chain ends at a geo name (www -> hachyderm.io.): routed like it. */
    private static Map<Name, GeoName> aliases(ZoneSet zones, Map<Name, GeoName> geo) {
        Map<Name, GeoName> aliases = new HashMap<>();
        for (Zone zone : zones.zones()) {
            for (RRset set : zone.rrsets()) {
                if (set.getType() != Type.CNAME) {
                    continue;
                }
                Name target = ((org.xbill.DNS.CNAMERecord) set.first()).getTarget();
                for (int hop = 0; hop < 12 && target.subdomain(zone.origin()); hop++) {
                    GeoName hit = geo.get(target);
                    if (hit != null) {
                        aliases.put(set.getName(), hit);
                        break;
                    }
                    RRset next = zone.find(target, Type.CNAME);
                    if (next == null) {
                        break;
                    }
                    target = ((org.xbill.DNS.CNAMERecord) next.first()).getTarget();
                }
            }
        }
        return aliases;
    }

    private static RRset add(RRset set, org.xbill.DNS.Record r) {
        RRset s = set == null ? new RRset() : set;
        s.addRR(r);
        return s;
    }

    private static Map<String, Integer> codes(Map<String, String> byCode, Map<String, Integer> index) {
        Map<String, Integer> out = new HashMap<>();
        for (Map.Entry<String, String> e : byCode.entrySet()) {
            out.put(e.getKey(), index.get(e.getValue()));
        }
        return Map.copyOf(out);
    }

    private static String origins(ZoneSet zones) {
        List<String> list = new ArrayList<>();
        for (Zone z : zones.zones()) {
            list.add(z.origin().toString());
        }
        return list.toString();
    }

    /** PoPs by index (sorted by id). */
    public List<Pop> pops() {
        return Arrays.asList(pops);
    }

    Pop pop(int index) {
        return pops[index];
    }

    int popCount() {
        return pops.length;
    }

    /** HQ first, then by id; shared, not to be modified. */
    int[] unlocatedOrder() {
        return unlocatedOrder;
    }

    /** Index of the HQ PoP, or -1 when there are no PoPs. */
    public int hq() {
        return hq;
    }

    public boolean hasGeoNames() {
        return names.length > 0;
    }

    public List<GeoName> names() {
        return Arrays.asList(names);
    }

    /** The geo name for {@code name}, or null. */
    public GeoName find(Name name) {
        return byName.get(name);
    }

    /**
     * The geo name that routes a query for the name whose lower-case wire form is the first
     * {@code length} bytes of {@code lowerWire} (the name itself or a CNAME to it), or null. A
     * linear scan: operators declare a handful of names, and this runs for every query without
     * allocating.
     */
    public GeoName routed(byte[] lowerWire, int length) {
        for (int i = 0; i < routedWire.length; i++) {
            byte[] w = routedWire[i];
            if (w.length == length && Arrays.equals(w, 0, length, lowerWire, 0, length)) {
                return routedName[i];
            }
        }
        return null;
    }
}
