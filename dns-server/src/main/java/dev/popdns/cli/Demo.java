package dev.popdns.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.popdns.config.ConfigException;
import dev.popdns.config.ConfigLoader;
import dev.popdns.config.PopsConfig;
import dev.popdns.config.PopsLoader;
import dev.popdns.served.Served;
import dev.popdns.server.Server;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;

/**
 * {@code popdns demo}: the real server on loopback with the bundled zones, the bundled PoPs and,
 * for every PoP and check, a small local HTTP endpoint that plays nginx, Puma or the replica, so
 * that the probes, the routing and the status page all run for real on one machine.
 * {@code popdns demo fail POP CHECK} makes one endpoint fail; {@code demo heal} mends it.
 *
 * <p>The faults are files in {@code DIR/faults/} (DIR defaults to /tmp/popdns-demo), so that the
 * fail and heal commands work from another terminal without any protocol of their own.
 */
final class Demo {
    static final String USAGE = """
            usage: popdns demo [--zones DIR] [--geoip FILE] [--dir DIR]
                   popdns demo fail POP CHECK
                   popdns demo heal POP CHECK
            """;
    /** The demo's checks and the port of each one's endpoint on the PoP's loopback address. */
    static final String[] CHECKS = {"nginx", "puma", "replica"};

    static final int[] PORTS = {18081, 18082, 18083};
    static final String DNS = "127.0.0.1:5300";
    static final String DNS6 = "[::1]:5300";
    static final String HTTP = "127.0.0.1:8053";

    private Demo() {}

