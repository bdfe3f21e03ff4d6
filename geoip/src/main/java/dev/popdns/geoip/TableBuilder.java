package dev.popdns.geoip;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;
import java.util.function.ToIntFunction;

/**
 * Builds a {@link NetworkTable} by walking the search tree of an mmdb file once, as gdnsd does at
 * load: each distinct data record is decoded once (through the MaxMind reader, at the first
 * network that points to it) and classified once; sibling subtrees of one class merge.
 *
 * <p>The MaxMind library walks the tree only to look up an address or to list networks with a
 * decoded record each (21-34 s for GeoLite2 City, measured), so the walk is ours: the tree
 * layout and the metadata keys it needs ({@code node_count}, {@code record_size}, {@code
 * ip_version}) are those of the MaxMind DB File Format Specification 2.0. Runs on the caller's
 * thread; the file is mapped read-only for the build and unmapped by the GC after it.
 */
final class TableBuilder {
    private static final byte[] METADATA_MARKER = "\u00AB\u00CD\u00EFMaxMind.com".getBytes(StandardCharsets.ISO_8859_1);
    private static final int MIXED = -1;

    private final GeoIpDatabase database;
    private final ToIntFunction<Location> classify;
    private final ByteBuffer file;
    private final int nodeCount;
    private final int recordSize;
    private final int nodeBytes;
    private final int ipv4Start;
    private final boolean ipv6;
    /**
     * Class by record value (a data pointer, or nodeCount for "no data"), so that each record is
     * classified once: open addressing on two int arrays (3.5 million lookups, 540,000 keys with
     * GeoLite2 City: a HashMap of boxed keys held 35 MB during the build).
     */
    private int[] memoKeys = new int[1 << 16];

    private int[] memoClasses = new int[1 << 16];
    private int memoSize;
    /** Class by location (prefix 0): records at one city's coordinates share it. */
    private final Map<Location, Integer> byLocation = new HashMap<>();
    /** Decoded country and continent maps by offset: records point to a few hundred shared ones. */
    private final Map<Integer, String> codes = new HashMap<>();

    private final int dataSection;

    private NetworkTable.Blocks blocks;

