package dev.popdns.config;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reads {@code popdns.yaml} and the command-line overrides into a {@link ServerConfig}. Unknown
 * keys are errors; every error names {@code file:line} and the value with its expected range.
 */
public final class ConfigLoader {
    public static final String DEFAULT_ZONES = "zones";
    public static final List<String> DEFAULT_LISTEN = List.of("127.0.0.1:5300", "[::1]:5300");
    public static final String DEFAULT_HTTP = "127.0.0.1:8053";
    public static final long DEFAULT_CACHE_SIZE = 100_000;
    public static final int DEFAULT_TCP_IDLE_TIMEOUT = 10;
    public static final int DEFAULT_TCP_MAX_CONNECTIONS = 1000;
    public static final int DEFAULT_TCP_MAX_CONNECTIONS_PER_CLIENT = 16;
    public static final int DEFAULT_TCP_MAX_IN_FLIGHT = 32;

    /** A DNS host name (letters, digits, hyphens; dot-separated labels), optionally fully qualified. */
    private static final java.util.regex.Pattern HOST_NAME = java.util.regex.Pattern.compile(
            "(?i)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\\.?");

    private final Overrides overrides;
    private final FileConfig file;
    /** The file's name for error messages, or {@code command line} when there is no file. */
    private final String source;
    /** The file's directory: relative paths in the file are resolved against it. */
    private final Path base;

    private ConfigLoader(Overrides overrides, FileConfig file, String source, Path base) {
        this.overrides = overrides;
        this.file = file;
        this.source = source;
        this.base = base;
    }

    /**
     * The file's shape; every key optional (null), defaults applied in {@link #merge}.
     *
     * @param lines the line of every key written, for range errors found after parsing
     */
    record FileConfig(
            List<String> listen,
            String http,
            String zones,
            Integer threads,
            Long cacheSize,
            String identity,
            Boolean nsid,
            String version,
            Integer tcpIdleTimeout,
            Integer tcpMaxConnections,
            Integer tcpMaxConnectionsPerClient,
            Integer tcpMaxInFlight,
            String geoip,
            Integer geoipCacheSize,
            Boolean probes,
            String adminTokenFile,
            Map<String, String> httpTls,
            String peerListen,
            RateLimitConfig rateLimit,
            String cookieSecretFile,
            List<String> httpHosts,
            List<String> adminFrom,
            Map<String, Integer> lines) {
        static FileConfig empty() {
            return new FileConfig(
                    null,
                    null,
                    null,
                    null,
                    null,
                    null,
                    null,
                    null,
                    null,
                    null,
                    null,
                    null,
                    null,
                    null,
                    null,
                    null,
                    null,
                    null,
                    RateLimitConfig.off(),
                    null,
                    null,
                    null,
                    Map.of());
        }
    }

    static final Set<String> KEYS = Set.of(
            "listen",
            "http",
            "zones",
            "threads",
            "cache-size",
            "identity",
            "nsid",
            "version",
            "tcp-idle-timeout",
            "tcp-max-connections",
            "tcp-max-connections-per-client",
            "tcp-max-in-flight",
            "geoip",
            "geoip-cache-size",
            "probes",
            "admin-token-file",
            "http-tls",
            "peer-listen",
            "rate-limit",
            "cookie-secret-file",
            "http-hosts",
            "admin-from",
            // read by PeersLoader
            "peers",
            "health-agreement");

    /** Command-line flags; null or empty means "not given". */
    public record Overrides(Path config, Path zones, List<String> listen, String http, Path geoip, boolean noProbes) {}

    /**
     * Loads the config file named in {@code overrides} (if any) and applies the flags on top.
     *
     * @throws ConfigException naming the file, line and problem
     */
    public static ServerConfig load(Overrides overrides) throws ConfigException {
        return readFile(overrides).merge();
    }

    /** The file named by {@code --config}; without one, every key takes its flag or default. */
    private static ConfigLoader readFile(Overrides overrides) throws ConfigException {
        if (overrides.config() == null) {
            return new ConfigLoader(overrides, FileConfig.empty(), "command line", Path.of(""));
        }
        String source = overrides.config().toString();
        FileConfig file = read(overrides.config(), source);
        Path parent = overrides.config().toAbsolutePath().getParent();
        return new ConfigLoader(overrides, file, source, parent == null ? Path.of("") : parent);
    }

