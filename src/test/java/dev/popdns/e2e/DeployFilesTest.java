package dev.popdns.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.popdns.config.ConfigLoader;
import dev.popdns.config.ServerConfig;
import dev.popdns.e2e.DnsClient.Transport;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.Message;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * The files of {@code deploy/}: the systemd units (systemd-analyze, and their hardening read key by
 * key), the zone-sync script run for real against a local git repository and a running server,
 * the YAML files parsed, and the example {@code popdns.yaml} through the server's config loader.
 */
class DeployFilesTest {
    private static final Path ROOT = Path.of(System.getProperty("popdns.root", "../.."));
    private static final Path DEPLOY = ROOT.resolve("deploy");
    private static final Path SYNC_SCRIPT = DEPLOY.resolve("zone-sync/popdns-zone-sync.sh");
    private static final YAMLMapper YAML = YAMLMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .build();

    // ---- systemd -------------------------------------------------------------------------------

    @Test
    void systemdUnitsVerify(@TempDir Path dir) throws Exception {
        Path analyze = onPath("systemd-analyze");
        if (analyze == null) {
            System.out.println("DeployFilesTest: systemd-analyze not found; the units are checked by the key-by-key "
                    + "assertions of serverUnitIsHardened and zoneSyncUnitsAreConsistent only");
            assertTrue(
                    parse(DEPLOY.resolve("systemd/popdns.service")).containsKey("Service"),
                    "fallback parser found no [Service]");
            return;
        }
        // The install paths of our own programs do not exist here: point them at the files in deploy/.
        String java = Files.isExecutable(Path.of("/usr/bin/java"))
                ? "/usr/bin/java"
                : Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Map<String, String> installed = Map.of(
                "/usr/lib/popdns/popdns-zone-sync",
                SYNC_SCRIPT.toAbsolutePath().toString(),
                "/usr/bin/geoipupdate",
                "/bin/true",
                "/usr/bin/java",
                java);
        List<String> units = List.of(
                "systemd/popdns.service",
                "zone-sync/popdns-zone-sync.service",
                "zone-sync/popdns-zone-sync.timer",
                "geoipupdate/geoipupdate.service",
                "geoipupdate/geoipupdate.timer");
        List<String> cmd = new ArrayList<>(List.of(analyze.toString(), "verify"));
        for (String unit : units) {
            String text = Files.readString(DEPLOY.resolve(unit));
            for (Map.Entry<String, String> e : installed.entrySet()) {
                text = text.replace(e.getKey(), e.getValue());
            }
            Path copy = dir.resolve(Path.of(unit).getFileName());
            Files.writeString(copy, text);
            cmd.add(copy.toString());
        }
        Run r = run(new ProcessBuilder(cmd), 60);
        System.out.println("DeployFilesTest: systemd-analyze verify " + units + ": exit " + r.exit + ", output: '"
                + r.out.strip() + "'");
        assertEquals(0, r.exit, r.out);
        // it exits 0 even on unknown keys, and only warns: any output is a finding
        assertEquals("", r.out.strip(), "systemd-analyze verify warned");
    }

