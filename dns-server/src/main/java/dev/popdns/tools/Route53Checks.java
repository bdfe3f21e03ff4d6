package dev.popdns.tools;

import dev.popdns.config.CheckFields;
import dev.popdns.config.CheckFields.Timing;
import dev.popdns.config.HttpCheck;
import dev.popdns.config.PopsConfig;
import dev.popdns.config.TcpCheck;
import dev.popdns.tools.Route53Input.HealthCheck;
import dev.popdns.tools.Route53Input.RecordSet;
import dev.popdns.tools.Route53Pops.Endpoint;
import dev.popdns.tools.Route53Pops.RoutedName;
import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.xbill.DNS.Name;

/**
 * Health-check mapping of a Route 53 import: HTTP/HTTPS (and _STR_MATCH) health checks become
 * {@code http} checks, TCP becomes {@code tcp}, templated on the PoP's address; identical fields
 * share one check, and where one PoP's health check differs from the name's check the PoP
 * overrides those fields. Route 53's IPAddress becomes the PoP's probe address.
 */
final class Route53Checks {
    private static final List<Integer> SUCCESS =
            List.of(200, 201, 202, 203, 204, 205, 206, 300, 301, 302, 303, 304, 307, 308);

    private final Map<String, HealthCheck> healthChecks;
    private final Route53Report report;
    private final Map<String, PopsConfig.Check> checks = new LinkedHashMap<>();
    /** By PoP id: where Route 53's health checks probe it, when not at its first address. */
    private final Map<String, InetAddress> probeAddresses = new HashMap<>();
    /** By PoP id, then check: the fields it is probed with there, once a name has needed the check. */
    private final Map<String, Map<String, CheckFields>> probed = new HashMap<>();

    /** @param healthChecks by id, or null when none were given */
    Route53Checks(Map<String, HealthCheck> healthChecks, Route53Report report) {
        this.healthChecks = healthChecks;
        this.report = report;
    }

    /** The checks made so far, in the order they were made. */
    Map<String, PopsConfig.Check> checks() {
        return checks;
    }

    /** Where PoP {@code pop} is probed, or null: at its first address. */
    InetAddress probeAddress(String pop) {
        return probeAddresses.get(pop);
    }

    /** The fields PoP {@code pop} overrides, by check: where it is probed otherwise than the check says. */
    Map<String, CheckFields> overrides(String pop) {
        Map<String, CheckFields> overrides = new TreeMap<>();
        for (Map.Entry<String, CheckFields> p :
                probed.getOrDefault(pop, Map.of()).entrySet()) {
            CheckFields override = p.getValue().except(checks.get(p.getKey()).fields());
            if (!override.values().isEmpty()) {
                overrides.put(p.getKey(), override);
            }
        }
        return overrides;
    }

    /** The check a name needs, built from its record sets' health checks, with per-PoP overrides where they differ. */
    List<String> needs(RoutedName r, String text) {
        String check = null;
        CheckFields base = null;
        Set<String> unchecked = new LinkedHashSet<>();
        Set<String> checked = new LinkedHashSet<>();
        for (Endpoint e : r.endpoints()) {
            String pop = e.pop().id;
            HealthCheck hc = healthCheck(e);
            if (hc == null) {
                unchecked.add(pop);
                continue;
            }
            CheckFields fields = fields(hc);
            if (check == null) {
                check = checkName(fields, hc.type(), r.name());
                base = checks.get(check).fields();
            }
            if (!probeAt(e, hc)) {
                continue;
            }
            List<String> lacking = new ArrayList<>(new TreeSet<>(base.values().keySet()));
            lacking.removeAll(fields.values().keySet());
            if (!lacking.isEmpty()) {
                report.unmapped(
                        e.sets(),
                        "health check " + hc.id() + " has no " + String.join(", ", lacking) + " but check " + check
                                + " has: a PoP can override a check's fields, not remove one");
                continue;
            }
            // one check runs once per PoP for every name that needs it: all of them must want the same fields there
            CheckFields before =
                    probed.computeIfAbsent(pop, p -> new HashMap<>()).putIfAbsent(check, fields);
            if (before != null && !before.equals(fields)) {
                report.unmapped(
                        e.sets(),
                        "health check " + hc.id() + " differs from the one PoP " + pop + " already has for check "
                                + check);
                continue;
            }
            checked.add(pop);
        }
        if (check == null) {
            return List.of();
        }
        unchecked.removeAll(checked);
        for (String pop : unchecked) {
            report.notes.add(text + ": PoP " + pop
                    + " had no health check in Route 53 (always healthy there); popdns probes it with " + check
                    + " too");
        }
        return List.of(check);
    }

