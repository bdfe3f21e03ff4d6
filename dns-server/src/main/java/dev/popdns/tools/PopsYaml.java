package dev.popdns.tools;

import dev.popdns.config.CheckFields;
import dev.popdns.config.PopsConfig;
import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Writes a {@link PopsConfig} as {@code pops.yaml} in the shape of the README ("Geo routing"):
 * PoPs as blocks, checks and names one flow mapping per line, with comments that say where a
 * value came from. The file reads back through {@code PopsLoader} to the same config.
 */
public final class PopsYaml {
    /** Plain scalars YAML reads as null; PopsLoader takes every other scalar by its text, so {@code true} can stay plain. */
    private static final Set<String> RESERVED = Set.of("null", "~");

    private static final int COMMENT_COLUMN = 38;

    private PopsYaml() {}

    /**
     * The file's text.
     *
     * @param header   comment lines for the top of the file (without {@code #})
     * @param comments keyed {@code pops.ID}, {@code pops.ID.location}, {@code checks.NAME}, {@code names.NAME}:
     *                 a comment line above the entry, or at the end of the location line
     */
    public static String write(PopsConfig config, List<String> header, Map<String, String> comments) {
        StringBuilder y = new StringBuilder();
        for (String h : header) {
            y.append(h.isEmpty() ? "#" : "# " + h).append('\n');
        }
        y.append("pops:\n");
        for (PopsConfig.Pop p : config.pops()) {
            pop(y, p, comments);
        }
        if (!config.checks().isEmpty()) {
            y.append("checks:\n");
            int width = 0;
            for (String name : config.checks().keySet()) {
                width = Math.max(width, name.length() + 1);
            }
            for (PopsConfig.Check c : config.checks().values()) {
                comment(y, "  ", comments.get("checks." + c.name()));
                y.append("  ")
                        .append(String.format(Locale.ROOT, "%-" + width + "s ", c.name() + ":"))
                        .append(flow(c.fields()))
                        .append('\n');
            }
        }
        if (!config.names().isEmpty()) {
            y.append("names:\n");
            int width = 0;
            for (String name : config.names().keySet()) {
                width = Math.max(width, name.length() + 1);
            }
            for (PopsConfig.GeoName n : config.names().values()) {
                comment(y, "  ", comments.get("names." + n.name()));
                StringBuilder f = new StringBuilder("{ ttl: ").append(n.ttl());
                if (!n.needs().isEmpty()) {
                    f.append(", needs: ").append(list(n.needs()));
                }
                if (!n.countries().isEmpty()) {
                    f.append(", countries: ").append(codes(n.countries()));
                }
                if (!n.continents().isEmpty()) {
                    f.append(", continents: ").append(codes(n.continents()));
                }
                if (!n.families().equals(PopsConfig.GeoName.BOTH)) {
                    f.append(", families: ").append(list(n.families()));
                }
                y.append("  ")
                        .append(String.format(Locale.ROOT, "%-" + width + "s ", n.name() + ":"))
                        .append(f)
                        .append(" }\n");
            }
        }
        return y.toString();
    }

    /** One PoP as a block: the keys it sets, defaults left out. */
    private static void pop(StringBuilder y, PopsConfig.Pop p, Map<String, String> comments) {
        comment(y, "  ", comments.get("pops." + p.id()));
        y.append("  ").append(p.id()).append(":\n");
        if (p.hq()) {
            y.append("    hq: true\n");
        }
        String location =
                "    location: [" + PopsDiff.number(p.latitude()) + ", " + PopsDiff.number(p.longitude()) + "]";
        String note = comments.get("pops." + p.id() + ".location");
        y.append(note == null ? location : pad(location) + "# " + note).append('\n');
        y.append("    addresses: ").append(addresses(p.addresses())).append('\n');
        if (p.state() == PopsConfig.AdminState.DRAIN) {
            y.append("    state: drain\n");
        }
        if (p.bias() != 0) {
            y.append("    bias: ").append(p.bias()).append('\n');
        }
        if (p.probeAddress() != null) {
            y.append("    probe-address: ")
                    .append(scalar(NetUtil.toAddressString(p.probeAddress())))
                    .append('\n');
        }
        if (!p.nameAddresses().isEmpty()) {
            y.append("    names:\n");
            for (Map.Entry<String, List<InetAddress>> own : p.nameAddresses().entrySet()) {
                y.append("      ")
                        .append(own.getKey())
                        .append(": { addresses: ")
                        .append(addresses(own.getValue()))
                        .append(" }\n");
            }
        }
        if (!p.checkOverrides().isEmpty()) {
            y.append("    checks:\n");
            for (Map.Entry<String, CheckFields> o : new TreeMap<>(p.checkOverrides()).entrySet()) {
                y.append("      ")
                        .append(o.getKey())
                        .append(": ")
                        .append(flow(o.getValue()))
                        .append('\n');
            }
        }
    }

    /** {@code [192.0.2.1, "2001:db8::1"]}. */
    private static String addresses(List<InetAddress> addresses) {
        List<String> texts = new ArrayList<>();
        for (InetAddress a : addresses) {
            texts.add(NetUtil.toAddressString(a));
        }
        return list(texts);
    }

    private static void comment(StringBuilder y, String indent, String text) {
        if (text != null) {
            for (String line : text.split("\n")) {
                y.append(indent).append("# ").append(line).append('\n');
            }
        }
    }

    private static String pad(String line) {
        return line.length() >= COMMENT_COLUMN ? line + " " : line + " ".repeat(COMMENT_COLUMN - line.length());
    }

    /** A check's (or an override's) fields as {@code { http: "...", host: x, expect: [200] }}, in reading order. */
    private static String flow(CheckFields fields) {
        List<String> parts = new ArrayList<>();
        for (Map.Entry<String, CheckFields.Value> e : fields.values().entrySet()) {
            CheckFields.Value v = e.getValue();
            parts.add(e.getKey() + ": " + (v.list() ? list(v.items()) : scalar(v.text())));
        }
        return "{ " + String.join(", ", parts) + " }";
    }

    private static String list(List<String> items) {
        List<String> out = new ArrayList<>();
        for (String s : items) {
            out.add(scalar(s));
        }
        return "[" + String.join(", ", out) + "]";
    }

    private static String codes(Map<String, String> byCode) {
        List<String> parts = new ArrayList<>();
        for (Map.Entry<String, String> e : new TreeMap<>(byCode).entrySet()) {
            parts.add(e.getKey() + ": " + scalar(e.getValue()));
        }
        return "{ " + String.join(", ", parts) + " }";
    }

    /** Plain when YAML reads it back as the same text, else double-quoted with escapes. */
    static String scalar(String s) {
        if (s.matches("[A-Za-z0-9_][A-Za-z0-9_./-]*") && !RESERVED.contains(s.toLowerCase(Locale.ROOT))) {
            return s;
        }
        StringBuilder q = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> q.append("\\\"");
                case '\\' -> q.append("\\\\");
                default -> {
                    if (c < 0x20 || c == 0x7f) {
                        q.append(String.format(Locale.ROOT, "\\x%02x", (int) c));
                    } else {
                        q.append(c);
                    }
                }
            }
        }
        return q.append('"').toString();
    }
}
