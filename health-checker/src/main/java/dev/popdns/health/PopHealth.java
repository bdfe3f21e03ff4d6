package dev.popdns.health;

import java.util.List;
import java.util.Optional;

/**
 * The health of one PoP, as of one {@link HealthView}: its admin state and override and each
 * of its checks. Immutable.
 *
 * @param id the PoP's id
 * @param adminState the configured {@code state}
 * @param override the runtime override in force, if any
 * @param checks one entry per configured check, in configuration order
 */
public record PopHealth(String id, AdminState adminState, Optional<AdminOverride> override, List<CheckHealth> checks) {
    public PopHealth {
        Validation.requirePresent("id", id);
        Validation.requirePresent("adminState", adminState);
        Validation.requirePresent("override", override);
        checks = List.copyOf(checks);
    }

    /** The check named {@code name}, if the PoP has it. */
    public Optional<CheckHealth> check(String name) {
        for (int i = 0; i < checks.size(); i++) {
            if (checks.get(i).check().equals(name)) {
                return Optional.of(checks.get(i));
            }
        }
        return Optional.empty();
    }

    /** Whether the PoP has a check named {@code name} and it is UP. */
    public boolean isUp(String name) {
        for (int i = 0; i < checks.size(); i++) {
            CheckHealth check = checks.get(i);
            if (check.check().equals(name)) {
                return check.up();
            }
        }
        return false;
    }

    /**
     * Whether a name that needs {@code neededChecks} may be answered with this PoP
     * (docs/DESIGN.md "Routing semantics" 3): a {@code FORCE_UP} override says yes and a {@code DRAIN}
     * override says no, whatever else holds; without an override the PoP must be {@code ACTIVE}
     * and every needed check UP (a check the PoP does not have is not UP). Allocates nothing.
     */
    public boolean eligible(List<String> neededChecks) {
        if (override.isPresent()) {
            return override.get().action() == AdminOverride.Action.FORCE_UP;
        }
        if (adminState != AdminState.ACTIVE) {
            return false;
        }
        for (int i = 0; i < neededChecks.size(); i++) {
            if (!isUp(neededChecks.get(i))) {
                return false;
            }
        }
        return true;
    }

    PopHealth withCheck(int index, CheckHealth health) {
        CheckHealth[] copy = checks.toArray(new CheckHealth[0]);
        copy[index] = health;
        return new PopHealth(id, adminState, override, List.of(copy));
    }

    PopHealth withOverride(Optional<AdminOverride> newOverride) {
        return new PopHealth(id, adminState, newOverride, checks);
    }
}
