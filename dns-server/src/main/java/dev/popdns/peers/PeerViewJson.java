package dev.popdns.peers;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.popdns.health.AdminOverride;
import dev.popdns.health.HealthState;
import dev.popdns.health.OverrideEvent;
import dev.popdns.health.PeerView;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The JSON of {@code GET /api/v1/health}: a {@link PeerView} written by one node and read by its
 * peers. Reading is strict: a view with a missing or malformed field is refused whole, with the
 * field's path in the message ({@code pops[1].checks[0].state: 'sideways' (expected: up, down or
 * unknown)}), so a half-understood view never votes.
 */
public final class PeerViewJson {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private PeerViewJson() {}

    /** The view as JSON; {@code voteOnly} says whether the node is a standalone prober. */
    public static String write(PeerView view, boolean voteOnly) {
        ObjectNode root = MAPPER.createObjectNode()
                .put("node", view.node())
                .put("vote_only", voteOnly)
                .put("taken_at", view.takenAt().toString())
                .put("checks_digest", view.checksDigest())
                .put("cut_off", view.cutOff());
        ArrayNode pops = root.putArray("pops");
        for (PeerView.PopView pop : view.pops()) {
            ObjectNode p = pops.addObject().put("id", pop.pop());
            pop.override().ifPresent(event -> {
                ObjectNode o = p.putObject("override")
                        .put(
                                "action",
                                event.override().map(PeerViewJson::action).orElse("clear"))
                        .put("at", event.at().toString())
                        .put("origin", event.origin());
                event.override()
                        .ifPresent(a -> o.put("expires", a.expires().toString()).put("reason", a.reason()));
            });
            ArrayNode checks = p.putArray("checks");
            for (PeerView.CheckView check : pop.checks()) {
                ObjectNode c = checks.addObject()
                        .put("check", check.check())
                        .put("state", check.state().name().toLowerCase(Locale.ROOT))
                        .put("successes", check.successes())
                        .put("failures", check.failures())
                        .put("since", check.since().toString());
                check.lastError().ifPresent(e -> c.put("last_error", e));
                check.latency().ifPresent(l -> c.put("latency_ms", l.toNanos() / 1e6));
            }
        }
        return root.toString();
    }

    /**
     * Reads a view.
     *
     * @throws IllegalArgumentException naming the field, the value and the expectation
     */
    public static PeerView read(String json) {
        JsonNode root;
        try {
            root = MAPPER.readTree(json);
        } catch (IOException e) {
            throw new IllegalArgumentException("not JSON (expected: the JSON of /api/v1/health)");
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("not a JSON object (expected: the JSON of /api/v1/health)");
        }
        List<PeerView.PopView> pops = new ArrayList<>();
        JsonNode popArray = array(root, "pops", "");
        for (int p = 0; p < popArray.size(); p++) {
            JsonNode pop = popArray.get(p);
            String at = "pops[" + p + "].";
            String id = text(pop, "id", at);
            Optional<OverrideEvent> override = Optional.empty();
            if (pop.has("override")) {
                override = Optional.of(override(id, pop.get("override"), at + "override."));
            }
            List<PeerView.CheckView> checks = new ArrayList<>();
            JsonNode checkArray = array(pop, "checks", at);
            for (int c = 0; c < checkArray.size(); c++) {
                JsonNode check = checkArray.get(c);
                String where = at + "checks[" + c + "].";
                checks.add(new PeerView.CheckView(
                        text(check, "check", where),
                        state(text(check, "state", where), where + "state"),
                        number(check, "successes", where),
                        number(check, "failures", where),
                        instant(check, "since", where),
                        check.hasNonNull("last_error")
                                ? Optional.of(check.get("last_error").asText())
                                : Optional.empty(),
                        check.hasNonNull("latency_ms")
                                ? Optional.of(Duration.ofNanos(
                                        Math.round(check.get("latency_ms").asDouble() * 1e6)))
                                : Optional.empty()));
            }
            pops.add(new PeerView.PopView(id, override, checks));
        }
        if (!root.path("cut_off").isBoolean()) {
            throw new IllegalArgumentException("cut_off: missing (expected: true or false)");
        }
        return new PeerView(
                text(root, "node", ""),
                instant(root, "taken_at", ""),
                text(root, "checks_digest", ""),
                root.get("cut_off").asBoolean(),
                pops);
    }

    private static OverrideEvent override(String pop, JsonNode node, String at) {
        String action = text(node, "action", at);
        Instant when = instant(node, "at", at);
        String origin = text(node, "origin", at);
        Optional<AdminOverride> override = switch (action) {
            case "clear" -> Optional.empty();
            case "drain", "force-up" ->
                Optional.of(new AdminOverride(
                        action.equals("drain") ? AdminOverride.Action.DRAIN : AdminOverride.Action.FORCE_UP,
                        instant(node, "expires", at),
                        text(node, "reason", at)));
            default ->
                throw new IllegalArgumentException(
                        at + "action: '" + action + "' (expected: drain, force-up or clear)");
        };
        return new OverrideEvent(pop, override, when, origin);
    }

    private static String action(AdminOverride override) {
        return override.action() == AdminOverride.Action.DRAIN ? "drain" : "force-up";
    }

    private static HealthState state(String text, String where) {
        return switch (text) {
            case "up" -> HealthState.UP;
            case "down" -> HealthState.DOWN;
            case "unknown" -> HealthState.UNKNOWN;
            default -> throw new IllegalArgumentException(where + ": '" + text + "' (expected: up, down or unknown)");
        };
    }

    private static JsonNode array(JsonNode node, String field, String at) {
        JsonNode value = node.get(field);
        if (value == null || !value.isArray()) {
            throw new IllegalArgumentException(at + field + ": missing (expected: a list)");
        }
        return value;
    }

    private static String text(JsonNode node, String field, String at) {
        JsonNode value = node.get(field);
        if (value == null || !value.isTextual() || value.asText().isBlank()) {
            throw new IllegalArgumentException(at + field + ": missing (expected: text)");
        }
        return value.asText();
    }

    private static int number(JsonNode node, String field, String at) {
        JsonNode value = node.get(field);
        if (value == null || !value.canConvertToInt() || value.asInt() < 0) {
            throw new IllegalArgumentException(at + field + ": missing (expected: a count)");
        }
        return value.asInt();
    }

    private static Instant instant(JsonNode node, String field, String at) {
        String text = text(node, field, at);
        try {
            return Instant.parse(text);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException(at + field + ": '" + text + "' (expected: an ISO-8601 instant)");
        }
    }
}
