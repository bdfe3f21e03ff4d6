package dev.popdns.config;

import java.net.InetAddress;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code zones/pops.yaml}, validated: the PoPs, the checks and the geo-managed names. The shape
 * is the public contract of docs/DESIGN.md "Configuration"; this is its parsed form.
 *
 * @param pops   PoPs in file order; exactly one has {@code hq}
 * @param checks check names to their definitions, in file order
 * @param names  geo-managed names (absolute, lower case) to their settings, in file order
 * @param lines  the line of every key in the file by its dotted path ({@code checks.nginx.interval},
 *               {@code pops.eu-west.checks.web.http}), so that checks made after parsing (the
 *               health-checker's ranges, the zones) name the line of the key at fault; empty when
 *               the config was not read from a file
 */
public record PopsConfig(
        List<Pop> pops, Map<String, Check> checks, Map<String, GeoName> names, Map<String, Integer> lines) {
    /**
     * The most PoPs one pops.yaml may declare: the response cache keys an answer by its routing
     * decision in one byte (0 not routed, 1 NODATA, 2 + PoP index), so more would mix answers.
     */
    public static final int MAX_POPS = 254;

    public PopsConfig {
        pops = List.copyOf(pops);
        // file order is kept: logs, explain and the status page list things as the operator wrote them
        checks = Collections.unmodifiableMap(new LinkedHashMap<>(checks));
        names = Collections.unmodifiableMap(new LinkedHashMap<>(names));
        lines = Map.copyOf(lines);
    }

    /** A config built in code (import, tests): no file lines. */
    public PopsConfig(List<Pop> pops, Map<String, Check> checks, Map<String, GeoName> names) {
        this(pops, checks, names, Map.of());
    }

    public static PopsConfig none() {
        return new PopsConfig(List.of(), Map.of(), Map.of());
    }

    /**
     * The line of {@code key} (a dotted path), else of its closest parent that was written, else
     * {@code fallback}: for a missing key, the line of the mapping that lacks it.
     */
    public int line(String key, int fallback) {
        String k = key;
        while (true) {
            Integer line = lines.get(k);
            if (line != null) {
                return line;
            }
            int dot = k.lastIndexOf('.');
            if (dot < 0) {
                return fallback;
            }
            k = k.substring(0, dot);
        }
    }

    /** Admin state of a PoP set in config (reviewed by pull request). */
    public enum AdminState {
        ACTIVE,
        DRAIN
    }

    /**
     * One PoP.
     *
     * @param addresses    the A and AAAA answers for the PoP
     * @param probeAddress where to probe, when not the first address; null otherwise
     * @param checkOverrides per check, the fields that replace the shared check's for this PoP
     *                       (of the check's kind, only the replaced fields set)
     * @param nameAddresses  geo names (absolute, lower case) this PoP answers with addresses of
     *                       their own instead of {@code addresses} ({@code pops.ID.names})
     */
    public record Pop(
            String id,
            boolean hq,
            double latitude,
            double longitude,
            List<InetAddress> addresses,
            AdminState state,
            int bias,
            InetAddress probeAddress,
            Map<String, CheckFields> checkOverrides,
            Map<String, List<InetAddress>> nameAddresses,
            int line) {
        public Pop {
            addresses = List.copyOf(addresses);
            checkOverrides = Map.copyOf(checkOverrides);
            Map<String, List<InetAddress>> copy = new LinkedHashMap<>();
            nameAddresses.forEach((k, v) -> copy.put(k, List.copyOf(v)));
            nameAddresses = Collections.unmodifiableMap(copy);
        }

        /** A PoP that answers every geo name with {@code addresses}. */
        public Pop(
                String id,
                boolean hq,
                double latitude,
                double longitude,
                List<InetAddress> addresses,
                AdminState state,
                int bias,
                InetAddress probeAddress,
                Map<String, CheckFields> checkOverrides,
                int line) {
            this(id, hq, latitude, longitude, addresses, state, bias, probeAddress, checkOverrides, Map.of(), line);
        }

        /** The addresses this PoP answers {@code name} with: its own for the name, else the PoP's. */
        public List<InetAddress> addressesFor(String name) {
            return nameAddresses.getOrDefault(name, addresses);
        }
    }

    /**
     * One check as declared.
     *
     * @param fields its kind, target and fields; what the file does not set is null
     */
    public record Check(String name, CheckFields fields, int line) {}

    /**
     * A geo-managed name.
     *
     * @param countries  ISO country code to PoP id, tried before distance
     * @param continents continent code to PoP id, tried when no country matches
     * @param families   the record types the name answers, {@code A} and/or {@code AAAA} (the other
     *                   family is NODATA everywhere)
     */
    public record GeoName(
            String name,
            long ttl,
            List<String> needs,
            Map<String, String> countries,
            Map<String, String> continents,
            List<String> families,
            int line) {
        public static final List<String> BOTH = List.of("A", "AAAA");

        public GeoName {
            needs = List.copyOf(needs);
            countries = Map.copyOf(countries);
            continents = Map.copyOf(continents);
            families = List.copyOf(families);
        }

        /** A name answering both families. */
        public GeoName(
                String name,
                long ttl,
                List<String> needs,
                Map<String, String> countries,
                Map<String, String> continents,
                int line) {
            this(name, ttl, needs, countries, continents, BOTH, line);
        }

        /** Whether the name answers {@code family} ({@code A} or {@code AAAA}). */
        public boolean answers(String family) {
            return families.contains(family);
        }
    }
}
