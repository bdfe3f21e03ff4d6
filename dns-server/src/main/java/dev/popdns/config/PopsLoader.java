package dev.popdns.config;

import dev.popdns.config.YamlTree.ListNode;
import dev.popdns.config.YamlTree.MapNode;
import dev.popdns.config.YamlTree.Node;
import dev.popdns.config.YamlTree.Scalar;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Reads and validates {@code pops.yaml}. Every problem is collected (not only the first) and
 * names {@code file:line}, the key and the expectation, e.g.
 * {@code zones/pops.yaml:7: pops.eu-west.location: latitude 91.0 (expected: -90..90)}.
 * Checks against the zones (names inside a served zone, no clash with static records) are made
 * by {@code GeoNames}, which sees both.
 */
public final class PopsLoader {
    public static final String FILE = "pops.yaml";
    /** Every key of a check or a PoP's override of one. */
    static final Set<String> CHECK_KEYS = Set.copyOf(CheckKind.FIELDS);

    private static final String ADDRESS = dev.popdns.health.ProbeSpec.ADDRESS;
    static final Set<String> CONTINENTS = Set.of("AF", "AN", "AS", "EU", "NA", "OC", "SA");
    private static final Set<String> COUNTRIES = Set.copyOf(List.of(Locale.getISOCountries()));
    private static final long MAX_TTL = 86400;

    private final String file;
    private final List<String> problems = new ArrayList<>();
    private final Map<String, Integer> lines = new LinkedHashMap<>();

    private PopsLoader(String file) {
        this.file = file;
    }

    /** Loads {@code dir/pops.yaml}, or returns {@link PopsConfig#none()} when there is none. */
    public static PopsConfig load(Path dir) throws ConfigException {
        Path path = dir.resolve(FILE);
        if (!Files.exists(path)) {
            return PopsConfig.none();
        }
        PopsLoader loader = new PopsLoader(path.toString());
        PopsConfig config = loader.bind(YamlTree.read(path));
        if (!loader.problems.isEmpty()) {
            throw new ConfigException(String.join("\n", loader.problems));
        }
        return config;
    }

    private PopsConfig bind(Node root) {
        MapNode top = map(root, "(top level)");
        if (top == null) {
            return PopsConfig.none();
        }
        index(top, "");
        keys(top, "", Set.of("pops", "checks", "names"));
        Map<String, PopsConfig.Check> checks = new LinkedHashMap<>();
        MapNode checkNodes = map(top.entries().get("checks"), "checks");
        if (checkNodes != null) {
            for (Map.Entry<String, Node> e : checkNodes.entries().entrySet()) {
                PopsConfig.Check check =
                        check(e.getKey(), e.getValue(), checkNodes.keyLines().get(e.getKey()));
                if (check != null) {
                    checks.put(e.getKey(), check);
                }
            }
        }
        List<PopsConfig.Pop> pops = new ArrayList<>();
        MapNode popNodes = map(top.entries().get("pops"), "pops");
        if (popNodes == null || popNodes.entries().isEmpty()) {
            problem(
                    top.keyLines().getOrDefault("pops", top.line()),
                    "pops: missing (expected: at least one PoP, one of them with hq: true)");
        } else {
            for (Map.Entry<String, Node> e : popNodes.entries().entrySet()) {
                PopsConfig.Pop pop =
                        pop(e.getKey(), e.getValue(), popNodes.keyLines().get(e.getKey()), checks);
                if (pop != null) {
                    pops.add(pop);
                }
            }
            hq(pops, top.keyLines().get("pops"));
            int count = 0;
            for (String id : popNodes.entries().keySet()) {
                if (++count == PopsConfig.MAX_POPS + 1) {
                    problem(
                            popNodes.keyLines().get(id),
                            "pops." + id + ": PoP number " + count + " of "
                                    + popNodes.entries().size() + " (expected: at most " + PopsConfig.MAX_POPS
                                    + " PoPs)");
                }
            }
        }
        Map<String, PopsConfig.GeoName> names = new LinkedHashMap<>();
        MapNode nameNodes = map(top.entries().get("names"), "names");
        if (nameNodes != null) {
            Set<String> popIds = new java.util.HashSet<>();
            for (PopsConfig.Pop p : pops) {
                popIds.add(p.id());
            }
            for (Map.Entry<String, Node> e : nameNodes.entries().entrySet()) {
                PopsConfig.GeoName name =
                        geoName(e.getKey(), e.getValue(), nameNodes.keyLines().get(e.getKey()), checks, popIds);
                if (name != null && names.putIfAbsent(name.name(), name) != null) {
                    problem(name.line(), "names." + e.getKey() + ": the same name twice");
                }
            }
        }
        ownAddresses(pops, names);
        return new PopsConfig(pops, checks, names, lines);
    }