    /**
     * Each setting from its flag, else the file, else its default, checked in this order: with
     * several errors, the first one found is the one reported.
     */
    private ServerConfig merge() throws ConfigException {
        List<InetSocketAddress> listen = listen();
        Path zones = overrides.zones() != null ? overrides.zones() : resolve(file.zones(), Path.of(DEFAULT_ZONES));
        int threads = ranged("threads", file.threads(), Runtime.getRuntime().availableProcessors(), 1, 256);
        long cacheSize = ranged("cache-size", file.cacheSize(), DEFAULT_CACHE_SIZE, 0, 100_000_000);
        String identity = file.identity() != null ? emptyToNull(file.identity()) : hostName();
        String version = file.version() != null ? emptyToNull(file.version()) : "popdns " + softwareVersion();
        int idle = ranged("tcp-idle-timeout", file.tcpIdleTimeout(), DEFAULT_TCP_IDLE_TIMEOUT, 1, 3600);
        int maxConnections =
                ranged("tcp-max-connections", file.tcpMaxConnections(), DEFAULT_TCP_MAX_CONNECTIONS, 1, 1_000_000);
        int perClient = ranged(
                "tcp-max-connections-per-client",
                file.tcpMaxConnectionsPerClient(),
                DEFAULT_TCP_MAX_CONNECTIONS_PER_CLIENT,
                1,
                1_000_000);
        int inFlight = ranged("tcp-max-in-flight", file.tcpMaxInFlight(), DEFAULT_TCP_MAX_IN_FLIGHT, 1, 65_535);
        Path geoip = geoip();
        ServerConfig.Tls tls = httpTls();
        PeersConfig peers = peers(identity);
        List<String> httpHosts = httpHosts();
        List<AddressRange> adminFrom = adminFrom();
        InetSocketAddress http = http();
        InetSocketAddress peerListen = peerListen();
        return new ServerConfig(
                listen,
                http,
                zones,
                threads,
                cacheSize,
                identity,
                file.nsid() == null || file.nsid(),
                version,
                idle,
                maxConnections,
                perClient,
                inFlight,
                geoip,
                !overrides.noProbes() && (file.probes() == null || file.probes()),
                resolve(file.adminTokenFile(), null),
                tls,
                peerListen,
                peers,
                file.rateLimit(),
                resolve(file.cookieSecretFile(), null),
                httpHosts,
                adminFrom);
    }

    /** {@code --listen} (repeatable), else the file's list, else both loopback addresses. */
    private List<InetSocketAddress> listen() throws ConfigException {
        boolean flag = overrides.listen() != null && !overrides.listen().isEmpty();
        List<String> texts = flag ? overrides.listen() : file.listen() != null ? file.listen() : DEFAULT_LISTEN;
        String where = flag ? "command line" : where("listen");
        List<InetSocketAddress> listen = new ArrayList<>();
        for (String text : texts) {
            listen.add(address(where, "listen", text));
        }
        if (listen.isEmpty()) {
            throw new ConfigException(where + ": listen: empty (expected: at least one ADDR:PORT)");
        }
        return listen;
    }

    /** {@code --http}, else the file's, else {@link #DEFAULT_HTTP}. */
    private InetSocketAddress http() throws ConfigException {
        if (overrides.http() != null) {
            return address("command line", "http", overrides.http());
        }
        return address(where("http"), "http", file.http() != null ? file.http() : DEFAULT_HTTP);
    }

    /** The peers-only HTTP listener, or null. */
    private InetSocketAddress peerListen() throws ConfigException {
        return file.peerListen() == null ? null : address(where("peer-listen"), "peer-listen", file.peerListen());
    }

    /** {@code --geoip}, else the file's, else none; the removed {@code geoip-cache-size} is an error. */
    private Path geoip() throws ConfigException {
        if (file.geoipCacheSize() != null) {
            // the key of the former GeoIP network cache: named, so that an old file fails clearly
            throw new ConfigException(where("geoip-cache-size") + ": geoip-cache-size: " + file.geoipCacheSize()
                    + " (expected: no such key; the GeoIP client table replaced the cache: remove the line)");
        }
        return overrides.geoip() != null ? overrides.geoip() : resolve(file.geoip(), null);
    }

    /** {@code http-tls}: both PEM files, readable now; null for plain HTTP. */
    private ServerConfig.Tls httpTls() throws ConfigException {
        if (file.httpTls() == null) {
            return null;
        }
        String where = where("http-tls");
        if (file.httpTls().get("cert") == null || file.httpTls().get("key") == null) {
            throw new ConfigException(where + ": http-tls: needs both cert and key (expected: PEM files)");
        }
        ServerConfig.Tls tls = new ServerConfig.Tls(
                base.resolve(file.httpTls().get("cert")),
                base.resolve(file.httpTls().get("key")));
        for (Path pem : List.of(tls.cert(), tls.key())) {
            if (!Files.isReadable(pem)) {
                throw new ConfigException(where + ": http-tls: cannot read " + pem + " (expected: a PEM file)");
            }
        }
        return tls;
    }