    @Test
    void serverUnitIsHardened() throws Exception {
        Map<String, Map<String, List<String>>> unit = parse(DEPLOY.resolve("systemd/popdns.service"));
        Map<String, List<String>> service = unit.get("Service");
        assertNotNull(service, "[Service] section");
        Map<String, String> expected = new LinkedHashMap<>();
        expected.put("Type", "exec");
        expected.put("User", "popdns");
        expected.put("Group", "popdns");
        expected.put("AmbientCapabilities", "CAP_NET_BIND_SERVICE");
        expected.put("CapabilityBoundingSet", "CAP_NET_BIND_SERVICE");
        expected.put("NoNewPrivileges", "yes");
        expected.put("ProtectSystem", "strict");
        expected.put("ProtectHome", "yes");
        expected.put("PrivateTmp", "yes");
        expected.put("PrivateDevices", "yes");
        expected.put("ProtectKernelTunables", "yes");
        expected.put("ProtectKernelModules", "yes");
        expected.put("ProtectKernelLogs", "yes");
        expected.put("ProtectControlGroups", "yes");
        expected.put("RestrictAddressFamilies", "AF_INET AF_INET6 AF_UNIX AF_NETLINK");
        expected.put("RestrictNamespaces", "yes");
        expected.put("LockPersonality", "yes");
        expected.put("SystemCallArchitectures", "native");
        expected.put("ReadOnlyPaths", "/var/lib/popdns/zones");
        expected.put("ExecReload", "/bin/kill -HUP $MAINPID");
        expected.put("Restart", "on-failure");
        expected.put("LimitNOFILE", "65536");
        expected.put("SuccessExitStatus", "143");
        expected.put("WorkingDirectory", "/var/lib/popdns");
        expected.put("EnvironmentFile", "-/etc/default/popdns");
        expected.put(
                "ExecStart",
                "/usr/bin/java $JAVA_OPTS -jar /usr/lib/popdns/popdns.jar serve --config /etc/popdns/popdns.yaml");
        for (Map.Entry<String, String> e : expected.entrySet()) {
            assertEquals(List.of(e.getValue()), service.get(e.getKey()), "[Service] " + e.getKey());
        }
        assertTrue(service.containsKey("RestartSec"), "RestartSec");
        crashLoopNeverEndsTheUnit(unit.get("Unit"), service);
        resourcesAreCapped(service);
        bindsOnlyTheConfiguredPorts(service);
        assertEquals(
                List.of(
                        "admin-token:/etc/popdns/admin-token",
                        "cookie-secret:/etc/popdns/cookie-secret",
                        "popdns-pg:/etc/popdns/popdns-pg"),
                service.get("LoadCredential"));
        // the JIT needs W+X memory: the key must be absent, and the unit must say why
        assertFalse(service.containsKey("MemoryDenyWriteExecute"), "MemoryDenyWriteExecute breaks the JVM");
        assertTrue(Files.readString(DEPLOY.resolve("systemd/popdns.service"))
                .contains("Not MemoryDenyWriteExecute=: the JVM's JIT"));
        // a user namespace would take CAP_NET_BIND_SERVICE away from the host's network namespace
        assertFalse(service.containsKey("PrivateUsers"));
        assertFalse(service.containsKey("DynamicUser"));

        String sysusers = Files.readString(DEPLOY.resolve("systemd/popdns.sysusers"));
        assertTrue(Pattern.compile("(?m)^u\\s+popdns\\s").matcher(sysusers).find(), sysusers);
        assertTrue(Pattern.compile("(?m)^u\\s+popdns-sync\\s").matcher(sysusers).find(), sysusers);
        String tmpfiles = Files.readString(DEPLOY.resolve("systemd/popdns.tmpfiles"));
        assertTrue(
                Pattern.compile("(?m)^d\\s+/var/lib/popdns/zones\\s+0755\\s+popdns-sync\\s+popdns-sync")
                        .matcher(tmpfiles)
                        .find(),
                tmpfiles);
        // the socket buffer limits match what the server asks for (DnsTransport.SOCKET_BUFFER, 4 MiB)
        String sysctl = Files.readString(DEPLOY.resolve("systemd/popdns.sysctl"));
        for (String key : List.of("net.core.rmem_max", "net.core.wmem_max")) {
            assertTrue(
                    Pattern.compile("(?m)^" + Pattern.quote(key) + "\\s*=\\s*4194304\\s*$")
                            .matcher(sysctl)
                            .find(),
                    sysctl);
        }
        System.out.println(
                "DeployFilesTest: popdns.service: " + expected.size() + " keys of [Service] checked by the parser");
    }

    @Test
    void zoneSyncUnitsAreConsistent() throws Exception {
        Map<String, List<String>> service =
                parse(DEPLOY.resolve("zone-sync/popdns-zone-sync.service")).get("Service");
        assertEquals(List.of("oneshot"), service.get("Type"));
        assertEquals(List.of("popdns-sync"), service.get("User"));
        assertEquals(List.of("/var/lib/popdns/zones"), service.get("ReadWritePaths"));
        assertEquals(List.of("admin-token:/etc/popdns/admin-token"), service.get("LoadCredential"));
        assertFalse(service.containsKey("MemoryDenyWriteExecute"), "popdns check runs a JVM");
        Map<String, List<String>> timer =
                parse(DEPLOY.resolve("zone-sync/popdns-zone-sync.timer")).get("Timer");
        assertEquals(List.of("minutely"), timer.get("OnCalendar"));
        assertTrue(timer.containsKey("RandomizedDelaySec"));
        // the live directory is named alike everywhere
        assertTrue(Files.readString(DEPLOY.resolve("zone-sync/zone-sync.env"))
                .contains("\nLIVE_DIR=/var/lib/popdns/zones\n"));
        assertEquals(
                "/var/lib/popdns/zones",
                YAML.readTree(DEPLOY.resolve("popdns.yaml").toFile())
                        .get("zones")
                        .asText());
    }

    // ---- zone sync, for real -------------------------------------------------------------------

    private static final String ZONE = """
            $TTL 300
            @ SOA ns1 hostmaster SERIAL 7200 3600 1209600 60
              NS ns1
            ns1 A 192.0.2.1
            www A 192.0.2.2
            """;

    private static String zone(long serial, String extra) {
        return ZONE.replace("SERIAL", Long.toString(serial)) + extra;
    }