    static int run(List<String> args, PrintStream out, PrintStream err) {
        Path zones = Path.of(ConfigLoader.DEFAULT_ZONES);
        Path geoip = Path.of(Explain.DEFAULT_GEOIP);
        Path dir = Path.of(System.getProperty("java.io.tmpdir"), "popdns-demo");
        List<String> positional = new ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if ((a.equals("--zones") || a.equals("--geoip") || a.equals("--dir")) && i + 1 < args.size()) {
                Path value = Path.of(args.get(++i));
                switch (a) {
                    case "--zones" -> zones = value;
                    case "--geoip" -> geoip = value;
                    default -> dir = value;
                }
            } else {
                positional.add(a);
            }
        }
        if (positional.isEmpty()) {
            return serve(zones, geoip, dir, out, err);
        }
        if (positional.size() == 3
                && (positional.get(0).equals("fail") || positional.get(0).equals("heal"))) {
            return fault(dir, positional.get(0).equals("fail"), positional.get(1), positional.get(2), out, err);
        }
        err.print(USAGE);
        return 2;
    }

    private static int fault(Path dir, boolean fail, String pop, String check, PrintStream out, PrintStream err) {
        Path popsFile = dir.resolve("zones").resolve(PopsLoader.FILE);
        PopsConfig pops;
        try {
            pops = PopsLoader.load(dir.resolve("zones"));
        } catch (ConfigException e) {
            err.println("popdns demo: " + e.getMessage());
            return 1;
        }
        if (!Files.exists(popsFile)) {
            err.println("popdns demo: no demo running in " + dir + " (start one with: ./popdns demo)");
            return 1;
        }
        boolean known = pops.pops().stream().anyMatch(p -> p.id().equals(pop));
        if (!known || !List.of(CHECKS).contains(check)) {
            err.println("popdns demo: " + pop + " " + check + " (expected a PoP of " + popIds(pops) + " and a check of "
                    + String.join(", ", CHECKS) + ")");
            return 2;
        }
        Path marker = dir.resolve("faults").resolve(pop + "." + check);
        try {
            Files.createDirectories(marker.getParent());
            if (fail) {
                Files.writeString(marker, "fail\n");
            } else {
                Files.deleteIfExists(marker);
            }
        } catch (IOException e) {
            err.println("popdns demo: " + e.getMessage());
            return 1;
        }
        out.println(
                fail
                        ? pop + " " + check
                                + " now fails. Names that need it move to the next nearest PoP within about 3 s:"
                        : pop + " " + check + " is healthy again. Clients come back after 2 good probes (about 2 s):");
        out.println("  dig @127.0.0.1 -p 5300 +short hachyderm.io A +subnet=145.100.0.0/24");
        out.println("  open http://" + HTTP + "/");
        return 0;
    }

    private static int serve(Path bundled, Path geoip, Path dir, PrintStream out, PrintStream err) {
        if (!Files.isRegularFile(geoip)) {
            err.println("popdns demo: GeoLite2 database missing at " + geoip
                    + " (./popdns demo fetches it; or run geoip/fetch-geolite2.sh)");
            return 1;
        }
        PopsConfig pops;
        List<HttpServer> endpoints = new ArrayList<>();
        Server server;
        try {
            Path zones = dir.resolve("zones");
            Files.createDirectories(zones);
            Files.createDirectories(dir.resolve("faults"));
            try (var old = Files.newDirectoryStream(dir.resolve("faults"))) {
                for (Path f : old) {
                    Files.delete(f);
                }
            }
            try (var files = Files.newDirectoryStream(bundled, "*.zone")) {
                for (Path f : files) {
                    Files.copy(f, zones.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
                }
            }
            pops = PopsLoader.load(bundled);
            if (pops.pops().isEmpty()) {
                err.println("popdns demo: " + bundled.resolve(PopsLoader.FILE) + " declares no PoPs");
                return 1;
            }
            Files.writeString(zones.resolve(PopsLoader.FILE), demoPops(pops));
            Served.load(zones, null);
            int index = 0;
            for (PopsConfig.Pop pop : pops.pops()) {
                InetAddress probe = InetAddress.getByName("127.0.0." + (2 + index++));
                for (int c = 0; c < CHECKS.length; c++) {
                    endpoints.add(endpoint(
                            new InetSocketAddress(probe, PORTS[c]),
                            dir.resolve("faults").resolve(pop.id() + "." + CHECKS[c]),
                            CHECKS[c]));
                }
            }
            Path config = adminConfig(dir);
            server = new Server(ConfigLoader.load(
                    new ConfigLoader.Overrides(config, zones, List.of(DNS, DNS6), HTTP, geoip, false)));
            CountDownLatch stopped = new CountDownLatch(1);
            Server running = server;
            Runtime.getRuntime()
                    .addShutdownHook(new Thread(
                            () -> {
                                running.close();
                                endpoints.forEach(e -> e.stop(0));
                                stopped.countDown();
                            },
                            "demo-stop"));
            server.start();
            print(out, pops, config);
            stopped.await();
            return 0;
        } catch (Served.Invalid e) {
            e.problems().forEach(err::println);
            endpoints.forEach(x -> x.stop(0));
            return 1;
        } catch (IOException | ConfigException e) {
            err.println("popdns demo: cannot start: " + e.getMessage());
            endpoints.forEach(x -> x.stop(0));
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        }
    }

    /** The bundled PoPs, probed on 127.0.0.2.. at the demo's endpoints, with quick timings. */
    static String demoPops(PopsConfig pops) {
        StringBuilder y = new StringBuilder();
        y.append("# Written by `popdns demo`: the bundled PoPs, probed at local endpoints that play their\n")
                .append("# nginx, Puma and replica (a plain HTTP endpoint stands in for PostgreSQL here).\n")
                .append("# `popdns demo fail POP CHECK` makes one of them fail.\npops:\n");
        int index = 0;
        for (PopsConfig.Pop p : pops.pops()) {
            y.append("  ").append(p.id()).append(":\n");
            if (p.hq()) {
                y.append("    hq: true\n");
            }
            y.append(String.format(Locale.ROOT, "    location: [%s, %s]%n", p.latitude(), p.longitude()));
            List<String> addresses = new ArrayList<>();
            for (InetAddress a : p.addresses()) {
                addresses.add(a instanceof Inet4Address ? a.getHostAddress() : "\"" + a.getHostAddress() + "\"");
            }
            y.append("    addresses: ").append(addresses).append('\n');
            if (p.state() == PopsConfig.AdminState.DRAIN) {
                y.append("    state: drain\n");
            }
            if (p.bias() != 0) {
                y.append("    bias: ").append(p.bias()).append('\n');
            }
            y.append("    probe-address: 127.0.0.").append(2 + index++).append('\n');
        }
        y.append("checks:\n");
        y.append("  nginx:   { http: \"http://{address}:")
                .append(PORTS[0])
                .append("/\", host: hachyderm.io, interval: 1s, timeout: 500ms, rise: 2, fall: 2 }\n");
        y.append("  puma:    { http: \"http://{address}:")
                .append(PORTS[1])
                .append("/health\", body: OK, interval: 1s, timeout: 500ms, rise: 2, fall: 2 }\n");
        y.append("  replica: { http: \"http://{address}:")
                .append(PORTS[2])
                .append("/replica\", body: streaming, interval: 1s, timeout: 500ms, rise: 2, fall: 2 }\n");
        y.append("names:\n");
        for (PopsConfig.GeoName n : pops.names().values()) {
            y.append("  ").append(n.name()).append(": { ttl: ").append(n.ttl());
            List<String> needs = new ArrayList<>();
            for (String need : n.needs()) {
                if (List.of(CHECKS).contains(need)) {
                    needs.add(need);
                }
            }
            y.append(", needs: ").append(needs);
            if (!n.countries().isEmpty()) {
                y.append(", countries: ").append(flow(n.countries()));
            }
            if (!n.continents().isEmpty()) {
                y.append(", continents: ").append(flow(n.continents()));
            }
            y.append(" }\n");
        }
        return y.toString();
    }

    private static String flow(java.util.Map<String, String> map) {
        List<String> parts = new ArrayList<>();
        map.forEach((k, v) -> parts.add(k + ": " + v));
        return "{ " + String.join(", ", parts) + " }";
    }

    /** A local endpoint that answers like the service it plays, or 503 while its fault file exists. */
    private static HttpServer endpoint(InetSocketAddress at, Path fault, String check) throws IOException {
        HttpServer http = HttpServer.create(at, 16);
        http.createContext("/", exchange -> {
            boolean failing = Files.exists(fault);
            String body = failing
                    ? "demo fault: " + check + " fails\n"
                    : switch (check) {
                        case "puma" -> "OK";
                        case "replica" -> "streaming, lag 0s\n";
                        default -> "<html><body>hachyderm.io (demo nginx)</body></html>\n";
                    };
            respond(exchange, failing ? 503 : 200, body);
        });
        http.start();
        return http;
    }

    private static void respond(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    /**
     * {@code dir/popdns.yaml} naming the HTTP address and a fresh admin token (random, owner-only),
     * so that {@code popdns drain --config} works against the demo as against a real server.
     */
    private static Path adminConfig(Path dir) throws IOException {
        byte[] random = new byte[24];
        new java.security.SecureRandom().nextBytes(random);
        Path token = dir.resolve("admin-token");
        Files.deleteIfExists(token);
        Files.createFile(
                token,
                java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                        java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
        Files.writeString(token, java.util.HexFormat.of().formatHex(random) + "\n");
        Path config = dir.resolve("popdns.yaml");
        Files.writeString(
                config,
                "# Written by `popdns demo`: the demo's HTTP side and admin token\nhttp: " + HTTP
                        + "\nadmin-token-file: admin-token\n");
        return config;
    }

    private static void print(PrintStream out, PopsConfig pops, Path config) {
        out.println();
        out.println("popdns demo is running: DNS on " + DNS + " and " + DNS6 + ", PoPs " + popIds(pops) + ".");
        out.println();
        out.println("  Status page:  http://" + HTTP + "/");
        out.println();
        out.println("  Ask as clients on three continents would (EDNS Client Subnet):");
        out.println("    dig @127.0.0.1 -p 5300 +short hachyderm.io A +subnet=145.100.0.0/24     # Europe (NL)");
        out.println("    dig @127.0.0.1 -p 5300 +short hachyderm.io AAAA +subnet=8.8.8.0/24      # North America (US)");
        out.println("    dig @127.0.0.1 -p 5300 +short media.hachyderm.io A +subnet=1.1.1.0/24   # Oceania (AU)");
        out.println();
        out.println("  Make a PoP fail and watch the answers move (in another terminal):");
        out.println("    ./popdns demo fail eu-west nginx");
        out.println("    ./popdns demo heal eu-west nginx");
        out.println();
        out.println("  Ask the running server why, and what it sees:");
        out.println(
                "    ./popdns explain hachyderm.io A 145.100.1.1    # live health, overrides, the answer and its TTL");
        out.println("    ./popdns status                                 # PoP x check matrix, overrides, timeline");
        out.println();
        out.println("  Plan maintenance: TTLs shrink so no resolver holds eu-west when the drain starts:");
        out.println("    ./popdns drain eu-west --in 2m --for 10m --reason demo --config " + config);
        out.println("    ./popdns undrain eu-west --config " + config);
        out.println();
        out.println("  Ctrl-C stops everything the demo started.");
        out.flush();
    }

    private static String popIds(PopsConfig pops) {
        List<String> ids = new ArrayList<>();
        pops.pops().forEach(p -> ids.add(p.id()));
        return String.join(", ", ids);
    }
}
