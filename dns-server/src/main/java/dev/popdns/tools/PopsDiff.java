package dev.popdns.tools;

import dev.popdns.config.CheckFields;
import dev.popdns.config.PopsConfig;
import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What changed in {@code pops.yaml}: PoPs, checks and geo names added, removed, or changed field
 * by field, as one Markdown bullet each. Line numbers are ignored: moving a block is no change.
 */
public final class PopsDiff {
    private final List<String> pops = new ArrayList<>();
    private final List<String> checks = new ArrayList<>();
    private final List<String> names = new ArrayList<>();

    private PopsDiff() {}

    public static PopsDiff between(PopsConfig before, PopsConfig after) {
        PopsDiff diff = new PopsDiff();
        diff.comparePops(byId(before), byId(after));
        diff.compareChecks(before.checks(), after.checks());
        diff.compareNames(before.names(), after.names());
        return diff;
    }

    /** Whether anything that steers clients changed: PoPs or geo names (checks alone do not, without probes). */
    public boolean routingChanged() {
        return !pops.isEmpty() || !names.isEmpty();
    }

    public boolean isEmpty() {
        return pops.isEmpty() && checks.isEmpty() && names.isEmpty();
    }

    /** Appends the bullets, PoPs first, then checks, then names. */
    public void appendMarkdown(StringBuilder md) {
        for (List<String> part : List.of(pops, checks, names)) {
            for (String line : part) {
                md.append("- ").append(line).append('\n');
            }
        }
        md.append('\n');
    }

    private static Map<String, PopsConfig.Pop> byId(PopsConfig config) {
        Map<String, PopsConfig.Pop> map = new LinkedHashMap<>();
        for (PopsConfig.Pop p : config.pops()) {
            map.put(p.id(), p);
        }
        return map;
    }

    private void comparePops(Map<String, PopsConfig.Pop> before, Map<String, PopsConfig.Pop> after) {
        for (PopsConfig.Pop p : after.values()) {
            PopsConfig.Pop old = before.get(p.id());
            Map<String, String> now = fields(p);
            if (old == null) {
                pops.add("PoP `" + p.id() + "` added: " + join(now));
                continue;
            }
            String changes = changes(fields(old), now);
            if (!changes.isEmpty()) {
                pops.add("PoP `" + p.id() + "`: " + changes);
            }
        }
        for (PopsConfig.Pop p : before.values()) {
            if (!after.containsKey(p.id())) {
                pops.add("PoP `" + p.id() + "` removed (it had " + join(fields(p)) + ")");
            }
        }
    }

    private void compareChecks(Map<String, PopsConfig.Check> before, Map<String, PopsConfig.Check> after) {
        for (PopsConfig.Check c : after.values()) {
            PopsConfig.Check old = before.get(c.name());
            if (old == null) {
                checks.add("check `" + c.name() + "` added: " + join(values(c.fields())));
                continue;
            }
            String changes = changes(values(old.fields()), values(c.fields()));
            if (!changes.isEmpty()) {
                checks.add("check `" + c.name() + "`: " + changes);
            }
        }
        for (PopsConfig.Check c : before.values()) {
            if (!after.containsKey(c.name())) {
                checks.add("check `" + c.name() + "` removed");
            }
        }
    }

    private void compareNames(Map<String, PopsConfig.GeoName> before, Map<String, PopsConfig.GeoName> after) {
        for (PopsConfig.GeoName n : after.values()) {
            PopsConfig.GeoName old = before.get(n.name());
            if (old == null) {
                names.add("name `" + n.name() + "` added: " + join(fields(n)));
                continue;
            }
            List<String> parts = new ArrayList<>();
            if (old.ttl() != n.ttl()) {
                parts.add("ttl " + old.ttl() + " -> " + n.ttl());
            }
            if (!old.needs().equals(n.needs())) {
                parts.add("needs " + old.needs() + " -> " + n.needs());
            }
            mapChanges("countries", old.countries(), n.countries(), parts);
            mapChanges("continents", old.continents(), n.continents(), parts);
            if (!old.families().equals(n.families())) {
                parts.add("families " + old.families() + " -> " + n.families()
                        + (n.families().size() < old.families().size() ? ": the other family is NODATA" : ""));
            }
            if (!parts.isEmpty()) {
                names.add("name `" + n.name() + "`: " + String.join("; ", parts));
            }
        }
        for (PopsConfig.GeoName n : before.values()) {
            if (!after.containsKey(n.name())) {
                names.add("name `" + n.name()
                        + "` removed: its A/AAAA queries get the zone's answer (or NXDOMAIN/NODATA)");
            }
        }
    }