    /** {@code peers} and {@code health-agreement}, read by {@link PeersLoader}; null when this node decides alone. */
    private PeersConfig peers(String identity) throws ConfigException {
        if (file.lines().containsKey("peers") || file.lines().containsKey("health-agreement")) {
            return PeersLoader.load(overrides.config(), base, identity);
        }
        return null;
    }

    /** {@code http-hosts}: host names without a port, in lower case. */
    private List<String> httpHosts() throws ConfigException {
        List<String> httpHosts = new ArrayList<>();
        for (String host : file.httpHosts() == null ? List.<String>of() : file.httpHosts()) {
            if (!HOST_NAME.matcher(host).matches()) {
                throw new ConfigException(where("http-hosts") + ": http-hosts: '" + host
                        + "' (expected: a host name such as status.example.net, without a port)");
            }
            httpHosts.add(host.toLowerCase(java.util.Locale.ROOT));
        }
        return httpHosts;
    }

    /** {@code admin-from}: addresses and CIDRs, loopback when absent. */
    private List<AddressRange> adminFrom() throws ConfigException {
        if (file.adminFrom() == null) {
            return AddressRange.LOOPBACK;
        }
        List<AddressRange> adminFrom = new ArrayList<>();
        for (String text : file.adminFrom()) {
            AddressRange range = AddressRange.parse(text);
            if (range == null) {
                throw new ConfigException(where("admin-from") + ": admin-from: '" + text
                        + "' (expected: a literal address or CIDR such as 127.0.0.1, 192.0.2.0/24 or 2001:db8::/48)");
            }
            adminFrom.add(range);
        }
        return adminFrom;
    }

    /** The file's {@code value} of {@code key}, else {@code fallback}, within {@code min..max}. */
    private int ranged(String key, Integer value, int fallback, int min, int max) throws ConfigException {
        int v = value != null ? value : fallback;
        range(where(key), key, v, min, max);
        return v;
    }

    private long ranged(String key, Long value, long fallback, long min, long max) throws ConfigException {
        long v = value != null ? value : fallback;
        range(where(key), key, v, min, max);
        return v;
    }

    /** A path written in the file, relative to the file's directory; {@code fallback} when absent. */
    private Path resolve(String text, Path fallback) {
        return text != null ? base.resolve(text) : fallback;
    }

    /** {@code file:line} of {@code key} when the file set it, else the file (a default is at fault). */
    private String where(String key) {
        Integer line = file.lines().get(key);
        return line == null ? source : source + ":" + line;
    }

    private static FileConfig read(Path path, String source) throws ConfigException {
        YamlTree.Node root = YamlTree.read(path);
        if (root instanceof YamlTree.Scalar s && s.text() == null) {
            return FileConfig.empty();
        }
        if (!(root instanceof YamlTree.MapNode top)) {
            throw new ConfigException(source + ":" + root.line() + ": not a mapping (expected: key: value lines)");
        }
        FileReader r = new FileReader(source, top);
        FileConfig config = new FileConfig(
                r.list("listen"),
                r.text("http"),
                r.text("zones"),
                r.integer("threads"),
                r.longValue("cache-size"),
                r.text("identity"),
                r.bool("nsid"),
                r.text("version"),
                r.integer("tcp-idle-timeout"),
                r.integer("tcp-max-connections"),
                r.integer("tcp-max-connections-per-client"),
                r.integer("tcp-max-in-flight"),
                r.text("geoip"),
                r.integer("geoip-cache-size"),
                r.bool("probes"),
                r.text("admin-token-file"),
                r.map("http-tls", Set.of("cert", "key")),
                r.text("peer-listen"),
                RateLimitSection.read(source, top.entries().get("rate-limit"), r.problems),
                r.text("cookie-secret-file"),
                r.list("http-hosts", "a list of host names", "[NAME, ...]"),
                r.list("admin-from", "a list of addresses or CIDRs", "[ADDR/PREFIX, ...]"),
                top.keyLines());
        if (!r.problems.isEmpty()) {
            throw new ConfigException(String.join("\n", r.problems));
        }
        return config;
    }

    /** Reads typed values out of the top-level mapping, collecting every problem with its line. */
    private static final class FileReader {
        private final String source;
        private final YamlTree.MapNode top;
        private final List<String> problems = new ArrayList<>();

        FileReader(String source, YamlTree.MapNode top) {
            this.source = source;
            this.top = top;
            for (String key : top.entries().keySet()) {
                if (!KEYS.contains(key)) {
                    problem(
                            top.keyLines().get(key),
                            key + ": unknown key (expected one of " + new TreeSet<>(KEYS) + ")");
                }
            }
        }

        private void problem(int line, String message) {
            problems.add(source + ":" + line + ": " + message);
        }