    @Test
    void zoneSyncAppliesOnlyCheckedTrees(@TempDir Path dir) throws Exception {
        Sync sync = new Sync(dir);
        Path live = sync.live;

        // 1. a good commit: both files land in the live directory
        sync.commit(
                "first",
                Map.of(
                        "example.test.zone",
                        zone(2026010101, ""),
                        "other.test.zone",
                        zone(1, "").replace("www A", "ftp A")));
        Run r = sync.run(Map.of());
        assertEquals(0, r.exit, r.out);
        assertTrue(r.out.contains("applied to " + live), r.out);
        assertEquals(zone(2026010101, ""), Files.readString(live.resolve("example.test.zone")));
        assertTrue(Files.exists(live.resolve("other.test.zone")));

        // 2. nothing new: a cheap no-op
        r = sync.run(Map.of());
        assertEquals(0, r.exit, r.out);
        assertTrue(r.out.contains("up to date at"), r.out);

        // 3. a broken zone: refused with the checker's file:line, the live directory untouched
        byte[] before = Files.readAllBytes(live.resolve("example.test.zone"));
        sync.commit("broken", Map.of("example.test.zone", zone(2026010102, "www CNAME ns1\n")));
        r = sync.run(Map.of());
        assertEquals(1, r.exit, r.out);
        assertTrue(
                r.out.contains("example.test.zone:6: www.example.test. has a CNAME and other data")
                        && r.out.contains("[cname-exclusive]"),
                r.out);
        assertTrue(r.out.contains("live zones untouched"), r.out);
        assertArrayEquals(before, Files.readAllBytes(live.resolve("example.test.zone")));

        // 4. a valid zone whose serial goes backwards: the server would refuse it, so does the sync
        sync.commit("older", Map.of("example.test.zone", zone(2025010101, "")));
        r = sync.run(Map.of());
        assertEquals(1, r.exit, r.out);
        assertTrue(r.out.contains("example.test. serial 2025010101 is older than the live 2026010101"), r.out);
        assertArrayEquals(before, Files.readAllBytes(live.resolve("example.test.zone")));

        // 5. a symlink in the tree is not followed
        sync.symlink("evil.test.zone", "/etc/hostname");
        r = sync.run(Map.of());
        assertEquals(1, r.exit, r.out);
        assertTrue(r.out.contains("zones/evil.test.zone is not a regular file"), r.out);
        assertFalse(Files.exists(live.resolve("evil.test.zone"), java.nio.file.LinkOption.NOFOLLOW_LINKS));
        sync.git("rm", "-q", "zones/evil.test.zone");
        sync.git("commit", "-q", "-m", "no symlink");

        // 6. fixed, and a zone removed: the live directory follows, the removed file goes
        long inode = (long) Files.getAttribute(live, "unix:ino");
        sync.git("rm", "-q", "zones/other.test.zone");
        sync.commit("fixed", Map.of("example.test.zone", zone(2026010103, "new A 192.0.2.9\n")));
        r = sync.run(Map.of());
        assertEquals(0, r.exit, r.out);
        assertTrue(r.out.contains("changed [example.test.zone] removed [other.test.zone]"), r.out);
        assertEquals(zone(2026010103, "new A 192.0.2.9\n"), Files.readString(live.resolve("example.test.zone")));
        assertFalse(Files.exists(live.resolve("other.test.zone")));
        assertEquals(
                inode, (long) Files.getAttribute(live, "unix:ino"), "the watched directory itself is never replaced");

        // 7. without ZONES_REPO it does nothing and says why
        r = sync.run(Map.of("ZONES_REPO", ""));
        assertEquals(2, r.exit, r.out);
        assertTrue(r.out.contains("ZONES_REPO is not set"), r.out);
    }

    @Test
    void zoneSyncReloadsARunningServer(@TempDir Path dir) throws Exception {
        Sync sync = new Sync(dir);
        sync.commit("first", Map.of("example.test.zone", zone(2026010101, "")));
        assertEquals(0, sync.run(Map.of()).exit);
        Path token = dir.resolve("admin-token");
        Files.writeString(token, "s3cret-token-for-the-deploy-test\n");
        // the script's copy of the token (as under systemd, where each service gets its own credential
        // copy): the server reads its own file again when it changes, so a wrong token is the script's
        Path scriptToken = dir.resolve("script-admin-token");
        Files.copy(token, scriptToken);
        Path config = dir.resolve("popdns.yaml");
        Files.writeString(config, "admin-token-file: " + token + "\n");
        try (ServerProcess server = ServerProcess.start(sync.live, "--config", config.toString())) {
            assertEquals(2026010101L, serial(server));
            Map<String, String> env = Map.of(
                    "ADMIN_TOKEN_FILE", scriptToken.toString(), "POPDNS_HTTP", "http://127.0.0.1:" + server.httpPort);

            sync.commit("second", Map.of("example.test.zone", zone(2026010102, "new A 192.0.2.9\n")));
            Run r = sync.run(env);
            assertEquals(0, r.exit, r.out + "\nserver:\n" + server.logText());
            assertTrue(r.out.contains("server reloaded: ok after"), r.out);
            assertEquals(2026010102L, serial(server), "served right after the script returns");

            sync.commit("broken", Map.of("example.test.zone", zone(2026010103, "new CNAME www\nnew A 192.0.2.9\n")));
            r = sync.run(env);
            assertEquals(1, r.exit, r.out);
            assertEquals(2026010102L, serial(server));

            // a wrong token: the files are applied (the watch reloads them), the script says it could not confirm
            Files.writeString(scriptToken, "not-the-token-the-server-has\n");
            sync.commit("third", Map.of("example.test.zone", zone(2026010104, "")));
            r = sync.run(env);
            assertEquals(3, r.exit, r.out);
            assertTrue(r.out.contains("answered HTTP 401"), r.out);
            assertTrue(
                    server.awaitLog(
                            l -> l.contains("serials example.test.=2026010104"), java.time.Duration.ofSeconds(15)),
                    server.logText());
        }
    }

    private static long serial(ServerProcess server) throws IOException {
        Message m = DnsClient.ask(Transport.UDP, server.v4(), DnsClient.query("example.test.", Type.SOA));
        return ((SOARecord) m.getSection(Section.ANSWER).get(0)).getSerial();
    }