    /** {@code pops.ID.names}: declared geo names only, with addresses of the families the name answers. */
    private void ownAddresses(List<PopsConfig.Pop> pops, Map<String, PopsConfig.GeoName> names) {
        for (PopsConfig.Pop p : pops) {
            for (Map.Entry<String, List<InetAddress>> e : p.nameAddresses().entrySet()) {
                String key = "pops." + p.id() + ".names." + e.getKey();
                int line = lines.getOrDefault(key, p.line());
                PopsConfig.GeoName name = names.get(e.getKey());
                if (name == null) {
                    problem(line, key + ": no geo name '" + e.getKey() + "' (expected one of " + names.keySet() + ")");
                    continue;
                }
                for (InetAddress a : e.getValue()) {
                    String family = a instanceof java.net.Inet4Address ? "A" : "AAAA";
                    if (!name.answers(family)) {
                        problem(
                                line,
                                key + ".addresses: " + io.netty.util.NetUtil.toAddressString(a) + " is an " + family
                                        + " address, but names." + e.getKey() + ".families is " + name.families());
                    }
                }
            }
        }
    }

    /** Remembers the line of every key under {@code prefix}, for {@link PopsConfig#lines}. */
    private void index(MapNode m, String prefix) {
        for (Map.Entry<String, Node> e : m.entries().entrySet()) {
            String key = prefix + e.getKey();
            lines.put(key, m.keyLines().get(e.getKey()));
            if (e.getValue() instanceof MapNode nested) {
                index(nested, key + ".");
            }
        }
    }

    /** Exactly one HQ: a second (third...) {@code hq: true} is named at its own line. */
    private void hq(List<PopsConfig.Pop> pops, int popsLine) {
        List<PopsConfig.Pop> hqs = new ArrayList<>();
        for (PopsConfig.Pop p : pops) {
            if (p.hq()) {
                hqs.add(p);
            }
        }
        if (hqs.isEmpty()) {
            problem(popsLine, "pops: 0 PoPs have hq: true (expected: exactly one)");
        }
        for (int i = 1; i < hqs.size(); i++) {
            String key = "pops." + hqs.get(i).id() + ".hq";
            problem(
                    lines.get(key),
                    key + ": true, but pops." + hqs.get(0).id() + " is the HQ already (expected: exactly one PoP with"
                            + " hq: true)");
        }
    }

    private PopsConfig.Check check(String name, Node node, int keyLine) {
        String key = "checks." + name;
        MapNode m = map(node, key);
        if (m == null) {
            return null;
        }
        keys(m, key + ".", CHECK_KEYS);
        String type = null;
        boolean both = false;
        for (String t : CheckKind.keys()) {
            if (m.entries().containsKey(t)) {
                if (type != null) {
                    both = true;
                    problem(
                            m.keyLines().get(t),
                            key + ": both " + type + " and " + t + " (expected: exactly one of "
                                    + String.join(", ", CheckKind.keys()) + ")");
                }
                type = t;
            }
        }
        if (type == null) {
            problem(keyLine, key + ": no probe (expected: one of " + String.join(", ", CheckKind.keys()) + ")");
            return null;
        }
        // a shared check serves every PoP, so it must say where each PoP's address goes; a PoP's
        // own override (pops.ID.checks) may name a literal URL instead
        if (m.entries().get(type) instanceof Scalar s
                && s.text() != null
                && !s.text().contains(ADDRESS)) {
            problem(
                    s.line(),
                    key + "." + type + ": '" + s.text() + "' (expected: a template containing " + ADDRESS
                            + ", shared by every PoP; a literal URL belongs in pops.ID.checks." + name + ")");
        }
        CheckKind kind = CheckKind.of(type);
        if (!both) {
            ofKind(m, key, kind);
        }
        return new PopsConfig.Check(name, kind.read(new FieldReader(m, key, this::problem)), keyLine);
    }

