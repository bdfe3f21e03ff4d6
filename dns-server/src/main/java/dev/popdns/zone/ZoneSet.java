package dev.popdns.zone;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.xbill.DNS.Name;

/** The immutable set of served zones; a name belongs to the zone with the longest matching origin. */
public final class ZoneSet {
    private final Map<Name, Zone> byOrigin;

    ZoneSet(Map<Name, Zone> byOrigin) {
        this.byOrigin = Map.copyOf(byOrigin);
    }

    public static ZoneSet empty() {
        return new ZoneSet(Map.of());
    }

    /** The zone that is authoritative for {@code name}, or null. */
    public Zone find(Name name) {
        for (int strip = 0; strip < name.labels(); strip++) {
            Zone zone = byOrigin.get(strip == 0 ? name : new Name(name, strip));
            if (zone != null) {
                return zone;
            }
        }
        return null;
    }

    /** This set with {@code zone} in place of the zone of the same origin. */
    public ZoneSet replace(Zone zone) {
        Map<Name, Zone> copy = new java.util.HashMap<>(byOrigin);
        copy.put(zone.origin(), zone);
        return new ZoneSet(copy);
    }

    public Zone get(Name origin) {
        return byOrigin.get(origin);
    }

    /** The zones, sorted by origin. */
    public List<Zone> zones() {
        List<Zone> list = new ArrayList<>(byOrigin.values());
        list.sort(Comparator.comparing(Zone::origin));
        return list;
    }

    public int size() {
        return byOrigin.size();
    }

    Collection<Zone> all() {
        return byOrigin.values();
    }
}