    /** A bare zones repository, a working clone to commit into, and the sync script's directories. */
    private static final class Sync {
        final Path bare;
        final Path work;
        final Path live;
        final Path state;
        final Path popdns;

        Sync(Path dir) throws Exception {
            bare = dir.resolve("zones.git");
            work = dir.resolve("work");
            live = Files.createDirectory(dir.resolve("live"));
            state = dir.resolve("state");
            popdns = dir.resolve("popdns");
            // the packaged jar, as POPDNS: a one-line wrapper keeps paths with spaces intact
            StringBuilder wrapper = new StringBuilder("#!/bin/sh\nexec");
            for (String arg : ServerProcess.javaCommand()) {
                wrapper.append(" '").append(arg.replace("'", "'\\''")).append('\'');
            }
            Files.writeString(popdns, wrapper.append(" \"$@\"\n").toString());
            assertTrue(popdns.toFile().setExecutable(true));
            assertEquals(
                    0,
                    DeployFilesTest.run(new ProcessBuilder("git", "init", "-q", "--bare", bare.toString()), 30).exit);
            assertEquals(0, DeployFilesTest.run(new ProcessBuilder("git", "init", "-q", work.toString()), 30).exit);
            Files.createDirectory(work.resolve("zones"));
        }

        void commit(String message, Map<String, String> files) throws Exception {
            for (Map.Entry<String, String> f : files.entrySet()) {
                Files.writeString(work.resolve("zones").resolve(f.getKey()), f.getValue());
            }
            git("add", "-A");
            git("commit", "-q", "-m", message);
            git("push", "-q", bare.toString(), "HEAD:refs/heads/main");
        }

        void symlink(String name, String target) throws Exception {
            Files.createSymbolicLink(work.resolve("zones").resolve(name), Path.of(target));
            git("add", "-A");
            git("commit", "-q", "-m", "symlink");
            git("push", "-q", bare.toString(), "HEAD:refs/heads/main");
        }

        void git(String... args) throws Exception {
            List<String> cmd = new ArrayList<>(List.of("git", "-C", work.toString()));
            cmd.addAll(List.of(args));
            ProcessBuilder pb = new ProcessBuilder(cmd);
            identity(pb.environment());
            Run r = DeployFilesTest.run(pb, 30);
            assertEquals(0, r.exit, String.join(" ", cmd) + ": " + r.out);
        }

        Run run(Map<String, String> extra) throws Exception {
            ProcessBuilder pb = new ProcessBuilder("bash", SYNC_SCRIPT.toString());
            Map<String, String> env = pb.environment();
            env.remove("ADMIN_TOKEN_FILE");
            env.remove("CREDENTIALS_DIRECTORY");
            env.remove("STATE_DIRECTORY");
            env.put("ZONES_REPO", bare.toString());
            env.put("LIVE_DIR", live.toString());
            env.put("STATE_DIR", state.toString());
            env.put("POPDNS", popdns.toString());
            env.putAll(extra);
            return DeployFilesTest.run(pb, 120);
        }

        private static void identity(Map<String, String> env) {
            env.put("GIT_AUTHOR_NAME", "popdns test");
            env.put("GIT_AUTHOR_EMAIL", "test@popdns.invalid");
            env.put("GIT_COMMITTER_NAME", "popdns test");
            env.put("GIT_COMMITTER_EMAIL", "test@popdns.invalid");
        }
    }

    // ---- YAML ----------------------------------------------------------------------------------

    private static final Set<String> METRICS = Set.of(
            "popdns_queries_total",
            "popdns_answers_total",
            "popdns_query_duration_seconds",
            "popdns_query_duration_seconds_bucket",
            "popdns_response_cache_requests_total",
            "popdns_probe_duration_seconds",
            "popdns_probe_results_total",
            "popdns_health_up",
            "popdns_prober_cut_off",
            "popdns_config_reloads_total",
            "popdns_zone_serial",
            "popdns_geoip_lookups_total",
            "popdns_geoip_table_networks",
            "popdns_geoip_table_classes",
            "popdns_geoip_table_build_seconds",
            "popdns_geoip_build_timestamp_seconds",
            "popdns_peer_up",
            "popdns_peer_view_age_seconds",
            "popdns_health_votes",
            "popdns_health_agreed_up",
            "popdns_health_deciding_alone");

