package dev.popdns.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.popdns.config.ConfigException;
import java.io.PrintStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code popdns drain POP --at TIME|--in DURATION --reason TEXT [--for DURATION]} plans a drain
 * on the running server ({@code POST /api/v1/pops/POP/drain}): from {@code at - TTL} on the PoP's
 * answers carry the seconds left as TTL, from {@code at} it gets no clients, for {@code --for} or
 * until {@code popdns undrain POP} ({@code DELETE}), which also clears a drain override. The admin
 * token is read from the config's {@code admin-token-file}.
 */
final class Drain {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Drain() {}

    static int drain(List<String> args, PrintStream out, PrintStream err) {
        Flags f = Flags.parse("drain", args, err, List.of("--at", "--in", "--for", "--reason", "--server", "--config"));
        if (f == null) {
            return 2;
        }
        if (f.positional.size() != 1 || (f.at == null) == (f.in == null) || f.reason == null) {
            err.print("popdns drain: needs POP, one of --at TIME or --in DURATION, and --reason TEXT\n" + Main.USAGE);
            return 2;
        }
        String pop = f.positional.get(0);
        ObjectNode body = JSON.createObjectNode();
        if (f.at != null) {
            body.put("at", f.at);
        } else {
            body.put("in", f.in);
        }
        if (f.duration != null) {
            body.put("for", f.duration);
        }
        body.put("reason", f.reason);
        return call(err, f, "drain", client -> {
            JsonNode r = client.post("/api/v1/pops/" + pop + "/drain", body.toString());
            out.println(pop + ": drain at " + r.path("at").asText()
                    + (r.path("until").isNull()
                            ? " until undrained"
                            : " until " + r.path("until").asText())
                    + " (" + r.path("reason").asText() + "); answers pointing there get shorter TTLs before");
        });
    }

    static int undrain(List<String> args, PrintStream out, PrintStream err) {
        Flags f = Flags.parse("undrain", args, err, List.of("--reason", "--server", "--config"));
        if (f == null) {
            return 2;
        }
        if (f.positional.size() != 1) {
            err.print("popdns undrain: needs POP\n" + Main.USAGE);
            return 2;
        }
        String pop = f.positional.get(0);
        String query = f.reason == null ? "" : "?reason=" + URLEncoder.encode(f.reason, StandardCharsets.UTF_8);
        return call(err, f, "undrain", client -> {
            JsonNode r = client.delete("/api/v1/pops/" + pop + "/drain" + query);
            out.println(
                    pop + ": " + (r.path("cancelled").asBoolean() ? "scheduled drain cancelled" : "no scheduled drain")
                            + ", " + (r.path("cleared").asBoolean() ? "drain override cleared" : "no drain override"));
        });
    }

    private interface Call {
        void run(ServerClient client) throws ServerClient.Unreachable, ServerClient.Refused;
    }

    private static int call(PrintStream err, Flags f, String command, Call call) {
        try {
            call.run(ServerClient.of(f.server, f.config));
            return 0;
        } catch (ConfigException e) {
            err.println("popdns " + command + ": " + e.getMessage());
        } catch (ServerClient.Unreachable e) {
            err.println("popdns " + command + ": no server at " + e.getMessage());
        } catch (ServerClient.Refused e) {
            err.println("popdns " + command + ": the server refused: " + e.getMessage());
        }
        return 1;
    }

    /** The flags of both commands; each takes a value. */
    private static final class Flags {
        final List<String> positional = new ArrayList<>();
        String at;
        String in;
        String duration;
        String reason;
        String server;
        Path config;

        static Flags parse(String command, List<String> args, PrintStream err, List<String> allowed) {
            Flags f = new Flags();
            for (int i = 0; i < args.size(); i++) {
                String a = args.get(i);
                if (!a.startsWith("--")) {
                    f.positional.add(a);
                    continue;
                }
                if (!allowed.contains(a) || i + 1 >= args.size()) {
                    err.print("popdns " + command + ": " + a
                            + (allowed.contains(a) ? " needs a value" : " is not a flag of " + command) + "\n"
                            + Main.USAGE);
                    return null;
                }
                String v = args.get(++i);
                switch (a) {
                    case "--at" -> f.at = v;
                    case "--in" -> f.in = v;
                    case "--for" -> f.duration = v;
                    case "--reason" -> f.reason = v;
                    case "--server" -> f.server = v;
                    case "--config" -> f.config = Path.of(v);
                    default -> throw new IllegalStateException("flag listed but not handled: " + a);
                }
            }
            return f;
        }
    }
}