        /** The scalar text of {@code key}, or null when absent (a YAML null is absent too). */
        String text(String key) {
            YamlTree.Node node = top.entries().get(key);
            if (node == null) {
                return null;
            }
            if (node instanceof YamlTree.Scalar s) {
                return s.text();
            }
            problem(node.line(), key + ": not a single value");
            return null;
        }

        List<String> list(String key) {
            return list(key, "a list of ADDR:PORT", "[ADDR:PORT, ...]");
        }

        /** A list of scalars; {@code items} and {@code shape} say what was expected, for the errors. */
        List<String> list(String key, String items, String shape) {
            YamlTree.Node node = top.entries().get(key);
            if (node == null) {
                return null;
            }
            if (node instanceof YamlTree.ListNode l) {
                List<String> out = new ArrayList<>();
                for (YamlTree.Node item : l.items()) {
                    if (item instanceof YamlTree.Scalar s && s.text() != null) {
                        out.add(s.text());
                    } else {
                        problem(item.line(), key + ": not a single value (expected: " + items + ")");
                    }
                }
                return out;
            }
            problem(node.line(), key + ": not a list (expected: " + shape + ")");
            return null;
        }

        Long longValue(String key) {
            String text = text(key);
            if (text == null) {
                return null;
            }
            try {
                return Long.parseLong(text);
            } catch (NumberFormatException e) {
                problem(top.entries().get(key).line(), key + ": '" + text + "' (expected: a whole number)");
                return null;
            }
        }

        Integer integer(String key) {
            Long value = longValue(key);
            if (value == null) {
                return null;
            }
            if (value != value.intValue()) {
                problem(
                        top.entries().get(key).line(),
                        key + ": " + value + " (expected: at most " + Integer.MAX_VALUE + ")");
                return null;
            }
            return value.intValue();
        }

        /** A mapping of single values with only {@code allowed} keys, or null when absent. */
        Map<String, String> map(String key, Set<String> allowed) {
            YamlTree.Node node = top.entries().get(key);
            if (node == null) {
                return null;
            }
            if (!(node instanceof YamlTree.MapNode m)) {
                problem(node.line(), key + ": not a mapping (expected: keys " + new TreeSet<>(allowed) + ")");
                return null;
            }
            Map<String, String> out = new java.util.HashMap<>();
            for (Map.Entry<String, YamlTree.Node> entry : m.entries().entrySet()) {
                if (!allowed.contains(entry.getKey())) {
                    problem(
                            m.keyLines().get(entry.getKey()),
                            key + "." + entry.getKey() + ": unknown key (expected one of " + new TreeSet<>(allowed)
                                    + ")");
                } else if (entry.getValue() instanceof YamlTree.Scalar s && s.text() != null) {
                    out.put(entry.getKey(), s.text());
                } else {
                    problem(entry.getValue().line(), key + "." + entry.getKey() + ": not a single value");
                }
            }
            return out;
        }

        Boolean bool(String key) {
            String text = text(key);
            if (text == null) {
                return null;
            }
            if (text.equals("true") || text.equals("false")) {
                return Boolean.valueOf(text);
            }
            problem(top.entries().get(key).line(), key + ": '" + text + "' (expected: true or false)");
            return null;
        }
    }

    /** Parses {@code ADDR:PORT} or {@code [V6ADDR]:PORT}; only literal addresses, never a DNS lookup. */
    static InetSocketAddress address(String source, String key, String text) throws ConfigException {
        int colon = text.lastIndexOf(':');
        String host = colon < 0 ? "" : text.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        } else if (host.contains(":")) {
            host = "";
        }
        int port;
        try {
            port = Integer.parseInt(text.substring(colon + 1));
        } catch (NumberFormatException | IndexOutOfBoundsException e) {
            port = -1;
        }
        InetAddress address = host.isEmpty() ? null : AddressLiteral.parse(host);
        if (address == null || port < 0 || port > 65535) {
            throw new ConfigException(source + ": " + key + ": '" + text
                    + "' (expected: ADDR:PORT with a literal address, [::1]:53 for IPv6)");
        }
        return new InetSocketAddress(address, port);
    }

    private static void range(String source, String key, long value, long min, long max) throws ConfigException {
        if (value < min || value > max) {
            throw new ConfigException(source + ": " + key + ": " + value + " (expected: " + min + ".." + max + ")");
        }
    }

    private static String emptyToNull(String s) {
        return s.isBlank() ? null : s;
    }

    /** popdns's version from the jar manifest ({@code dev} when run from classes). */
    public static String softwareVersion() {
        String v = ConfigLoader.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    /** The kernel's host name; read from /proc so that no resolver is asked. */
    private static String hostName() {
        try {
            String name = Files.readString(Path.of("/proc/sys/kernel/hostname")).trim();
            return name.isEmpty() ? "popdns" : name;
        } catch (IOException e) {
            return "popdns";
        }
    }
}