    @Test
    void alertRulesAreWellFormedAndUseOnlyOurMetrics() throws Exception {
        JsonNode root =
                YAML.readTree(DEPLOY.resolve("prometheus/popdns-alerts.yml").toFile());
        Set<String> used = new TreeSet<>();
        Set<String> alerts = new LinkedHashSet<>();
        for (JsonNode group : root.required("groups")) {
            assertFalse(group.required("name").asText().isBlank());
            for (JsonNode rule : group.required("rules")) {
                String alert = rule.required("alert").asText();
                assertTrue(alerts.add(alert), "duplicate alert " + alert);
                String expr = rule.required("expr").asText();
                assertTrue(balanced(expr), alert + ": unbalanced brackets in " + expr);
                Matcher m = Pattern.compile("popdns_[a-z_]+").matcher(expr);
                while (m.find()) {
                    assertTrue(METRICS.contains(m.group()), alert + ": unknown metric " + m.group());
                    used.add(m.group());
                }
                assertTrue(
                        Set.of("page", "warning")
                                .contains(rule.required("labels")
                                        .required("severity")
                                        .asText()),
                        alert);
                assertFalse(
                        rule.required("annotations")
                                .required("summary")
                                .asText()
                                .isBlank(),
                        alert);
                if (rule.has("for")) {
                    assertTrue(rule.get("for").asText().matches("[0-9]+[smh]"), alert + ": for " + rule.get("for"));
                }
            }
        }
        // what the runbook promises to watch
        for (String metric : List.of(
                "popdns_zone_serial",
                "popdns_health_up",
                "popdns_prober_cut_off",
                "popdns_config_reloads_total",
                "popdns_queries_total",
                "popdns_peer_up",
                "popdns_health_votes",
                "popdns_health_deciding_alone")) {
            assertTrue(used.contains(metric), "no alert on " + metric);
        }
        assertTrue(
                Files.readString(DEPLOY.resolve("prometheus/popdns-alerts.yml")).contains("rcode=\"SERVFAIL\""));
        JsonNode tests = YAML.readTree(
                DEPLOY.resolve("prometheus/popdns-alerts.test.yml").toFile());
        assertEquals("popdns-alerts.yml", tests.required("rule_files").get(0).asText());

        Path promtool = onPath("promtool");
        if (promtool == null) {
            System.out.println(
                    "DeployFilesTest: promtool not found; alert rules checked as YAML and by metric name only");
            return;
        }
        Run check = run(
                new ProcessBuilder(promtool.toString(), "check", "rules", "popdns-alerts.yml")
                        .directory(DEPLOY.resolve("prometheus").toFile()),
                60);
        assertEquals(0, check.exit, check.out);
        Run unit = run(
                new ProcessBuilder(promtool.toString(), "test", "rules", "popdns-alerts.test.yml")
                        .directory(DEPLOY.resolve("prometheus").toFile()),
                60);
        assertEquals(0, unit.exit, unit.out);
        System.out.println("DeployFilesTest: promtool check rules and test rules passed");
    }

    private static boolean balanced(String s) {
        int depth = 0;
        for (char c : s.toCharArray()) {
            if (c == '(' || c == '{' || c == '[') {
                depth++;
            } else if (c == ')' || c == '}' || c == ']') {
                depth--;
            }
            if (depth < 0) {
                return false;
            }
        }
        return depth == 0;
    }

    @Test
    void zonePullRequestWorkflowIsWellFormed() throws Exception {
        JsonNode wf = YAML.readTree(DEPLOY.resolve("github/zone-pr.yml").toFile());
        JsonNode on = wf.has("on") ? wf.get("on") : wf.get("true"); // YAML 1.1 reads a bare `on` as true
        assertNotNull(on, "on:");
        assertTrue(textValues(on.required("pull_request").required("paths")).contains("zones/**"));
        assertEquals(
                "write", wf.required("permissions").required("pull-requests").asText());
        JsonNode steps = wf.required("jobs").required("check").required("steps");
        StringBuilder runs = new StringBuilder();
        boolean java21 = false;
        boolean comment = false;
        for (JsonNode step : steps) {
            String uses = step.path("uses").asText();
            if (uses.startsWith("actions/setup-java@")) {
                java21 = step.required("with").required("distribution").asText().equals("temurin")
                        && step.required("with")
                                .required("java-version")
                                .asText()
                                .equals("21");
            }
            comment |= uses.startsWith("actions/github-script@");
            runs.append(step.path("run").asText()).append('\n');
        }
        assertTrue(java21, "actions/setup-java with temurin 21");
        assertTrue(comment, "a PR comment through actions/github-script");
        assertTrue(runs.toString().contains("popdns check zones/"), runs.toString());
        assertTrue(runs.toString().contains("popdns diff base/zones head/zones"), runs.toString());
        assertTrue(runs.toString().contains("./popdns build"), runs.toString());
    }

    private static List<String> textValues(JsonNode array) {
        List<String> out = new ArrayList<>();
        for (JsonNode n : array) {
            out.add(n.asText());
        }
        return out;
    }

    /**
     * A crash loop must not leave the unit dead for good: no start limit (systemd's default gives up
     * after 5 starts in 10 s), and a pause between attempts.
     */
    private static void crashLoopNeverEndsTheUnit(
            Map<String, List<String>> unitSection, Map<String, List<String>> service) {
        assertNotNull(unitSection, "[Unit] section");
        assertEquals(List.of("0"), unitSection.get("StartLimitIntervalSec"), "[Unit] StartLimitIntervalSec=0");
        assertFalse(unitSection.containsKey("StartLimitBurst"), "a burst limit would be ignored with no interval");
        assertFalse(service.containsKey("StartLimitAction"), "StartLimitAction");
        long restartSeconds = seconds(service.get("RestartSec").get(0));
        assertTrue(restartSeconds >= 1 && restartSeconds <= 30, "RestartSec " + restartSeconds);
    }