    /** The fields of other kinds than the check's (known keys, but not of this check). */
    private void ofKind(MapNode m, String key, CheckKind kind) {
        for (String k : m.entries().keySet()) {
            if (CHECK_KEYS.contains(k) && !kind.fields().contains(k)) {
                problem(
                        m.keyLines().get(k),
                        key + "." + k + ": not a field of " + kind.key() + " checks (expected one of "
                                + new java.util.TreeSet<>(kind.fields()) + ")");
            }
        }
    }

    private PopsConfig.Pop pop(String id, Node node, int keyLine, Map<String, PopsConfig.Check> checks) {
        String key = "pops." + id;
        if (!id.matches("[a-z0-9][a-z0-9-]{0,62}")) {
            problem(keyLine, key + ": id '" + id + "' (expected: lower-case letters, digits and '-', up to 63)");
        }
        MapNode m = map(node, key);
        if (m == null) {
            return null;
        }
        keys(m, key + ".", Set.of("hq", "location", "addresses", "state", "bias", "probe-address", "checks", "names"));
        boolean hq = bool(m, "hq", key, false);
        double lat = Double.NaN;
        double lon = Double.NaN;
        Node loc = m.entries().get("location");
        if (loc instanceof ListNode l
                && l.items().size() == 2
                && l.items().get(0) instanceof Scalar a
                && l.items().get(1) instanceof Scalar b) {
            lat = number(a, key + ".location", "latitude", -90, 90);
            lon = number(b, key + ".location", "longitude", -180, 180);
        } else {
            problem(
                    loc == null ? keyLine : loc.line(),
                    key + ".location: " + (loc == null ? "missing" : "malformed")
                            + " (expected: [latitude, longitude])");
        }
        List<InetAddress> addresses = addresses(m.entries().get("addresses"), keyLine, key + ".addresses");
        PopsConfig.AdminState state = PopsConfig.AdminState.ACTIVE;
        Node stateNode = m.entries().get("state");
        if (stateNode != null) {
            String text = scalar(stateNode, key + ".state");
            if ("drain".equals(text)) {
                state = PopsConfig.AdminState.DRAIN;
            } else if (!"active".equals(text)) {
                problem(stateNode.line(), key + ".state: '" + text + "' (expected: active or drain)");
            }
        }
        int bias = 0;
        Node biasNode = m.entries().get("bias");
        if (biasNode instanceof Scalar s) {
            bias = (int) number(s, key + ".bias", "bias", -99, 99);
            if (bias != number(s, key + ".bias", "bias", -99, 99)) {
                problem(s.line(), key + ".bias: " + s.text() + " (expected: a whole number -99..99)");
            }
        } else if (biasNode != null) {
            problem(biasNode.line(), key + ".bias: not a number (expected: -99..99)");
        }
        InetAddress probe = m.entries().containsKey("probe-address")
                ? address(m.entries().get("probe-address"), key + ".probe-address")
                : null;
        Map<String, CheckFields> overrides = checkOverrides(m, key, checks);
        Map<String, List<InetAddress>> nameAddresses = nameAddresses(m, key);
        return new PopsConfig.Pop(id, hq, lat, lon, addresses, state, bias, probe, overrides, nameAddresses, keyLine);
    }

    /** {@code pops.ID.checks}: per declared check, the fields this PoP replaces, read as the check's kind. */
    private Map<String, CheckFields> checkOverrides(MapNode pop, String key, Map<String, PopsConfig.Check> checks) {
        Map<String, CheckFields> overrides = new LinkedHashMap<>();
        MapNode over = map(pop.entries().get("checks"), key + ".checks");
        if (over == null) {
            return overrides;
        }
        for (Map.Entry<String, Node> e : over.entries().entrySet()) {
            String okey = key + ".checks." + e.getKey();
            if (!checks.containsKey(e.getKey())) {
                problem(
                        over.keyLines().get(e.getKey()),
                        okey + ": no such check (expected one of " + checks.keySet() + ")");
                continue;
            }
            MapNode fields = map(e.getValue(), okey);
            if (fields != null) {
                CheckKind kind = checks.get(e.getKey()).fields().kind();
                keys(fields, okey + ".", CHECK_KEYS);
                ofKind(fields, okey, kind);
                overrides.put(e.getKey(), kind.read(new FieldReader(fields, okey, this::problem)));
            }
        }
        return overrides;
    }