    /** {@code countries +DE: eu-west, -CN: hq, FR: hq -> eu-west}. */
    private static void mapChanges(String field, Map<String, String> old, Map<String, String> now, List<String> parts) {
        List<String> items = new ArrayList<>();
        TreeSet<String> keys = new TreeSet<>(old.keySet());
        keys.addAll(now.keySet());
        for (String k : keys) {
            String a = old.get(k);
            String b = now.get(k);
            if (a == null) {
                items.add("+" + k + ": " + b);
            } else if (b == null) {
                items.add("-" + k + ": " + a);
            } else if (!a.equals(b)) {
                items.add(k + ": " + a + " -> " + b);
            }
        }
        if (!items.isEmpty()) {
            parts.add(field + " " + String.join(", ", items));
        }
    }

    private static Map<String, String> fields(PopsConfig.Pop p) {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("hq", Boolean.toString(p.hq()));
        f.put("location", "[" + number(p.latitude()) + ", " + number(p.longitude()) + "]");
        List<String> addresses = new ArrayList<>();
        for (InetAddress a : p.addresses()) {
            addresses.add(NetUtil.toAddressString(a));
        }
        f.put("addresses", addresses.toString());
        f.put("state", p.state().name().toLowerCase(Locale.ROOT));
        f.put("bias", Integer.toString(p.bias()));
        f.put("probe-address", p.probeAddress() == null ? null : NetUtil.toAddressString(p.probeAddress()));
        for (Map.Entry<String, CheckFields> o : new TreeMap<>(p.checkOverrides()).entrySet()) {
            for (Map.Entry<String, String> v : values(o.getValue()).entrySet()) {
                f.put("checks." + o.getKey() + "." + v.getKey(), v.getValue());
            }
        }
        for (Map.Entry<String, List<InetAddress>> own : new TreeMap<>(p.nameAddresses()).entrySet()) {
            List<String> list = new ArrayList<>();
            for (InetAddress a : own.getValue()) {
                list.add(NetUtil.toAddressString(a));
            }
            f.put("names." + own.getKey() + "addresses", list.toString());
        }
        return f;
    }

    private static Map<String, String> fields(PopsConfig.GeoName n) {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("ttl", Long.toString(n.ttl()));
        f.put("needs", n.needs().toString());
        f.put("countries", codes(n.countries()));
        f.put("continents", codes(n.continents()));
        // both families is the default: shown only when a name answers one
        f.put(
                "families",
                n.families().equals(PopsConfig.GeoName.BOTH)
                        ? null
                        : n.families().toString());
        return f;
    }

    /** {@code {CN: hq, DE: eu-west}}, or null when empty. */
    private static String codes(Map<String, String> byCode) {
        if (byCode.isEmpty()) {
            return null;
        }
        List<String> items = new ArrayList<>();
        for (Map.Entry<String, String> e : new TreeMap<>(byCode).entrySet()) {
            items.add(e.getKey() + ": " + e.getValue());
        }
        return "{" + String.join(", ", items) + "}";
    }

    /** A check's fields as text: the probe type first, then the rest by key. */
    private static Map<String, String> values(CheckFields fields) {
        Map<String, String> out = new LinkedHashMap<>();
        String type = fields.kind().key();
        if (fields.sets(type)) {
            out.put(type, fields.values().get(type).text());
        }
        for (Map.Entry<String, CheckFields.Value> e : new TreeMap<>(fields.values()).entrySet()) {
            out.putIfAbsent(e.getKey(), e.getValue().text());
        }
        return out;
    }

    /** {@code state active -> drain; bias 0 -> 20}; a field only on one side shows {@code (none)}. */
    private static String changes(Map<String, String> old, Map<String, String> now) {
        List<String> parts = new ArrayList<>();
        java.util.LinkedHashSet<String> keys = new java.util.LinkedHashSet<>(old.keySet());
        keys.addAll(now.keySet());
        for (String k : keys) {
            String a = old.get(k);
            String b = now.get(k);
            if (!Objects.equals(a, b)) {
                parts.add(k + " " + (a == null ? "(none)" : a) + " -> " + (b == null ? "(none)" : b));
            }
        }
        return String.join("; ", parts);
    }

    /** {@code location [50.11, 8.68], addresses [...]}, leaving out defaults and empty fields. */
    private static String join(Map<String, String> fields) {
        List<String> parts = new ArrayList<>();
        for (Map.Entry<String, String> e : fields.entrySet()) {
            String v = e.getValue();
            boolean isDefault = v == null
                    || (e.getKey().equals("hq") && v.equals("false"))
                    || (e.getKey().equals("state") && v.equals("active"))
                    || (e.getKey().equals("bias") && v.equals("0"))
                    || (e.getKey().equals("needs") && v.equals("[]"));
            if (!isDefault) {
                parts.add(e.getKey().equals("hq") ? "hq" : e.getKey() + " " + v);
            }
        }
        return String.join(", ", parts);
    }

    static String number(double d) {
        return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
    }
}