    /**
     * The collector flags measured for the client table (BENCHMARKS.md "Geo table") are the same
     * in the unit, the NixOS module and the launcher that the demo, the tests and the benchmarks
     * run: G1 with one thread of each kind and a fixed marking threshold, and glibc's heap trimmed
     * (BENCHMARKS.md "Trimming the native heap").
     */
    @Test
    void collectorFlagsAreTheSameEverywhere() throws IOException {
        List<String> collector = List.of(
                "-XX:+UseG1GC",
                "-XX:ParallelGCThreads=1",
                "-XX:ConcGCThreads=1",
                "-XX:-G1UseAdaptiveIHOP",
                "-XX:InitiatingHeapOccupancyPercent=85",
                "-XX:MaxNewSize=16m",
                "-XX:G1ConcRefinementThreads=0",
                "-XX:GCTimeRatio=4",
                "-XX:TrimNativeHeapInterval=10000");
        for (Path file : List.of(
                DEPLOY.resolve("systemd/popdns.service"),
                DEPLOY.resolve("systemd/popdns.default"),
                DEPLOY.resolve("nixos/popdns.nix"),
                ROOT.resolve("popdns"))) {
            // words between spaces, quotes and brackets: a flag counts only whole
            List<String> words = List.of(Files.readString(file).split("[\\s\"()\\[\\]]+"));
            for (String flag : collector) {
                assertTrue(words.contains(flag), flag + " in " + file);
            }
        }
    }

    /**
     * Class-data sharing (BENCHMARKS.md "Class-data sharing (issue 12)"; ClassDataSharingTest runs
     * the server with these flags): JAVA_OPTS, the same in the unit and in popdns.default, names the
     * archive in the unit's CacheDirectory=, and the unit's ExecStartPre=, run here for real on a
     * stand-in jar, keeps the archive while the jar stays the same and removes it when it changed.
     */
    @Test
    void classDataArchiveFollowsTheJar(@TempDir Path dir) throws Exception {
        Map<String, List<String>> service =
                parse(DEPLOY.resolve("systemd/popdns.service")).get("Service");
        String javaOpts = null;
        for (String env : service.get("Environment")) {
            if (env.startsWith("JAVA_OPTS=")) {
                javaOpts = env.substring("JAVA_OPTS=".length());
            }
        }
        assertNotNull(javaOpts, "Environment=JAVA_OPTS=...");
        List<String> flags = List.of(javaOpts.split(" "));
        for (String flag : List.of(
                "-XX:+AutoCreateSharedArchive",
                "-XX:SharedArchiveFile=/var/cache/popdns/popdns.jsa",
                "-XX:+VerifySharedSpaces",
                "-Xlog:cds=off")) {
            assertTrue(flags.contains(flag), flag + " in JAVA_OPTS: " + javaOpts);
        }
        assertEquals(List.of("popdns"), service.get("CacheDirectory"), "[Service] CacheDirectory");
        // /etc/default/popdns replaces JAVA_OPTS as a whole: it carries the same flags
        assertTrue(
                Files.readAllLines(DEPLOY.resolve("systemd/popdns.default")).contains("JAVA_OPTS=\"" + javaOpts + "\""),
                "popdns.default sets the unit's JAVA_OPTS");

        List<String> pre = service.get("ExecStartPre");
        assertNotNull(pre, "[Service] ExecStartPre");
        assertEquals(1, pre.size(), "ExecStartPre: " + pre);
        String prefix = "-/bin/sh -c '";
        assertTrue(pre.get(0).startsWith(prefix) && pre.get(0).endsWith("'"), pre.get(0));
        Path jar = dir.resolve("popdns.jar");
        Path cache = Files.createDirectory(dir.resolve("cache"));
        // systemd's escapes: $$ is $, %% is %
        String script = pre.get(0)
                .substring(prefix.length(), pre.get(0).length() - 1)
                .replace("$$", "$")
                .replace("%%", "%")
                .replace("/usr/lib/popdns/popdns.jar", jar.toString())
                .replace("/var/cache/popdns", cache.toString());
        assertFalse(script.contains("/usr/lib/popdns") || script.contains("/var/cache/popdns"), script);
        Path archive = cache.resolve("popdns.jsa");
        Files.write(jar, new byte[] {1, 2, 3});

        Files.writeString(archive, "from a jar never seen");
        assertEquals(0, run(new ProcessBuilder("/bin/sh", "-c", script), 10).exit);
        assertFalse(Files.exists(archive), "first start: an archive of unknown origin goes");
        Files.writeString(archive, "written by the JVM at its stop");
        assertEquals(0, run(new ProcessBuilder("/bin/sh", "-c", script), 10).exit);
        assertTrue(Files.exists(archive), "same jar: the archive stays");
        Files.write(jar, new byte[] {1, 2, 3, 4});
        assertEquals(0, run(new ProcessBuilder("/bin/sh", "-c", script), 10).exit);
        assertFalse(Files.exists(archive), "a jar of another size: the archive goes");
        Files.writeString(archive, "written by the JVM at its stop");
        Files.setLastModifiedTime(jar, java.nio.file.attribute.FileTime.fromMillis(86_400_000L));
        assertEquals(0, run(new ProcessBuilder("/bin/sh", "-c", script), 10).exit);
        assertFalse(Files.exists(archive), "a jar of another time (as dpkg or install -p leave it): the archive goes");
    }