    /** {@code pops.ID.names}: per geo name (lower case), this PoP's own addresses for it. */
    private Map<String, List<InetAddress>> nameAddresses(MapNode pop, String key) {
        Map<String, List<InetAddress>> nameAddresses = new LinkedHashMap<>();
        MapNode own = map(pop.entries().get("names"), key + ".names");
        if (own == null) {
            return nameAddresses;
        }
        for (Map.Entry<String, Node> e : own.entries().entrySet()) {
            String nkey = key + ".names." + e.getKey();
            MapNode fields = map(e.getValue(), nkey);
            if (fields != null) {
                keys(fields, nkey + ".", Set.of("addresses"));
                nameAddresses.put(
                        e.getKey().toLowerCase(Locale.ROOT),
                        addresses(
                                fields.entries().get("addresses"),
                                own.keyLines().get(e.getKey()),
                                nkey + ".addresses"));
            }
        }
        return nameAddresses;
    }

    /** A non-empty list of literal addresses; when missing, a problem at {@code line} (its parent's). */
    private List<InetAddress> addresses(Node node, int line, String key) {
        List<InetAddress> addresses = new ArrayList<>();
        if (node instanceof ListNode l && !l.items().isEmpty()) {
            for (Node a : l.items()) {
                InetAddress address = address(a, key);
                if (address != null) {
                    addresses.add(address);
                }
            }
        } else {
            problem(
                    node == null ? line : node.line(),
                    key + ": " + (node == null ? "missing" : "empty or not a list")
                            + " (expected: at least one IPv4 or IPv6 address)");
        }
        return addresses;
    }

    private PopsConfig.GeoName geoName(
            String text, Node node, int line, Map<String, PopsConfig.Check> checks, Set<String> pops) {
        String key = "names." + text;
        String name = text.toLowerCase(Locale.ROOT);
        if (!name.endsWith(".")) {
            problem(line, key + ": '" + text + "' is not absolute (expected: a trailing dot, e.g. hachyderm.io.)");
            return null;
        }
        MapNode m = map(node, key);
        if (m == null) {
            return null;
        }
        keys(m, key + ".", Set.of("ttl", "needs", "countries", "continents", "families"));
        List<String> families = new ArrayList<>();
        Node familiesNode = m.entries().get("families");
        if (familiesNode instanceof ListNode l && !l.items().isEmpty()) {
            for (Node f : l.items()) {
                String family = scalar(f, key + ".families");
                if (family != null && !PopsConfig.GeoName.BOTH.contains(family)) {
                    problem(f.line(), key + ".families: '" + family + "' (expected: A or AAAA)");
                } else if (family != null && !families.contains(family)) {
                    families.add(family);
                }
            }
        } else if (familiesNode != null) {
            problem(familiesNode.line(), key + ".families: not a list (expected: [A], [AAAA] or [A, AAAA])");
        }
        if (families.isEmpty()) {
            families.addAll(PopsConfig.GeoName.BOTH);
        }
        long ttl = 30;
        Node ttlNode = m.entries().get("ttl");
        if (ttlNode instanceof Scalar s) {
            ttl = (long) number(s, key + ".ttl", "ttl", 0, MAX_TTL);
        } else if (ttlNode != null) {
            problem(ttlNode.line(), key + ".ttl: not a number (expected: 0.." + MAX_TTL + ")");
        }
        List<String> needs = new ArrayList<>();
        Node needsNode = m.entries().get("needs");
        if (needsNode instanceof ListNode l) {
            for (Node n : l.items()) {
                String check = scalar(n, key + ".needs");
                if (check != null && !checks.containsKey(check)) {
                    problem(
                            n.line(),
                            key + ".needs: no check named '" + check + "' (expected one of " + checks.keySet() + ")");
                } else if (check != null) {
                    needs.add(check);
                }
            }
        } else if (needsNode != null) {
            problem(needsNode.line(), key + ".needs: not a list (expected: [check, ...])");
        }
        Map<String, String> countries = overrides(m, "countries", key, COUNTRIES, pops);
        Map<String, String> continents = overrides(m, "continents", key, CONTINENTS, pops);
        return new PopsConfig.GeoName(name, ttl, needs, countries, continents, families, line);
    }

