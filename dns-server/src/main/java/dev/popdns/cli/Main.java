package dev.popdns.cli;

import dev.popdns.config.ConfigException;
import dev.popdns.config.ConfigLoader;
import dev.popdns.config.ServerConfig;
import dev.popdns.health.CheckConfig;
import dev.popdns.health.PopTarget;
import dev.popdns.health.ReplicaSpec;
import dev.popdns.served.Served;
import dev.popdns.server.Server;
import dev.popdns.zone.Zone;
import dev.popdns.zone.ZoneSet;
import java.io.PrintStream;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/** The command line: {@code serve}, {@code probe}, {@code check} and the commands below. Exit codes: 0 ok, 1 invalid input, 2 usage. */
public final class Main {
    static final String USAGE = """
            usage: popdns serve [--config FILE] [--zones DIR] [--listen ADDR:PORT]... [--http ADDR:PORT] [--geoip FILE] [--no-probes]
                   popdns probe [--config FILE] [--zones DIR] [--http ADDR:PORT]
                   popdns check [DIR] [--config FILE]
                   popdns explain NAME TYPE CLIENT_IP [--server URL] [--config FILE] [--offline] [--zones DIR] [--geoip FILE]
                   popdns status [--server URL] [--config FILE] [--json] [--timeline N]
                   popdns drain POP --at TIME|--in DURATION --reason TEXT [--for DURATION] [--server URL] [--config FILE]
                   popdns undrain POP [--reason TEXT] [--server URL] [--config FILE]
                   popdns demo [--zones DIR] [--geoip FILE] [--dir DIR] | demo fail POP CHECK | demo heal POP CHECK
                   popdns diff OLD_DIR NEW_DIR [--geoip FILE]
                   popdns import route53 RECORDS.json [--health-checks HEALTHCHECKS.json] --out DIR
            """;

    private Main() {}

    public static void main(String[] args) {
        System.setProperty("org.slf4j.simpleLogger.showDateTime", "true");
        System.setProperty("org.slf4j.simpleLogger.dateTimeFormat", "yyyy-MM-dd'T'HH:mm:ss.SSSXXX");
        System.setProperty("org.slf4j.simpleLogger.showThreadName", "false");
        System.setProperty("org.slf4j.simpleLogger.showShortLogName", "true");
        System.setProperty("org.slf4j.simpleLogger.log.io.netty", "warn");
        if (args.length == 0) {
            System.err.print(USAGE);
            System.exit(2);
        }
        List<String> rest = List.of(args).subList(1, args.length);
        int code = switch (args[0]) {
            case "serve" -> serve(rest, true);
            case "probe" -> serve(rest, false);
            case "check" -> check(rest, System.out, System.err);
            case "explain" -> Explain.run(rest, System.out, System.err);
            case "status" -> Status.run(rest, System.out, System.err);
            case "drain" -> Drain.drain(rest, System.out, System.err);
            case "undrain" -> Drain.undrain(rest, System.out, System.err);
            case "demo" -> Demo.run(rest, System.out, System.err);
            case "diff" -> Diff.run(rest, System.out, System.err);
            case "import" -> Route53Import.run(rest, System.out, System.err);
            case "help", "--help", "-h" -> {
                System.out.print(USAGE);
                yield 0;
            }
            default -> {
                System.err.print("popdns: unknown command '" + args[0] + "'\n" + USAGE);
                yield 2;
            }
        };
        if (code != 0) {
            System.exit(code);
        }
    }

    /**
     * {@code check [DIR] [--config FILE]}: validates a zones directory as the server would load it,
     * and with {@code --config} the popdns.yaml too (peers and agreement included); DIR defaults to
     * the config's {@code zones}.
     */
    static int check(List<String> args, PrintStream out, PrintStream err) {
        List<String> positional = new ArrayList<>();
        Path configFile = null;
        for (int i = 0; i < args.size(); i++) {
            if (args.get(i).equals("--config") && i + 1 < args.size()) {
                configFile = Path.of(args.get(++i));
            } else if (args.get(i).startsWith("--")) {
                err.print(USAGE);
                return 2;
            } else {
                positional.add(args.get(i));
            }
        }
        if (positional.size() > 1) {
            err.print(USAGE);
            return 2;
        }
        Path dir = Path.of(positional.isEmpty() ? ConfigLoader.DEFAULT_ZONES : positional.get(0));
        if (configFile != null) {
            try {
                ServerConfig settings = ConfigLoader.load(new ConfigLoader.Overrides(
                        configFile, positional.isEmpty() ? null : dir, List.of(), null, null, false));
                dir = settings.zones();
                out.println("ok: " + configFile + peersSummary(settings));
            } catch (ConfigException e) {
                err.println(e.getMessage());
                err.println("failed: " + e.getMessage().lines().count() + " error(s) in " + configFile);
                return 1;
            }
        }
        try {
            Served served = Served.load(dir, null);
            ZoneSet zones = served.zones();
            int rrsets = 0;
            StringBuilder names = new StringBuilder();
            for (Zone zone : zones.zones()) {
                rrsets += zone.rrsetCount();
                names.append(names.isEmpty() ? "" : ", ")
                        .append(zone.origin())
                        .append(" serial ")
                        .append(zone.serial());
            }
            String routing = served.pops().pops().isEmpty()
                    ? ""
                    : "; " + served.pops().pops().size() + " PoP(s), "
                            + served.pops().names().size() + " geo name(s)";
            out.println(
                    "ok: " + zones.size() + " zone(s), " + rrsets + " RRsets in " + dir + " (" + names + ")" + routing);
            for (String warning : passwordWarnings(served, dir)) {
                out.println(warning);
            }
            return 0;
        } catch (Served.Invalid e) {
            for (String p : e.problems()) {
                err.println(p);
            }
            err.println("failed: " + e.problems().size() + " error(s) in " + dir);
            return 1;
        }
    }

