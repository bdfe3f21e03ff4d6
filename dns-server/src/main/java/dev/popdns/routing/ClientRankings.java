package dev.popdns.routing;

import dev.popdns.geoip.GeoLocator;
import dev.popdns.geoip.NetworkTable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Client network to the ranking of every geo name, for one {@link RoutingTable} and one GeoIP
 * database: built once beside the served snapshot (at start, on a pops.yaml reload, on a GeoIP
 * reload) and swapped in with it. A query's whole GeoIP and ranking work is {@link #find} and
 * {@link #ranking}: one lookup in a {@link NetworkTable}, no database decode, no distance, no
 * allocation.
 *
 * <p>A class is one distinct tuple of rankings (one per geo name, overrides and bias included);
 * every database record is classified once by {@link Router#rank}, so the table agrees with
 * ranking the record's location directly. Adjacent networks of one class merge, and the merged
 * block is the ECS scope. Immutable and thread-safe.
 */
public final class ClientRankings {
    /** The prefix reported without a database: wider than any source prefix, so scope = source. */
    public static final int NO_DATABASE_PREFIX = 128;

    /**
     * PoPs a class keeps of each ranking. Whole rankings make nearly every location a class of its
     * own once there are many PoPs (50 PoPs: the build ran out of a 128 MiB heap); the first eight
     * decide every answer unless all eight are out, and then {@link #whole} ranks them all.
     */
    static final int DEPTH = 8;

    private final NetworkTable networks;
    private final Ranking[][] byClass;
    private final boolean[] unknown;
    private final GeoLocator geo;

    private ClientRankings(NetworkTable networks, Ranking[][] byClass, GeoLocator geo) {
        this.networks = networks;
        this.byClass = byClass;
        this.geo = geo;
        this.unknown = new boolean[byClass.length];
        for (int c = 0; c < byClass.length; c++) {
            boolean all = true;
            for (Ranking r : byClass[c]) {
                all &= r.unknown();
            }
            unknown[c] = all;
        }
    }

    /**
     * Walks the GeoIP database once and ranks every record's location for every geo name of
     * {@code table}. Takes 1-3 s with GeoLite2 City (BENCHMARKS.md "Geo table"); runs on the
     * calling thread, never on a query thread.
     *
     * @throws IOException when the database cannot be read
     */
    public static ClientRankings build(RoutingTable table, GeoLocator geo) throws IOException {
        List<GeoName> names = table.names();
        Map<String, Integer> ids = new HashMap<>();
        List<Ranking[]> classes = new ArrayList<>();
        StringBuilder key = new StringBuilder();
        NetworkTable networks = geo.buildTable(location -> {
            boolean located = location != null && location.hasCoordinates();
            int[] byDistance = located ? Router.byDistance(table, location.latitude(), location.longitude()) : null;
            Ranking[] rankings = new Ranking[names.size()];
            key.setLength(0);
            for (int n = 0; n < rankings.length; n++) {
                Ranking r =
                        Router.rank(table, names.get(n), location, byDistance).first(DEPTH);
                rankings[n] = r;
                key.append(r.pinned() ? 'p' : r.unknown() ? 'u' : 'n');
                for (int pop : r.order()) {
                    key.append((char) pop);
                }
            }
            return ids.computeIfAbsent(key.toString(), k -> {
                classes.add(rankings);
                return classes.size() - 1;
            });
        });
        return new ClientRankings(networks, classes.toArray(new Ranking[0][]), geo);
    }

    /** Without a GeoIP database: every client unknown, so HQ first (scope = the source prefix). */
    public static ClientRankings unlocated(RoutingTable table) {
        List<GeoName> names = table.names();
        Ranking[] rankings = new Ranking[names.size()];
        for (int n = 0; n < rankings.length; n++) {
            rankings[n] = Router.rank(table, names.get(n), null);
        }
        return new ClientRankings(null, new Ranking[][] {rankings}, null);
    }

    /**
     * The client class of {@code address} and the prefix of its merged block, packed: read with
     * {@link NetworkTable#classOf} and {@link NetworkTable#prefixOf}.
     *
     * @param address 4 or 16 bytes
     */
    public int find(byte[] address) {
        return networks == null ? NO_DATABASE_PREFIX : networks.find(address);
    }

    /** {@link #find} of an IPv4 address held in an int (big-endian), with no array. */
    public int findV4(int address) {
        return networks == null ? NO_DATABASE_PREFIX : networks.findV4(address);
    }

    /** {@link #find} of an IPv6 address held in two longs (big-endian halves), with no array. */
    public int findV6(long high, long low) {
        return networks == null ? NO_DATABASE_PREFIX : networks.findV6(high, low);
    }

    /** The ranking of {@code name} for a {@link #find} result. */
    public Ranking ranking(int found, GeoName name) {
        return byClass[NetworkTable.classOf(found)][name.index()];
    }

    /**
     * The whole ranking of {@code name} for the client at {@code address}, from the GeoIP database
     * itself: for the rare query whose {@link Ranking#cut} ranking had no PoP that could answer.
     * Decodes a database record and allocates; the answer's scope is then the source prefix.
     *
     * @param address 4 or 16 bytes
     */
    public Ranking whole(RoutingTable table, GeoName name, byte[] address) {
        return Router.rank(table, name, geo == null ? null : geo.locate(address));
    }

    /** Whether a {@link #find} result ranks every name without a location (HQ first). */
    public boolean unknown(int found) {
        return unknown[NetworkTable.classOf(found)];
    }

    /** Distinct ranking tuples. */
    public int classes() {
        return byClass.length;
    }

    /** Merged blocks of the table (0 without a database). */
    public int networks() {
        return networks == null ? 0 : networks.networks();
    }

    /** Seconds the last build took (0 without a database). */
    public double buildSeconds() {
        return networks == null ? 0 : networks.buildNanos() / 1e9;
    }

    /** Heap held by the table's arrays, in bytes. */
    public long bytes() {
        return networks == null ? 0 : networks.bytes();
    }
}