    /** MemoryMax= leaves room for the heap and direct buffers of JAVA_OPTS plus the JVM itself. */
    private static void resourcesAreCapped(Map<String, List<String>> service) {
        assertEquals(List.of("1G"), service.get("MemoryMax"), "[Service] MemoryMax");
        assertEquals(List.of("256"), service.get("TasksMax"), "[Service] TasksMax");
        String javaOpts = null;
        for (String env : service.get("Environment")) {
            if (env.startsWith("JAVA_OPTS=")) {
                javaOpts = env;
            }
        }
        assertNotNull(javaOpts, "Environment=JAVA_OPTS=...");
        long heap = megabytes(javaOpts, "-Xmx");
        long direct = megabytes(javaOpts, "-XX:MaxDirectMemorySize=");
        assertTrue(
                heap + direct + 150 <= 1024, "heap " + heap + " MiB + direct " + direct + " MiB + 150 MiB of JVM > 1G");
    }

    private static long megabytes(String options, String flag) {
        Matcher m = Pattern.compile(Pattern.quote(flag) + "(\\d+)([mMgG])").matcher(options);
        assertTrue(m.find(), flag + " in " + options);
        long value = Long.parseLong(m.group(1));
        return m.group(2).equalsIgnoreCase("g") ? value * 1024 : value;
    }

    private static long seconds(String text) {
        Matcher m = Pattern.compile("(\\d+)(s|min)?").matcher(text);
        assertTrue(m.matches(), "a time span: " + text);
        return Long.parseLong(m.group(1)) * ("min".equals(m.group(2)) ? 60 : 1);
    }

    /** SocketBindAllow= names exactly the ports of deploy/popdns.yaml (DNS over UDP and TCP, HTTP over TCP). */
    private static void bindsOnlyTheConfiguredPorts(Map<String, List<String>> service) throws Exception {
        ServerConfig config = ConfigLoader.load(
                new ConfigLoader.Overrides(DEPLOY.resolve("popdns.yaml"), null, List.of(), null, null, false));
        Set<String> expected = new TreeSet<>();
        for (InetSocketAddress a : config.listen()) {
            expected.add("udp:" + a.getPort());
            expected.add("tcp:" + a.getPort());
        }
        expected.add("tcp:" + config.http().getPort());
        assertEquals(expected, new TreeSet<>(service.get("SocketBindAllow")), "[Service] SocketBindAllow");
        assertEquals(List.of("any"), service.get("SocketBindDeny"), "[Service] SocketBindDeny");
    }

    // ---- popdns.yaml ---------------------------------------------------------------------------

