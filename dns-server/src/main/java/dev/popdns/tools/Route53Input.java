package dev.popdns.tools;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The JSON the AWS CLI prints for {@code aws route53 list-resource-record-sets} and
 * {@code aws route53 list-health-checks}, read into plain records. Unknown fields are ignored
 * (the CLI adds paging fields such as {@code IsTruncated}); a missing top-level array or a record
 * set without Name and Type is an error. Route 53 writes special characters of names and TXT
 * values as {@code \ooo} octal escapes; {@link #decimalEscapes} turns them into the RFC 1035
 * {@code \DDD} decimal form of master files.
 */
public final class Route53Input {
    /** The input cannot be read at all (missing file, not JSON, wrong shape); the message names the file. */
    public static final class Invalid extends Exception {
        @java.io.Serial
        private static final long serialVersionUID = 1L;

        public Invalid(String message) {
            super(message);
        }
    }

    /** {@code GeoLocation}: a continent, a country (with an optional subdivision), or the default {@code CountryCode "*"}. */
    public record GeoLocation(String continent, String country, String subdivision) {
        public boolean isDefault() {
            return "*".equals(country);
        }

        @Override
        public String toString() {
            return continent != null
                    ? "continent " + continent
                    : isDefault()
                            ? "default (*)"
                            : "country " + country + (subdivision == null ? "" : ", subdivision " + subdivision);
        }
    }

    /** {@code GeoProximityLocation}: an AWS region, coordinates or a Local Zone group, and a bias -99..99. */
    public record GeoProximity(String region, Double latitude, Double longitude, String localZoneGroup, int bias) {}

    /** {@code AliasTarget}. */
    public record Alias(String hostedZoneId, String dnsName, boolean evaluateTargetHealth) {}

    /**
     * One {@code ResourceRecordSets} item.
     *
     * @param index position in the file, from 0
     * @param name  the owner in master-file form (octal escapes decoded), as Route 53 spells it
     * @param ttl   {@code TTL}, or -1 when absent (alias record sets have none)
     */
    public record RecordSet(
            int index,
            String name,
            String type,
            long ttl,
            List<String> values,
            Alias alias,
            String setIdentifier,
            String region,
            GeoLocation geoLocation,
            String failover,
            Long weight,
            boolean multiValueAnswer,
            GeoProximity geoProximity,
            boolean cidr,
            String trafficPolicy,
            String healthCheckId) {
        /** {@code hachyderm.io. A} or {@code hachyderm.io. A (set "eu-west")}, for messages. */
        public String label() {
            return name + " " + type + (setIdentifier == null ? "" : " (set \"" + setIdentifier + "\")");
        }
    }

    /**
     * One {@code HealthChecks} item's {@code HealthCheckConfig}.
     *
     * @param port            {@code Port}, or 0 when absent
     * @param requestInterval seconds, 10 or 30 (default 30)
     * @param failureThreshold 1..10 (default 3)
     */
    public record HealthCheck(
            String id,
            String type,
            String ipAddress,
            int port,
            String resourcePath,
            String domainName,
            String searchString,
            int requestInterval,
            int failureThreshold,
            boolean inverted,
            boolean disabled) {}

    private Route53Input() {}

    /** Reads the output of {@code aws route53 list-resource-record-sets}. */
    public static List<RecordSet> recordSets(Path file) throws Invalid {
        JsonNode sets = read(file).get("ResourceRecordSets");
        if (sets == null || !sets.isArray()) {
            throw new Invalid(
                    file
                            + ": no \"ResourceRecordSets\" array (expected: the JSON of aws route53 list-resource-record-sets)");
        }
        List<RecordSet> out = new ArrayList<>();
        for (JsonNode s : sets) {
            String name = text(s, "Name");
            String type = text(s, "Type");
            if (name == null || type == null) {
                throw new Invalid(file + ": ResourceRecordSets[" + out.size() + "]: no Name or Type");
            }
            List<String> values = new ArrayList<>();
            for (JsonNode v : s.path("ResourceRecords")) {
                values.add(decimalEscapes(v.path("Value").asText()));
            }
            JsonNode a = s.get("AliasTarget");
            Alias alias = a == null
                    ? null
                    : new Alias(
                            text(a, "HostedZoneId"),
                            decimalEscapes(a.path("DNSName").asText()),
                            a.path("EvaluateTargetHealth").asBoolean());
            JsonNode g = s.get("GeoLocation");
            GeoLocation geo = g == null
                    ? null
                    : new GeoLocation(text(g, "ContinentCode"), text(g, "CountryCode"), text(g, "SubdivisionCode"));
            JsonNode p = s.get("GeoProximityLocation");
            GeoProximity proximity = null;
            if (p != null) {
                JsonNode c = p.get("Coordinates");
                proximity = new GeoProximity(
                        text(p, "AWSRegion"),
                        c == null ? null : c.path("Latitude").asDouble(),
                        c == null ? null : c.path("Longitude").asDouble(),
                        text(p, "LocalZoneGroup"),
                        p.path("Bias").asInt(0));
            }
            out.add(new RecordSet(
                    out.size(),
                    decimalEscapes(name),
                    type.toUpperCase(Locale.ROOT),
                    s.has("TTL") ? s.get("TTL").asLong() : -1,
                    values,
                    alias,
                    text(s, "SetIdentifier"),
                    text(s, "Region"),
                    geo,
                    text(s, "Failover"),
                    s.has("Weight") ? s.get("Weight").asLong() : null,
                    s.path("MultiValueAnswer").asBoolean(false),
                    proximity,
                    s.has("CidrRoutingConfig"),
                    text(s, "TrafficPolicyInstanceId"),
                    text(s, "HealthCheckId")));
        }
        return out;
    }

    /** Reads the output of {@code aws route53 list-health-checks}, by health check id. */
    public static Map<String, HealthCheck> healthChecks(Path file) throws Invalid {
        JsonNode checks = read(file).get("HealthChecks");
        if (checks == null || !checks.isArray()) {
            throw new Invalid(
                    file + ": no \"HealthChecks\" array (expected: the JSON of aws route53 list-health-checks)");
        }
        Map<String, HealthCheck> out = new LinkedHashMap<>();
        for (JsonNode h : checks) {
            String id = text(h, "Id");
            JsonNode c = h.path("HealthCheckConfig");
            if (id == null || text(c, "Type") == null) {
                throw new Invalid(file + ": HealthChecks[" + out.size() + "]: no Id or HealthCheckConfig.Type");
            }
            out.put(
                    id,
                    new HealthCheck(
                            id,
                            text(c, "Type"),
                            text(c, "IPAddress"),
                            c.path("Port").asInt(0),
                            text(c, "ResourcePath"),
                            text(c, "FullyQualifiedDomainName"),
                            text(c, "SearchString"),
                            c.path("RequestInterval").asInt(30),
                            c.path("FailureThreshold").asInt(3),
                            c.path("Inverted").asBoolean(false),
                            c.path("Disabled").asBoolean(false)));
        }
        return out;
    }

    private static JsonNode read(Path file) throws Invalid {
        try {
            return new ObjectMapper().readTree(Files.readString(file));
        } catch (NoSuchFileException e) {
            throw new Invalid(file + ": file not found");
        } catch (JsonProcessingException e) {
            throw new Invalid(
                    file + ":" + (e.getLocation() == null ? 0 : e.getLocation().getLineNr()) + ": not JSON: "
                            + e.getOriginalMessage().lines().findFirst().orElse("syntax error"));
        } catch (IOException e) {
            throw new Invalid(file + ": cannot read: " + e.getMessage());
        }
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    /**
     * Route 53's {@code \ooo} octal escapes (its spelling of {@code *}, {@code @}, spaces and
     * non-ASCII bytes in names and TXT data) as master-file text: a printable ASCII character
     * other than {@code "}, {@code \}, {@code .}, {@code ;}, {@code (}, {@code )} and space
     * literally, anything else as an RFC 1035 §5.1 {@code \DDD} decimal escape. Other escapes
     * ({@code \"}, {@code \\}) are kept.
     */
    public static String decimalEscapes(String text) {
        if (text.indexOf('\\') < 0) {
            return text;
        }
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c != '\\' || i + 1 >= text.length()) {
                out.append(c);
                continue;
            }
            if (i + 3 < text.length()
                    && octal(text.charAt(i + 1))
                    && octal(text.charAt(i + 2))
                    && octal(text.charAt(i + 3))) {
                int value = Integer.parseInt(text.substring(i + 1, i + 4), 8);
                if (value > 0x20 && value < 0x7f && "\"\\.;() ".indexOf(value) < 0) {
                    out.append((char) value);
                } else {
                    out.append('\\').append(String.format(Locale.ROOT, "%03d", value));
                }
                i += 3;
            } else {
                out.append(c).append(text.charAt(i + 1));
                i++;
            }
        }
        return out.toString();
    }

    private static boolean octal(char c) {
        return c >= '0' && c <= '7';
    }
}