    private Map<String, String> overrides(MapNode m, String field, String key, Set<String> codes, Set<String> pops) {
        Map<String, String> out = new LinkedHashMap<>();
        MapNode node = map(m.entries().get(field), key + "." + field);
        if (node == null) {
            return out;
        }
        for (Map.Entry<String, Node> e : node.entries().entrySet()) {
            int line = node.keyLines().get(e.getKey());
            if (!codes.contains(e.getKey())) {
                problem(
                        line,
                        key + "." + field + ": '" + e.getKey() + "' is not a valid "
                                + (field.equals("countries")
                                        ? "ISO 3166-1 alpha-2 country code (e.g. DE, US)"
                                        : "continent code (expected one of AF AN AS EU NA OC SA)"));
            }
            String pop = scalar(e.getValue(), key + "." + field + "." + e.getKey());
            if (pop != null && !pops.contains(pop)) {
                problem(e.getValue().line(), key + "." + field + "." + e.getKey() + ": no PoP named '" + pop + "'");
            }
            out.put(e.getKey(), pop);
        }
        return out;
    }

    private MapNode map(Node node, String key) {
        if (node == null) {
            return null;
        }
        if (node instanceof MapNode m) {
            return m;
        }
        if (node instanceof Scalar s && s.text() == null) {
            return null;
        }
        problem(node.line(), key + ": not a mapping (expected: key: value lines)");
        return null;
    }

    private void keys(MapNode m, String prefix, Set<String> allowed) {
        for (String k : m.entries().keySet()) {
            if (!allowed.contains(k)) {
                problem(
                        m.keyLines().get(k),
                        prefix + k + ": unknown key (expected one of " + new java.util.TreeSet<>(allowed) + ")");
            }
        }
    }

    private String scalar(Node node, String key) {
        if (node instanceof Scalar s && s.text() != null) {
            return s.text();
        }
        problem(node.line(), key + ": not a single value");
        return null;
    }

    private boolean bool(MapNode m, String field, String key, boolean fallback) {
        Node node = m.entries().get(field);
        if (node == null) {
            return fallback;
        }
        String text = scalar(node, key + "." + field);
        if ("true".equals(text) || "false".equals(text)) {
            return Boolean.parseBoolean(text);
        }
        problem(node.line(), key + "." + field + ": '" + text + "' (expected: true or false)");
        return fallback;
    }

    private double number(Scalar s, String key, String what, double min, double max) {
        try {
            double v = Double.parseDouble(s.text());
            if (v < min || v > max || Double.isNaN(v)) {
                problem(
                        s.line(),
                        key + ": " + what + " " + s.text() + " (expected: " + fmt(min) + ".." + fmt(max) + ")");
            }
            return v;
        } catch (NumberFormatException | NullPointerException e) {
            problem(
                    s.line(),
                    key + ": " + what + " '" + s.text() + "' is not a number (expected: " + fmt(min) + ".." + fmt(max)
                            + ")");
            return Double.NaN;
        }
    }

    private static String fmt(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }

    /** A literal IPv4 or IPv6 address; never a host name (no resolver is asked). */
    private InetAddress address(Node node, String key) {
        String text = scalar(node, key);
        if (text == null) {
            return null;
        }
        InetAddress address = AddressLiteral.parse(text);
        if (address != null) {
            return address;
        }
        problem(node.line(), key + ": '" + text + "' (expected: a literal IPv4 or IPv6 address)");
        return null;
    }

    private void problem(int line, String message) {
        problems.add(file + ":" + line + ": " + message);
    }
}