    @Test
    void examplePopdnsYamlHasEveryDocumentedKeyCommentedAndLoads() throws Exception {
        Set<String> documented = documentedKeys();
        assertTrue(documented.size() >= 13, "README table of popdns.yaml keys: " + documented);
        Path example = DEPLOY.resolve("popdns.yaml");
        JsonNode yaml = YAML.readTree(example.toFile());
        Set<String> keys = new TreeSet<>();
        for (Iterator<String> it = yaml.fieldNames(); it.hasNext(); ) {
            keys.add(it.next());
        }
        assertEquals(new TreeSet<>(documented), keys, "deploy/popdns.yaml shows every documented key, and only those");
        List<String> lines = Files.readAllLines(example);
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).matches("[a-z-]+:.*")) {
                assertTrue(
                        i > 0 && lines.get(i - 1).startsWith("#"),
                        "no comment above line " + (i + 1) + ": " + lines.get(i));
            }
        }

        // the server's own loader: types, ranges and unknown keys as `popdns serve --config` checks them
        ServerConfig config =
                ConfigLoader.load(new ConfigLoader.Overrides(example, null, List.of(), null, null, false));
        assertEquals(List.of(new InetSocketAddress("0.0.0.0", 53), new InetSocketAddress("::", 53)), config.listen());
        assertEquals(new InetSocketAddress("127.0.0.1", 8053), config.http());
        assertEquals(Path.of("/var/lib/popdns/zones"), config.zones());
        assertEquals(Path.of("/var/lib/GeoIP/GeoLite2-City.mmdb"), config.geoip());
        assertEquals("ns1.hachyderm.io", config.identity());
        assertEquals(Path.of("/run/credentials/popdns.service/admin-token"), config.adminTokenFile());
        assertTrue(config.probes());
        assertEquals(50, config.rateLimit().responsesPerSecond());
        assertEquals(2, config.rateLimit().slip());
        assertEquals(Path.of("/run/credentials/popdns.service/cookie-secret"), config.cookieSecretFile());
    }

    /** The keys in the README's table under "Configuration: `popdns.yaml`". */
    private static Set<String> documentedKeys() throws IOException {
        String readme = Files.readString(ROOT.resolve("README.md"));
        int start = readme.indexOf("## Configuration: `popdns.yaml`");
        assertTrue(start >= 0, "README section on popdns.yaml");
        int end = readme.indexOf("\n## ", start + 1);
        Matcher m = Pattern.compile("(?m)^\\| `([a-z-]+)` \\|")
                .matcher(readme.substring(start, end < 0 ? readme.length() : end));
        Set<String> keys = new LinkedHashSet<>();
        while (m.find()) {
            keys.add(m.group(1));
        }
        return keys;
    }

    // ---- NixOS and the index -------------------------------------------------------------------

    @Test
    void nixosModuleMirrorsTheUnit() throws Exception {
        String module = Files.readString(DEPLOY.resolve("nixos/popdns.nix"));
        for (String option : List.of(
                "enable = mkEnableOption",
                "package = mkOption",
                "settings = mkOption",
                "zonesDir = mkOption",
                "geoipDatabase = mkOption",
                "adminTokenFile = mkOption",
                "openFirewall = mkOption",
                "extraJavaOptions = mkOption")) {
            assertTrue(module.contains(option), "services.popdns option: " + option);
        }
        for (String hardening : List.of(
                "AmbientCapabilities = [ \"CAP_NET_BIND_SERVICE\" ]",
                "CapabilityBoundingSet = [ \"CAP_NET_BIND_SERVICE\" ]",
                "NoNewPrivileges = true",
                "ProtectSystem = \"strict\"",
                "RestrictAddressFamilies = [ \"AF_INET\" \"AF_INET6\" \"AF_UNIX\" \"AF_NETLINK\" ]",
                "SystemCallArchitectures = \"native\"",
                "ReadOnlyPaths = [ cfg.zonesDir ]",
                "SuccessExitStatus = 143",
                "startLimitIntervalSec = 0;",
                "MemoryMax = \"1G\";",
                "TasksMax = 256;",
                "SocketBindDeny = \"any\";",
                "CacheDirectory = \"popdns\";",
                "\"-XX:SharedArchiveFile=/var/cache/popdns/${cdsArchive}\"",
                "\"-XX:+AutoCreateSharedArchive\"",
                "\"-XX:+VerifySharedSpaces\"",
                "ExecStart = \"${serviceJava} -jar ${jar} serve")) {
            assertTrue(module.contains(hardening), "hardening: " + hardening);
        }
        assertFalse(module.contains("MemoryDenyWriteExecute = true"));
        assertTrue(module.contains("pkgs.formats.yaml"));
        assertEquals(count(module, '{'), count(module, '}'), "braces");
        assertEquals(count(module, '['), count(module, ']'), "brackets");

        // the example host's settings use popdns.yaml keys only
        String host = Files.readString(DEPLOY.resolve("nixos/example-host.nix"));
        assertTrue(host.contains("imports = [ ./popdns.nix ];") && host.contains("services.geoipupdate"));
        int popdns = host.indexOf("services.popdns = {");
        Matcher block =
                Pattern.compile("(?s)\n    settings = \\{\n(.*?)\n    };").matcher(host);
        assertTrue(popdns >= 0 && block.find(popdns), "services.popdns.settings in example-host.nix");
        Set<String> documented = documentedKeys();
        Matcher key = Pattern.compile("(?m)^\\s*([a-z-]+) =").matcher(block.group(1));
        int keys = 0;
        while (key.find()) {
            assertTrue(
                    documented.contains(key.group(1)),
                    "example-host.nix settings key " + key.group(1) + " is not a popdns.yaml key");
            keys++;
        }
        assertTrue(keys > 0);
    }

    private static long count(String s, char c) {
        return s.chars().filter(x -> x == c).count();
    }

    @Test
    void readmeListsEveryFile() throws Exception {
        String readme = Files.readString(DEPLOY.resolve("README.md"));
        List<String> missing = new ArrayList<>();
        try (Stream<Path> files = Files.walk(DEPLOY)) {
            for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                String rel = DEPLOY.relativize(f).toString();
                if (!rel.equals("README.md") && !readme.contains("`" + rel + "`")) {
                    missing.add(rel);
                }
            }
        }
        assertEquals(List.of(), missing, "files of deploy/ not in deploy/README.md");
    }

    // ---- helpers -------------------------------------------------------------------------------

    /** Sections of a systemd unit file: key -> values in file order (comments and blank lines skipped). */
    static Map<String, Map<String, List<String>>> parse(Path unit) throws IOException {
        Map<String, Map<String, List<String>>> sections = new LinkedHashMap<>();
        Map<String, List<String>> current = null;
        int n = 0;
        for (String line : Files.readAllLines(unit)) {
            n++;
            String t = line.strip();
            if (t.isEmpty() || t.startsWith("#") || t.startsWith(";")) {
                continue;
            }
            if (t.startsWith("[") && t.endsWith("]")) {
                current = sections.computeIfAbsent(t.substring(1, t.length() - 1), k -> new LinkedHashMap<>());
                continue;
            }
            int eq = t.indexOf('=');
            assertTrue(current != null && eq > 0, unit + ":" + n + ": not KEY=VALUE in a section: " + line);
            String value = t.substring(eq + 1).strip();
            if (value.startsWith("\"") && value.endsWith("\"") && value.length() > 1) {
                value = value.substring(1, value.length() - 1);
            }
            current.computeIfAbsent(t.substring(0, eq).strip(), k -> new ArrayList<>())
                    .add(value);
        }
        return sections;
    }

    private static Path onPath(String program) {
        for (String d : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            Path p = Path.of(d, program);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }

    record Run(int exit, String out) {}

    /** Runs a process with stderr merged into stdout; fails when it outlives the timeout. */
    static Run run(ProcessBuilder pb, int timeoutSeconds) throws IOException, InterruptedException {
        Process p = pb.redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(timeoutSeconds, TimeUnit.SECONDS), "timed out: " + pb.command());
        return new Run(p.exitValue(), out);
    }
}
