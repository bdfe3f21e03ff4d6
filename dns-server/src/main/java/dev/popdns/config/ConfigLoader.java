package dev.popdns.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

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

    private ConfigLoader() {}

    /** The file's shape; every key optional, defaults applied in {@link #load}. */
    record FileConfig(
            @JsonProperty("listen") List<String> listen,
            @JsonProperty("http") String http,
            @JsonProperty("zones") String zones,
            @JsonProperty("threads") Integer threads,
            @JsonProperty("cache-size") Long cacheSize,
            @JsonProperty("identity") String identity,
            @JsonProperty("nsid") Boolean nsid,
            @JsonProperty("version") String version,
            @JsonProperty("tcp-idle-timeout") Integer tcpIdleTimeout,
            @JsonProperty("tcp-max-connections") Integer tcpMaxConnections,
            @JsonProperty("geoip") String geoip,
            @JsonProperty("geoip-cache-size") Integer geoipCacheSize,
            @JsonProperty("probes") Boolean probes,
            @JsonProperty("admin-token-file") String adminTokenFile) {
        static FileConfig empty() {
            return new FileConfig(null, null, null, null, null, null, null, null, null, null, null, null, null, null);
        }
    }

    /** Command-line flags; null or empty means "not given". */
    public record Overrides(Path config, Path zones, List<String> listen, String http, Path geoip, boolean noProbes) {}

    /**
     * Loads the config file named in {@code overrides} (if any) and applies the flags on top.
     *
     * @throws ConfigException naming the file, line and problem
     */
    public static ServerConfig load(Overrides overrides) throws ConfigException {
        FileConfig file = FileConfig.empty();
        String source = "command line";
        Path base = Path.of("");
        if (overrides.config() != null) {
            source = overrides.config().toString();
            file = read(overrides.config());
            Path parent = overrides.config().toAbsolutePath().getParent();
            base = parent == null ? base : parent;
        }
        List<String> listenText =
                overrides.listen() != null && !overrides.listen().isEmpty()
                        ? overrides.listen()
                        : file.listen() != null ? file.listen() : DEFAULT_LISTEN;
        List<InetSocketAddress> listen = new ArrayList<>();
        for (String text : listenText) {
            listen.add(address(source, "listen", text));
        }
        if (listen.isEmpty()) {
            throw new ConfigException(source + ": listen: empty (expected: at least one ADDR:PORT)");
        }
        String httpText =
                overrides.http() != null ? overrides.http() : file.http() != null ? file.http() : DEFAULT_HTTP;
        Path zones = overrides.zones() != null
                ? overrides.zones()
                : file.zones() != null ? base.resolve(file.zones()) : Path.of(DEFAULT_ZONES);
        int threads =
                file.threads() != null ? file.threads() : Runtime.getRuntime().availableProcessors();
        range(source, "threads", threads, 1, 256);
        long cacheSize = file.cacheSize() != null ? file.cacheSize() : DEFAULT_CACHE_SIZE;
        range(source, "cache-size", cacheSize, 0, 100_000_000);
        String identity = file.identity() != null ? emptyToNull(file.identity()) : hostName();
        String version = file.version() != null ? emptyToNull(file.version()) : "popdns " + softwareVersion();
        int idle = file.tcpIdleTimeout() != null ? file.tcpIdleTimeout() : DEFAULT_TCP_IDLE_TIMEOUT;
        range(source, "tcp-idle-timeout", idle, 1, 3600);
        int maxConnections = file.tcpMaxConnections() != null ? file.tcpMaxConnections() : DEFAULT_TCP_MAX_CONNECTIONS;
        range(source, "tcp-max-connections", maxConnections, 1, 1_000_000);
        boolean nsid = file.nsid() == null || file.nsid();
        Path geoip = overrides.geoip() != null
                ? overrides.geoip()
                : file.geoip() != null ? base.resolve(file.geoip()) : null;
        if (file.geoipCacheSize() != null) {
            // the key of the former GeoIP network cache: named, so that an old file fails clearly
            throw new ConfigException(source + ": geoip-cache-size: " + file.geoipCacheSize()
                    + " (expected: no such key; the GeoIP client table replaced the cache: remove the line)");
        }
        return new ServerConfig(
                listen,
                address(source, "http", httpText),
                zones,
                threads,
                cacheSize,
                identity,
                nsid,
                version,
                idle,
                maxConnections,
                geoip,
                !overrides.noProbes() && (file.probes() == null || file.probes()),
                file.adminTokenFile() == null ? null : base.resolve(file.adminTokenFile()));
    }

    private static FileConfig read(Path path) throws ConfigException {
        ObjectMapper mapper = new ObjectMapper(new YAMLFactory())
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);
        try {
            if (Files.size(path) == 0) {
                return FileConfig.empty();
            }
            FileConfig config = mapper.readValue(path.toFile(), FileConfig.class);
            return config == null ? FileConfig.empty() : config;
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            String where = at == null ? path.toString() : path + ":" + at.getLineNr();
            throw new ConfigException(
                    where + ": " + e.getOriginalMessage().lines().findFirst().orElse(""));
        } catch (IOException e) {
            throw new ConfigException(path + ": cannot read: " + e.getMessage());
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
        if (host.isEmpty() || port < 0 || port > 65535 || !(isLiteral(host))) {
            throw new ConfigException(source + ": " + key + ": '" + text
                    + "' (expected: ADDR:PORT with a literal address, [::1]:53 for IPv6)");
        }
        try {
            return new InetSocketAddress(InetAddress.getByName(host), port);
        } catch (UnknownHostException e) {
            throw new ConfigException(source + ": " + key + ": '" + text + "': " + e.getMessage());
        }
    }

    private static boolean isLiteral(String host) {
        return host.contains(":") || host.chars().allMatch(c -> c == '.' || (c >= '0' && c <= '9'));
    }

    private static void range(String source, String key, long value, long min, long max) throws ConfigException {
        if (value < min || value > max) {
            throw new ConfigException(source + ": " + key + ": " + value + " (expected: " + min + ".." + max + ")");
        }
    }

    private static String emptyToNull(String s) {
        return s.isBlank() ? null : s;
    }

    private static String softwareVersion() {
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
