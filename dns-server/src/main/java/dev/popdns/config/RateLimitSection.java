package dev.popdns.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reads the {@code rate-limit:} mapping of popdns.yaml into {@link RateLimitConfig}; every
 * problem names its line and the value with what was expected.
 */
final class RateLimitSection {
    static final int MAX_RATE = 1_000_000;
    static final int MAX_SLIP = 100;

    static final Set<String> KEYS = Set.of("responses-per-second", "slip", "ipv4-prefix", "ipv6-prefix", "exempt");

    private RateLimitSection() {}

    /** The settings under {@code node}, or off when it is null; problems are added to {@code problems}. */
    static RateLimitConfig read(String source, YamlTree.Node node, List<String> problems) {
        if (node == null || node instanceof YamlTree.Scalar s && s.text() == null) {
            return RateLimitConfig.off();
        }
        if (!(node instanceof YamlTree.MapNode map)) {
            problems.add(
                    source + ":" + node.line()
                            + ": rate-limit: not a mapping (expected: responses-per-second, slip, ipv4-prefix, ipv6-prefix, exempt)");
            return RateLimitConfig.off();
        }
        for (Map.Entry<String, Integer> key : map.keyLines().entrySet()) {
            if (!KEYS.contains(key.getKey())) {
                problems.add(source + ":" + key.getValue() + ": rate-limit." + key.getKey()
                        + ": unknown key (expected one of " + new TreeSet<>(KEYS) + ")");
            }
        }
        int rate = number(source, map, "responses-per-second", 0, 0, MAX_RATE, problems);
        int slip = number(source, map, "slip", RateLimitConfig.DEFAULT_SLIP, 0, MAX_SLIP, problems);
        int v4 = number(source, map, "ipv4-prefix", RateLimitConfig.DEFAULT_IPV4_PREFIX, 0, 32, problems);
        int v6 = number(source, map, "ipv6-prefix", RateLimitConfig.DEFAULT_IPV6_PREFIX, 0, 128, problems);
        List<RateLimitConfig.Network> exempt = new ArrayList<>();
        YamlTree.Node list = map.entries().get("exempt");
        if (list instanceof YamlTree.ListNode l) {
            for (YamlTree.Node item : l.items()) {
                RateLimitConfig.Network network = item instanceof YamlTree.Scalar s && s.text() != null
                        ? network(source + ":" + item.line(), s.text(), problems)
                        : null;
                if (network != null) {
                    exempt.add(network);
                } else if (!(item instanceof YamlTree.Scalar s && s.text() != null)) {
                    problems.add(
                            source + ":" + item.line() + ": rate-limit.exempt: not a single value (expected: CIDR)");
                }
            }
        } else if (list != null && !(list instanceof YamlTree.Scalar s && s.text() == null)) {
            problems.add(source + ":" + list.line() + ": rate-limit.exempt: not a list (expected: [CIDR, ...])");
        }
        return new RateLimitConfig(rate, slip, v4, v6, exempt);
    }

    private static int number(
            String source, YamlTree.MapNode map, String key, int fallback, int min, int max, List<String> problems) {
        YamlTree.Node node = map.entries().get(key);
        if (node == null || node instanceof YamlTree.Scalar s && s.text() == null) {
            return fallback;
        }
        String text = node instanceof YamlTree.Scalar s ? s.text() : null;
        long value;
        try {
            value = text == null ? Long.MIN_VALUE : Long.parseLong(text);
        } catch (NumberFormatException e) {
            value = Long.MIN_VALUE;
        }
        if (value == Long.MIN_VALUE) {
            problems.add(source + ":" + node.line() + ": rate-limit." + key + ": '" + text
                    + "' (expected: a whole number " + min + ".." + max + ")");
            return fallback;
        }
        if (value < min || value > max) {
            problems.add(source + ":" + node.line() + ": rate-limit." + key + ": " + value + " (expected: " + min + ".."
                    + max + ")");
            return fallback;
        }
        return (int) value;
    }

    /** {@code ADDR/PREFIX} or a bare address (one host); literal addresses only, no bits past the prefix. */
    static RateLimitConfig.Network network(String where, String text, List<String> problems) {
        int slash = text.indexOf('/');
        String host = slash < 0 ? text : text.substring(0, slash);
        boolean literal = host.contains(":")
                || (!host.isEmpty() && host.chars().allMatch(c -> c == '.' || (c >= '0' && c <= '9')));
        InetAddress address = null;
        if (literal) {
            try {
                address = InetAddress.getByName(host);
            } catch (UnknownHostException e) {
                address = null;
            }
        }
        int bits = address == null ? 0 : address.getAddress().length * 8;
        int prefix = -1;
        if (address != null) {
            try {
                prefix = slash < 0 ? bits : Integer.parseInt(text.substring(slash + 1));
            } catch (NumberFormatException e) {
                prefix = -1;
            }
        }
        if (address == null || prefix < 0 || prefix > bits) {
            problems.add(where + ": rate-limit.exempt: '" + text
                    + "' (expected: a literal address or CIDR, like 192.0.2.0/24 or 2001:db8::/32)");
            return null;
        }
        byte[] raw = address.getAddress();
        for (int bit = prefix; bit < bits; bit++) {
            if ((raw[bit / 8] & (0x80 >> (bit % 8))) != 0) {
                problems.add(where + ": rate-limit.exempt: '" + text + "' has bits set past /" + prefix
                        + " (expected: the network address)");
                return null;
            }
        }
        return new RateLimitConfig.Network(address, prefix);
    }
}
