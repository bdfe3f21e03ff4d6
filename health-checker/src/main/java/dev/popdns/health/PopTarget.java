package dev.popdns.health;

import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A PoP as the health checker sees it: where to probe it, what to probe, and its configured
 * admin state.
 *
 * @param id the PoP's id in {@code pops.yaml} ({@code hq}, {@code eu-west})
 * @param address the address put into the checks' templates unless {@code probeAddress} is set;
 *     an IP literal (IPv6 gets bracketed where a URL needs it) or a host name
 * @param probeAddress where to probe instead of {@code address} (a tunnel or private address)
 * @param adminState {@code ACTIVE} or {@code DRAIN}
 * @param checks the checks probed at this PoP, names unique, in the order the view lists them
 */
public record PopTarget(
        String id, String address, Optional<String> probeAddress, AdminState adminState, List<CheckConfig> checks) {
    /**
     * Validates the fields.
     *
     * @throws IllegalArgumentException such as {@code "checks: duplicate name 'nginx' (expected: unique names)"}
     */
    public PopTarget {
        Validation.requireName("pop", id);
        requireAddress("address", address);
        Validation.requirePresent("probe-address", probeAddress).ifPresent(a -> requireAddress("probe-address", a));
        Validation.requirePresent("state", adminState);
        checks = List.copyOf(Validation.requirePresent("checks", checks));
        Set<String> names = new HashSet<>();
        for (CheckConfig check : checks) {
            if (!names.add(check.name())) {
                throw new IllegalArgumentException(
                        "checks: duplicate name '" + check.name() + "' (expected: unique names)");
            }
        }
    }

    /** An active PoP probed at {@code address}. */
    public static PopTarget of(String id, String address, List<CheckConfig> checks) {
        return new PopTarget(id, address, Optional.empty(), AdminState.ACTIVE, checks);
    }

    /** The address the checks' templates are bound to: {@code probeAddress}, else {@code address}. */
    public String probeTarget() {
        return probeAddress.orElse(address);
    }

    private static void requireAddress(String key, String value) {
        Validation.requireText(key, value);
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (!(Character.isLetterOrDigit(c) && c < 128 || c == '.' || c == ':' || c == '-' || c == '%')) {
                throw new IllegalArgumentException(
                        key + ": '" + value + "' (expected: an IPv4 or IPv6 literal or a host name)");
            }
        }
    }
}
