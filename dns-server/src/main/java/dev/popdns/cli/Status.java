package dev.popdns.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.popdns.config.ConfigException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * {@code popdns status [--server URL] [--config FILE] [--json] [--timeline N]}: the running
 * server's status for a terminal (an ssh session without a browser): the PoP x check matrix,
 * overrides, scheduled drains, the routing of each geo name by continent, and the latest timeline
 * entries; {@code --json} prints {@code /api/v1/status} as it is.
 */
final class Status {
    private Status() {}

    static int run(List<String> args, PrintStream out, PrintStream err) {
        String server = null;
        Path config = null;
        boolean json = false;
        int timeline = 10;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (a.equals("--json")) {
                json = true;
                continue;
            }
            if (i + 1 >= args.size()) {
                err.print("popdns status: " + a + " needs a value\n" + Main.USAGE);
                return 2;
            }
            String value = args.get(++i);
            switch (a) {
                case "--server" -> server = value;
                case "--config" -> config = Path.of(value);
                case "--timeline" -> {
                    try {
                        timeline = Integer.parseInt(value);
                    } catch (NumberFormatException e) {
                        timeline = -1;
                    }
                    if (timeline < 0) {
                        err.println("popdns status: --timeline " + value + " (expected: a whole number >= 0)");
                        return 2;
                    }
                }
                default -> {
                    err.print("popdns status: unknown flag " + a + "\n" + Main.USAGE);
                    return 2;
                }
            }
        }
        ServerClient client;
        JsonNode status;
        try {
            client = ServerClient.of(server, config);
            status = client.get("/api/v1/status");
        } catch (ConfigException e) {
            err.println("popdns status: " + e.getMessage());
            return 1;
        } catch (ServerClient.Unreachable e) {
            err.println("popdns status: OFFLINE: no server at " + e.getMessage());
            return 1;
        } catch (ServerClient.Refused e) {
            err.println("popdns status: the server refused: " + e.getMessage());
            return 1;
        }
        if (json) {
            out.print(status.toPrettyString() + "\n");
            return 0;
        }
        print(out, status, client.base, timeline);
        return 0;
    }

    static void print(PrintStream out, JsonNode s, String base, int timeline) {
        JsonNode server = s.path("server");
        out.println("popdns " + server.path("identity").asText() + " ("
                + server.path("version").asText() + ") at "
                + base + ": " + (server.path("ready").asBoolean() ? "ready" : "NOT READY") + ", up "
                + uptime(server.path("uptime_seconds").asLong()) + ", now "
                + server.path("now").asText());
        for (JsonNode z : s.path("zones")) {
            out.println("zone " + z.path("origin").asText() + " serial "
                    + z.path("serial").asLong() + " (" + z.path("rrsets").asInt() + " RRsets)");
        }
        if (!s.path("probes").asBoolean()) {
            out.println("probes: off (eligibility is the config state alone)");
        } else if (s.path("prober_cut_off").asBoolean()) {
            out.println("probes: PROBER CUT OFF (every PoP failed at once: last known states kept)");
        }
        Set<String> checks = new LinkedHashSet<>();
        for (JsonNode p : s.path("pops")) {
            p.path("checks").fieldNames().forEachRemaining(checks::add);
        }
        List<String> header = new ArrayList<>(List.of("PoP", "state"));
        header.addAll(checks);
        header.add("override / drain");
        List<List<String>> rows = new ArrayList<>();
        rows.add(header);
        for (JsonNode p : s.path("pops")) {
            List<String> row = new ArrayList<>();
            row.add(p.path("id").asText() + (p.path("hq").asBoolean() ? " (HQ)" : ""));
            row.add(p.path("state").asText());
            for (String c : checks) {
                JsonNode check = p.path("checks").path(c);
                row.add(
                        check.isMissingNode()
                                ? "-"
                                : check.path("state").asText().toUpperCase(java.util.Locale.ROOT)
                                        + (check.has("last_error")
                                                        && !check.path("state")
                                                                .asText()
                                                                .equals("up")
                                                ? " " + check.path("last_error").asText()
                                                : ""));
            }
            row.add(override(p));
            rows.add(row);
        }
        table(out, rows);
        for (JsonNode n : s.path("names")) {
            StringBuilder line = new StringBuilder(
                    "name " + n.path("name").asText() + " ttl " + n.path("ttl").asLong() + ":");
            n.path("continents")
                    .properties()
                    .forEach(e -> line.append(' ')
                            .append(e.getKey())
                            .append('=')
                            .append(e.getValue().asText()));
            out.println(line);
        }
        // the API lists the timeline newest first
        JsonNode events = s.path("timeline");
        int shown = Math.min(timeline, events.size());
        if (shown > 0) {
            out.println("timeline (latest " + shown + ", newest first):");
            for (int i = 0; i < shown; i++) {
                JsonNode e = events.get(i);
                out.println("  " + e.path("at").asText() + " " + e.path("kind").asText() + " "
                        + e.path("text").asText());
            }
        }
    }

    private static String override(JsonNode pop) {
        JsonNode o = pop.path("override");
        StringBuilder text = new StringBuilder();
        if (!o.isMissingNode()) {
            text.append(o.path("action").asText())
                    .append(" until ")
                    .append(o.path("expires").asText())
                    .append(" (")
                    .append(o.path("reason").asText())
                    .append(')');
        }
        JsonNode d = pop.path("scheduled_drain");
        if (!d.isMissingNode()) {
            text.append(text.isEmpty() ? "" : "; ")
                    .append("drain at ")
                    .append(d.path("at").asText())
                    .append(" in ")
                    .append(uptime(d.path("seconds_left").asLong()))
                    .append(d.path("ttl_shortened").asBoolean() ? ", TTL shortened" : "")
                    .append(" (")
                    .append(d.path("reason").asText())
                    .append(')');
        }
        return text.isEmpty() ? "-" : text.toString();
    }

    private static String uptime(long seconds) {
        if (seconds < 60) {
            return seconds + "s";
        }
        if (seconds < 3600) {
            return seconds / 60 + "m" + (seconds % 60 == 0 ? "" : seconds % 60 + "s");
        }
        return seconds / 3600 + "h" + (seconds % 3600 / 60) + "m";
    }

    private static void table(PrintStream out, List<List<String>> rows) {
        int[] widths = new int[rows.get(0).size()];
        for (List<String> row : rows) {
            for (int i = 0; i < row.size(); i++) {
                widths[i] = Math.max(widths[i], row.get(i).length());
            }
        }
        for (List<String> row : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.size(); i++) {
                line.append(row.get(i));
                if (i < row.size() - 1) {
                    line.append(" ".repeat(widths[i] - row.get(i).length() + 2));
                }
            }
            out.println(line.toString().stripTrailing());
        }
    }
}