    /**
     * A warning for every PoP whose {@code postgres-replica} check would send its password to a
     * non-loopback address without {@code sslmode: verify-full}: anyone on the path could pose as
     * the replica (or, below {@code require}, read the password in the clear).
     */
    static List<String> passwordWarnings(Served served, Path dir) {
        List<String> warnings = new ArrayList<>();
        if (served.health() == null) {
            return warnings;
        }
        for (PopTarget pop : served.health().pops()) {
            for (CheckConfig check : pop.checks()) {
                if (check.spec() instanceof ReplicaSpec replica) {
                    replica.unverifiedPasswordHost(pop.probeTarget())
                            .ifPresent(host -> warnings.add("warning: " + dir.resolve("pops.yaml") + ": check "
                                    + check.name() + " of PoP " + pop.id() + " sends its password to " + host
                                    + " with sslmode " + replica.effectiveSslMode()
                                    + (replica.sslMode().isEmpty()
                                                    && !replica.url().contains("sslmode=")
                                            ? " (the default)"
                                            : "")
                                    + ", which does not authenticate the server (expected: sslmode: verify-full"
                                    + " with sslrootcert: CA-FILE, or a loopback address)"));
                }
            }
        }
        return warnings;
    }

    private static String peersSummary(ServerConfig settings) {
        if (settings.peers() == null) {
            return "";
        }
        var peers = settings.peers();
        return "; peers: " + peers.nodes().size() + " node(s) as " + peers.self() + ", down-quorum "
                + peers.downQuorum() + " (" + peers.agreement().required() + " view(s)), stale after "
                + dev.popdns.health.Durations.format(peers.staleAfter());
    }

    /** {@code serve}, or with {@code dns} false {@code probe}: a standalone prober with no DNS listener. */
    private static int serve(List<String> args, boolean dns) {
        String command = dns ? "popdns serve" : "popdns probe";
        Path config = null;
        Path zones = null;
        String http = null;
        Path geoip = null;
        boolean noProbes = false;
        List<String> listen = new ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            String flag = args.get(i);
            if (flag.equals("--no-probes")) {
                noProbes = true;
                continue;
            }
            if (i + 1 >= args.size()) {
                System.err.print(command + ": " + flag + " needs a value\n" + USAGE);
                return 2;
            }
            String value = args.get(++i);
            switch (flag) {
                case "--config" -> config = Path.of(value);
                case "--zones" -> zones = Path.of(value);
                case "--listen" -> listen.add(value);
                case "--http" -> http = value;
                case "--geoip" -> geoip = Path.of(value);
                default -> {
                    System.err.print(command + ": unknown flag " + flag + "\n" + USAGE);
                    return 2;
                }
            }
        }
        if (!dns && (noProbes || !listen.isEmpty() || geoip != null)) {
            System.err.print(command + ": --listen, --geoip and --no-probes are for serve: a prober answers no queries"
                    + " and always probes\n" + USAGE);
            return 2;
        }
        ServerConfig settings;
        try {
            settings = ConfigLoader.load(new ConfigLoader.Overrides(config, zones, listen, http, geoip, noProbes));
        } catch (ConfigException e) {
            System.err.println("popdns: " + e.getMessage());
            return 1;
        }
        if (settings.peers() != null && settings.peers().selfNode().voteOnly() == dns) {
            System.err.println("popdns: peers.nodes." + settings.peers().self()
                    + (dns
                            ? " is vote-only: a standalone prober runs with `popdns probe`"
                            : " is not vote-only: give the prober's node vote-only: true, so its peers know it"
                                    + " answers no queries"));
            return 1;
        }
        Server server = new Server(settings, dns);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            server.close();
                            stopped.countDown();
                        },
                        "shutdown"));
        try {
            server.start();
        } catch (Served.Invalid e) {
            for (String p : e.problems()) {
                System.err.println(p);
            }
            System.err.println("popdns: cannot start: " + e.problems().size() + " error(s)");
            return 1;
        } catch (Exception e) {
            System.err.println("popdns: cannot start: " + e);
            return 1;
        }
        reloadOnHangup(() -> server.reloader().requestReload("SIGHUP"));
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }

    /**
     * SIGHUP reloads the zones. The JDK offers signal handlers only as {@code sun.misc.Signal}
     * (module jdk.unsupported, kept for this use by JEP 260). It is called reflectively because
     * javac warns on every direct use with no way to silence it, and main code compiles with
     * {@code -Werror}.
     */
    private static void reloadOnHangup(Runnable reload) {
        try {
            Class<?> signal = Class.forName("sun.misc.Signal");
            Class<?> handler = Class.forName("sun.misc.SignalHandler");
            Object onHangup = Proxy.newProxyInstance(
                    handler.getClassLoader(),
                    new Class<?>[] {handler},
                    (proxy, method, args) -> switch (method.getName()) {
                        case "handle" -> {
                            reload.run();
                            yield null;
                        }
                        case "hashCode" -> System.identityHashCode(proxy);
                        case "equals" -> proxy == args[0];
                        default -> "SIGHUP: reload";
                    });
            signal.getMethod("handle", signal, handler)
                    .invoke(null, signal.getConstructor(String.class).newInstance("HUP"), onHangup);
        } catch (ReflectiveOperationException e) {
            System.err.println("popdns: SIGHUP will not reload the zones: " + e);
        }
    }
}
