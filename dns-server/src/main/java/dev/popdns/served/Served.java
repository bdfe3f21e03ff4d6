package dev.popdns.served;

import dev.popdns.config.ConfigException;
import dev.popdns.config.HealthConfigBuilder;
import dev.popdns.config.PopsConfig;
import dev.popdns.config.PopsLoader;
import dev.popdns.health.HealthConfig;
import dev.popdns.routing.RoutingTable;
import dev.popdns.zone.ZoneLoadException;
import dev.popdns.zone.ZoneLoader;
import dev.popdns.zone.ZoneProblem;
import dev.popdns.zone.ZoneSet;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Everything a zones directory defines, loaded and validated together: the zone files and
 * {@code pops.yaml} compiled into a routing table. Start-up, reload and {@code check} all use
 * {@link #load}, so they accept and reject the same things.
 *
 * @param pops   the parsed pops.yaml (empty when the directory has none)
 * @param health the probes to run, or null when pops.yaml declares no checks
 */
public record Served(ZoneSet zones, RoutingTable routing, PopsConfig pops, HealthConfig health) {

    /** A zones directory that cannot be served; every problem as {@code file:line: message}. */
    public static final class Invalid extends Exception {
        @java.io.Serial
        private static final long serialVersionUID = 1L;

        private final transient List<String> problems;

        public Invalid(List<String> problems) {
            super(problems.size() + " error(s), first: " + problems.get(0));
            this.problems = List.copyOf(problems);
        }

        public List<String> problems() {
            return problems;
        }
    }

    /**
     * Loads the directory.
     *
     * @param previous the zones served now (serial checks), or null
     */
    public static Served load(Path dir, ZoneSet previous) throws Invalid {
        List<String> problems = new ArrayList<>();
        ZoneSet zones = null;
        try {
            zones = ZoneLoader.load(dir, previous);
        } catch (ZoneLoadException e) {
            for (ZoneProblem p : e.problems()) {
                problems.add(p.toString());
            }
        }
        PopsConfig pops = PopsConfig.none();
        try {
            pops = PopsLoader.load(dir);
        } catch (ConfigException e) {
            problems.addAll(List.of(e.getMessage().split("\n")));
        }
        if (!problems.isEmpty()) {
            throw new Invalid(problems);
        }
        String file = dir.resolve(PopsLoader.FILE).toString();
        RoutingTable.Compiled compiled = null;
        try {
            compiled = RoutingTable.compile(pops, zones, file);
        } catch (ConfigException e) {
            problems.addAll(List.of(e.getMessage().split("\n")));
        }
        HealthConfig health = null;
        try {
            health = HealthConfigBuilder.build(pops, file);
        } catch (ConfigException e) {
            problems.addAll(List.of(e.getMessage().split("\n")));
        }
        if (!problems.isEmpty()) {
            throw new Invalid(problems);
        }
        return new Served(compiled.zones(), compiled.table(), pops, health);
    }
}