    private TableBuilder(GeoIpDatabase database, ToIntFunction<Location> classify) throws IOException {
        this.database = database;
        this.classify = classify;
        Path path = database.info.path();
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            this.file = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size());
        }
        Map<String, Long> metadata = metadata(file, path);
        this.nodeCount = Math.toIntExact(metadata.get("node_count"));
        this.recordSize = Math.toIntExact(metadata.get("record_size"));
        if (recordSize != 24 && recordSize != 28 && recordSize != 32) {
            throw new IOException(
                    "GeoIP database " + path + ": record_size " + recordSize + " (expected: 24, 28 or 32)");
        }
        this.nodeBytes = recordSize / 4;
        this.ipv6 = metadata.get("ip_version") == 6;
        int node = 0;
        if (ipv6) {
            for (int i = 0; i < 96 && node < nodeCount; i++) {
                node = record(node, 0);
            }
        }
        this.ipv4Start = node;
        this.dataSection = nodeCount * nodeBytes + 16;
    }

    /** Walks the tree of {@code database}, classifying every record with {@code classify}. */
    static NetworkTable build(GeoIpDatabase database, ToIntFunction<Location> classify) throws IOException {
        long start = System.nanoTime();
        TableBuilder builder = new TableBuilder(database, classify);
        NetworkTable.Blocks v4 = builder.walkFrom(builder.ipv4Start, 96);
        v4.trim(); // before the IPv6 walk: the heap holds one family's spare capacity at a time
        NetworkTable.Blocks v6 = builder.ipv6
                ? builder.walkFrom(0, 0)
                : builder.single(builder.classOf(builder.nodeCount)); // an IPv4-only file
        return new NetworkTable(v4, v6, System.nanoTime() - start);
    }

    private NetworkTable.Blocks single(int cls) {
        NetworkTable.Blocks b = new NetworkTable.Blocks();
        b.add(0, 0, 0, cls);
        return b;
    }

    /** The blocks under {@code node}, which sits at {@code depth} of the 128-bit space (96: IPv4). */
    private NetworkTable.Blocks walkFrom(int node, int depth) throws IOException {
        blocks = new NetworkTable.Blocks();
        boolean ipv4 = depth == 96;
        int cls = node < nodeCount ? walk(node, depth, 0, 0, ipv4) : classOf(node);
        if (cls != MIXED) {
            blocks.add(0, 0, depth, cls);
        }
        NetworkTable.Blocks out = blocks;
        if (ipv4) {
            for (int i = 0; i < out.size; i++) {
                out.prefix[i] -= 96;
            }
        }
        return out;
    }

    /**
     * Walks the subtree of {@code node} (the network high:low/depth); returns its class when it
     * holds one class only, else emits its blocks in address order and returns MIXED. A uniform
     * left half is emitted before the right half is walked and taken back if the right half turns
     * out to be the same class, so that blocks come out sorted without a sort.
     */
    private int walk(int node, int depth, long high, long low, boolean ipv4) throws IOException {
        int left = child(record(node, 0), depth + 1, high, low, ipv4);
        if (left != MIXED) {
            blocks.add(high, low, depth + 1, left);
        }
        long rightHigh = depth < 64 ? high | 1L << (63 - depth) : high;
        long rightLow = depth < 64 ? low : low | 1L << (127 - depth);
        int right = child(record(node, 1), depth + 1, rightHigh, rightLow, ipv4);
        if (left != MIXED && right == left && left != NetworkTable.ALIAS) {
            blocks.removeLast(); // the right half emitted nothing: the last block is the left half
            return left;
        }
        if (right != MIXED) {
            blocks.add(rightHigh, rightLow, depth + 1, right);
        }
        return MIXED;
    }

    private int child(int value, int depth, long high, long low, boolean ipv4) throws IOException {
        if (value >= nodeCount) {
            return classOf(value);
        }
        if (value == ipv4Start && !ipv4) {
            return NetworkTable.ALIAS; // the IPv4 space again (::/96, ::ffff:0:0/96, 2002::/16, ...)
        }
        return walk(value, depth, high, low, ipv4);
    }

    /**
     * The class of a record value: the record is decoded once, and a location seen before (many
     * records share a city's coordinates) is classified once.
     */
    private int classOf(int value) throws IOException {
        int slot = slot(value);
        if (memoKeys[slot] == value + 1) {
            return memoClasses[slot];
        }
        Location location = value > nodeCount ? location(dataSection + value - nodeCount - 16) : null;
        Integer cls = byLocation.get(location);
        if (cls == null) {
            cls = classify.applyAsInt(location);
            if (cls < 0 || cls >= NetworkTable.MAX_CLASSES) {
                throw new IllegalArgumentException(
                        "class: " + cls + " (expected: 0.." + (NetworkTable.MAX_CLASSES - 1) + ")");
            }
            byLocation.put(location, cls);
        }
        remember(value, cls);
        return cls;
    }

    /** The slot holding {@code value}, or the empty one where it would go (keys stored + 1; 0 = empty). */
    private int slot(int value) {
        int mask = memoKeys.length - 1;
        int i = (value * 0x9E3779B9) >>> 7 & mask;
        while (memoKeys[i] != 0 && memoKeys[i] != value + 1) {
            i = (i + 1) & mask;
        }
        return i;
    }

    private void remember(int value, int cls) {
        if (2 * (memoSize + 1) > memoKeys.length) {
            int[] keys = memoKeys;
            int[] values = memoClasses;
            memoKeys = new int[keys.length * 2];
            memoClasses = new int[keys.length * 2];
            for (int i = 0; i < keys.length; i++) {
                if (keys[i] != 0) {
                    int s = slot(keys[i] - 1);
                    memoKeys[s] = keys[i];
                    memoClasses[s] = values[i];
                }
            }
        }
        int s = slot(value);
        memoKeys[s] = value + 1;
        memoClasses[s] = cls;
        memoSize++;
    }

    /*
     * The record decoder. GeoIpDatabase.resolve (the MaxMind reader) costs a tree walk and a full
     * decode per call, 4-8 us on this machine under load: 2-4 s for GeoLite2 City's 540,000
     * records, most of the build. This reads only what resolve reads (location.latitude and
     * longitude, country.iso_code, continent.code) and skips the rest without decoding it; the
     * shared country and continent maps are decoded once. NetworkTableTest checks it against the
     * reader on 200,000 addresses.
     */

    /** The record at {@code at} as GeoIpDatabase.resolve builds it (prefix 0), or null. */
    private Location location(int at) {
        int[] pos = follow(new int[] {at});
        int entries = mapSize(pos);
        if (entries < 0) {
            return null; // not a map: the reader fails to decode it, and a failed lookup is no location
        }
        double latitude = Double.NaN;
        double longitude = Double.NaN;
        String country = null;
        String continent = null;
        for (int e = 0; e < entries; e++) {
            String key = string(pos);
            switch (key == null ? "" : key) {
                case "location" -> {
                    double[] coordinates = coordinates(pos);
                    latitude = coordinates[0];
                    longitude = coordinates[1];
                }
                case "country" -> country = code(pos, "iso_code");
                case "continent" -> continent = code(pos, "code");
                default -> skip(pos);
            }
        }
        boolean hasCoordinates =
                database.kind == GeoIpDatabase.Kind.CITY && !Double.isNaN(latitude) && !Double.isNaN(longitude);
        if (country == null && continent == null && !hasCoordinates) {
            return null;
        }
        return new Location(
                hasCoordinates ? latitude : Double.NaN, hasCoordinates ? longitude : Double.NaN, country, continent, 0);
    }

    /** Latitude and longitude of a location map (NaN where missing); advances past the value. */
    private double[] coordinates(int[] pos) {
        double[] out = {Double.NaN, Double.NaN};
        int[] in = follow(pos);
        int entries = mapSize(in);
        if (entries < 0) {
            skip(in);
        }
        for (int e = 0; e < entries; e++) {
            String key = string(in);
            int[] value = follow(in); // shared values (a country's centre) sit behind pointers
            int control = file.get(value[0]) & 0xFF;
            if (("latitude".equals(key) || "longitude".equals(key)) && control == (3 << 5 | 8)) {
                out["latitude".equals(key) ? 0 : 1] = file.getDouble(value[0] + 1);
                value[0] += 9;
            } else {
                skip(value);
            }
        }
        return out;
    }

    /** The string under {@code field} of a country or continent map; advances past the value. */
    private String code(int[] pos, String field) {
        int[] in = follow(pos);
        boolean shared = in != pos; // behind a pointer: decoded once; inline: read in passing
        int mapAt = in[0];
        if (shared && codes.containsKey(mapAt)) {
            return codes.get(mapAt);
        }
        String found = null;
        int entries = mapSize(in);
        if (entries < 0) {
            skip(in);
        }
        for (int e = 0; e < entries; e++) {
            String key = string(in);
            if (field.equals(key)) {
                found = string(in);
            } else {
                skip(in);
            }
        }
        if (shared) {
            codes.put(mapAt, found);
        }
        return found;
    }

    /**
     * Where the value at pos[0] really is: past a pointer, at its target (and pos[0] moves past the
     * pointer); else pos[0] itself (a fresh cursor that the caller advances, and pos follows).
     */
    private int[] follow(int[] pos) {
        int control = file.get(pos[0]) & 0xFF;
        if (control >>> 5 != 1) {
            return pos;
        }
        int target = pointer(pos);
        return new int[] {dataSection + target};
    }

    /** Reads a pointer at pos[0] (advancing past it) and returns its offset in the data section. */
    private int pointer(int[] pos) {
        int control = file.get(pos[0]++) & 0xFF;
        int v = control & 7;
        return switch (control >>> 3 & 3) {
            case 0 -> v << 8 | next(pos, 1);
            case 1 -> (v << 16 | next(pos, 2)) + 2048;
            case 2 -> (v << 24 | next(pos, 3)) + 526_336;
            default -> next(pos, 4);
        };
    }

    private int next(int[] pos, int bytes) {
        int v = uint(pos[0], bytes);
        pos[0] += bytes;
        return v;
    }

    /** A map's entry count, advancing past its control bytes; -1 (not advancing) for another type. */
    private int mapSize(int[] pos) {
        int control = file.get(pos[0]) & 0xFF;
        if (control >>> 5 != 7) {
            return -1;
        }
        pos[0]++;
        return size(control, pos);
    }

    /** A string (following a pointer), or null for another type; advances past the value. */
    private String string(int[] pos) {
        int[] in = follow(pos);
        int control = file.get(in[0]) & 0xFF;
        if (control >>> 5 != 2) {
            skip(in);
            return null;
        }
        in[0]++;
        int size = size(control, in);
        byte[] bytes = new byte[size];
        file.get(in[0], bytes);
        in[0] += size;
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /** Advances past one value without decoding it (a pointer is skipped, not followed). */
    private void skip(int[] pos) {
        int control = file.get(pos[0]) & 0xFF;
        int type = control >>> 5;
        if (type == 1) {
            pointer(pos);
            return;
        }
        pos[0]++;
        if (type == 0) {
            type = 7 + (file.get(pos[0]++) & 0xFF);
        }
        int size = size(control, pos);
        switch (type) {
            case 7 -> {
                for (int i = 0; i < 2 * size; i++) {
                    skip(pos);
                }
            }
            case 11 -> {
                for (int i = 0; i < size; i++) {
                    skip(pos);
                }
            }
            case 14 -> {} // boolean: the value is the size
            default -> pos[0] += size;
        }
    }

    private int size(int control, int[] pos) {
        int size = control & 0x1F;
        return switch (size) {
            case 29 -> 29 + next(pos, 1);
            case 30 -> 285 + next(pos, 2);
            case 31 -> 65_821 + next(pos, 3);
            default -> size;
        };
    }

    /** Left (0) or right (1) record of a node, in the layout of its record size. */
    private int record(int node, int side) {
        int at = node * nodeBytes;
        return switch (recordSize) {
            case 24 -> uint(at + side * 3, 3);
            case 28 ->
                side == 0
                        ? (file.get(at + 3) & 0xF0) << 20 | uint(at, 3)
                        : (file.get(at + 3) & 0x0F) << 24 | uint(at + 4, 3);
            default -> uint(at + side * 4, 4);
        };
    }

    private int uint(int at, int bytes) {
        int v = 0;
        for (int i = 0; i < bytes; i++) {
            v = v << 8 | (file.get(at + i) & 0xFF);
        }
        return v;
    }

    /**
     * The unsigned integers of the metadata map (the map after the last marker in the file); other
     * values are skipped. Keys may be pointers into the metadata section.
     */
    private static Map<String, Long> metadata(ByteBuffer file, Path path) throws IOException {
        int at = -1;
        for (int i = file.limit() - METADATA_MARKER.length; i >= Math.max(0, file.limit() - 128 * 1024); i--) {
            if (matches(file, i)) {
                at = i + METADATA_MARKER.length;
                break;
            }
        }
        if (at < 0) {
            throw new IOException("GeoIP database " + path + ": no metadata marker");
        }
        ByteBuffer in = file.duplicate().position(at);
        Object map = value(in, at, path);
        if (!(map instanceof Map<?, ?> entries)) {
            throw new IOException("GeoIP database " + path + ": metadata is not a map");
        }
        Map<String, Long> out = new HashMap<>();
        for (String needed : new String[] {"node_count", "record_size", "ip_version"}) {
            if (!(entries.get(needed) instanceof Long v)) {
                throw new IOException("GeoIP database " + path + ": metadata without " + needed);
            }
            out.put(needed, v);
        }
        return out;
    }

    /**
     * Decodes the value at the position (advancing past it): unsigned integers as Long, strings,
     * maps; anything else as null. {@code base} is where pointers count from.
     */
    private static Object value(ByteBuffer in, int base, Path path) throws IOException {
        int control = in.get() & 0xFF;
        int type = control >>> 5;
        if (type == 1) {
            int bits = control >>> 3 & 3;
            int v = control & 7;
            int pointer = switch (bits) {
                case 0 -> v << 8 | (in.get() & 0xFF);
                case 1 -> (v << 16 | uint(in, 2)) + 2048;
                case 2 -> (v << 24 | uint(in, 3)) + 526_336;
                default -> uint(in, 4);
            };
            return value(in.duplicate().position(base + pointer), base, path);
        }
        if (type == 0) {
            type = 7 + (in.get() & 0xFF);
        }
        int size = control & 0x1F;
        size = switch (size) {
            case 29 -> 29 + uint(in, 1);
            case 30 -> 285 + uint(in, 2);
            case 31 -> 65_821 + uint(in, 3);
            default -> size;
        };
        switch (type) {
            case 2 -> {
                byte[] text = new byte[size];
                in.get(text);
                return new String(text, StandardCharsets.UTF_8);
            }
            case 5, 6, 9 -> {
                long v = 0;
                for (int i = 0; i < size; i++) {
                    v = v << 8 | (in.get() & 0xFF);
                }
                return v;
            }
            case 7 -> {
                Map<Object, Object> map = new HashMap<>();
                for (int i = 0; i < size; i++) {
                    Object key = value(in, base, path);
                    map.put(key, value(in, base, path));
                }
                return map;
            }
            case 11 -> {
                for (int i = 0; i < size; i++) {
                    value(in, base, path);
                }
                return null;
            }
            case 14 -> {
                return null; // boolean: the value is the size
            }
            default -> {
                in.position(in.position() + size);
                return null;
            }
        }
    }

    private static int uint(ByteBuffer in, int bytes) {
        int v = 0;
        for (int i = 0; i < bytes; i++) {
            v = v << 8 | (in.get() & 0xFF);
        }
        return v;
    }

    private static boolean matches(ByteBuffer file, int at) {
        for (int j = 0; j < METADATA_MARKER.length; j++) {
            if (file.get(at + j) != METADATA_MARKER[j]) {
                return false;
            }
        }
        return true;
    }
}