    /** The endpoint's health check if it has a usable one; reports the unusable. */
    private HealthCheck healthCheck(Endpoint e) {
        String id = null;
        for (RecordSet s : e.sets()) {
            if (s.healthCheckId() == null) {
                continue;
            }
            if (id != null && !id.equals(s.healthCheckId())) {
                HealthCheck a = healthChecks == null ? null : healthChecks.get(id);
                HealthCheck b = healthChecks == null ? null : healthChecks.get(s.healthCheckId());
                if (a == null
                        || b == null
                        || !fields(a).equals(fields(b))
                        || !Objects.equals(a.ipAddress(), b.ipAddress())) {
                    report.unmapped(
                            s,
                            "health check " + s.healthCheckId() + " differs from " + id
                                    + " of the other address family:" + " popdns checks a PoP once for both");
                }
                continue;
            }
            id = s.healthCheckId();
        }
        if (id == null) {
            return null;
        }
        HealthCheck hc = healthChecks == null ? null : healthChecks.get(id);
        String problem = null;
        if (healthChecks == null) {
            problem = "health check " + id + ": no --health-checks file given (aws route53 list-health-checks)";
        } else if (hc == null) {
            problem = "health check " + id + " is not in the health checks file";
        } else if (hc.inverted()) {
            problem = "health check " + id + " is inverted: popdns has no inverted checks";
        } else if (!Set.of("HTTP", "HTTPS", "HTTP_STR_MATCH", "HTTPS_STR_MATCH", "TCP")
                .contains(hc.type())) {
            problem = "health check " + id + " is " + hc.type()
                    + ": popdns probes endpoints itself (http, tcp), it cannot"
                    + " follow CloudWatch alarms, combine checks or read recovery controls";
        } else if (hc.type().equals("TCP") && hc.port() == 0) {
            problem = "health check " + id + " is TCP without a Port";
        }
        if (problem != null) {
            for (RecordSet s : e.sets()) {
                if (s.healthCheckId() != null) {
                    report.unmapped(s, problem);
                }
            }
            return null;
        }
        if (hc.disabled()) {
            report.notes.add(e.first().label() + ": health check " + id
                    + " is disabled (Route 53 treats the endpoint as healthy): no check");
            return null;
        }
        return hc;
    }

    /** Where the PoP is probed: Route 53's IPAddress becomes probe-address when it is not the PoP's first address. */
    private boolean probeAt(Endpoint e, HealthCheck hc) {
        String pop = e.pop().id;
        if (hc.ipAddress() == null) {
            report.notes.add(e.first().label() + ": health check " + hc.id() + " checks " + hc.domainName()
                    + " as Route 53 resolves it;" + " popdns probes PoP " + pop + "'s address with that Host");
            return true;
        }
        InetAddress ip = Route53Pops.literal(hc.ipAddress(), !hc.ipAddress().contains(":"));
        if (ip == null) {
            report.unmapped(
                    e.sets(),
                    "health check " + hc.id() + ": IPAddress '" + hc.ipAddress() + "' is not a literal address");
            return false;
        }
        InetAddress at = probeAddresses.get(pop);
        if (at == null && !ip.equals(e.pop().addresses.get(0))) {
            probeAddresses.put(pop, ip);
        } else if (at != null && !at.equals(ip)) {
            report.unmapped(
                    e.sets(),
                    "health check " + hc.id() + " probes " + hc.ipAddress() + " but PoP " + pop
                            + " is already probed at " + NetUtil.toAddressString(at)
                            + ": popdns has one probe address per PoP");
            return false;
        }
        return true;
    }

    /** A Route 53 health check as popdns check fields, templated on the PoP's address. */
    static CheckFields fields(HealthCheck hc) {
        Duration interval = Duration.ofSeconds(hc.requestInterval());
        int threshold = hc.failureThreshold();
        if (hc.type().equals("TCP")) {
            return new TcpCheck(
                    "{address}:" + hc.port(), new Timing(interval, Duration.ofSeconds(10), threshold, threshold));
        }
        boolean https = hc.type().startsWith("HTTPS");
        int port = hc.port() == 0 ? (https ? 443 : 80) : hc.port();
        String path = hc.resourcePath() == null || hc.resourcePath().isEmpty()
                ? "/"
                : hc.resourcePath().startsWith("/") ? hc.resourcePath() : "/" + hc.resourcePath();
        String host = hc.domainName() == null || !hc.domainName().endsWith(".")
                ? hc.domainName()
                : hc.domainName().substring(0, hc.domainName().length() - 1);
        boolean match = hc.type().endsWith("_STR_MATCH")
                && hc.searchString() != null
                && !hc.searchString().isEmpty();
        return new HttpCheck(
                (https ? "https" : "http") + "://{address}" + (port == (https ? 443 : 80) ? "" : ":" + port) + path,
                null,
                host,
                SUCCESS,
                match ? hc.searchString() : null,
                match ? 5120 : null,
                https ? true : null,
                null,
                new Timing(interval, Duration.ofSeconds(4), threshold, threshold));
    }

    /** An existing check with the same fields, or a new one named after its type (then the name's first label). */
    private String checkName(CheckFields fields, String type, Name name) {
        for (PopsConfig.Check c : checks.values()) {
            if (c.fields().equals(fields)) {
                return c.name();
            }
        }
        String base = type.startsWith("HTTPS") ? "https" : type.startsWith("HTTP") ? "http" : "tcp";
        String label = name.labels() > 1
                ? name.getLabelString(0).toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]", "")
                : "";
        String id = base;
        if (checks.containsKey(id) && !label.isEmpty()) {
            id = base + "-" + label;
        }
        for (int n = 2; checks.containsKey(id); n++) {
            id = base + "-" + n;
        }
        checks.put(id, new PopsConfig.Check(id, fields, 0));
        report.comments.put(
                "checks." + id,
                "Route 53 " + type + " health check: any 2xx/3xx passes"
                        + (type.endsWith("STR_MATCH") ? ", the string in the first 5,120 bytes" : "")
                        + (type.startsWith("HTTPS") ? ", certificate not verified" : ""));
        if (type.equals("TCP")) {
            report.comments.put("checks." + id, "Route 53 TCP health check: connected within 10 s");
        }
        return id;
    }
}
