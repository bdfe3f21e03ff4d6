package dev.popdns.health;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The benchmark of the brief: 100 PoPs x 3 checks every second must run on a small fixed number
 * of platform threads. Measures, over a 10s window after a 3s warm-up, the results per second,
 * the CPU time of the whole test JVM and of the threads that do the probing (the timer and the
 * virtual threads' carriers), and the platform threads that do the probing; writes the figures to
 * {@code target/probe-load.txt}. The first round's figures are reported, not asserted: run on a
 * cold JVM, 100 TLS handshakes at once keep both carriers busy past the 1s timeout.
 *
 * <p>A benchmark, not a test: rates depend on what else the machine runs, so it is not part of
 * {@code mvn verify} (its name does not end in Test) and runs only in the {@code bench} profile:
 * {@code mvn -pl health-checker -Pbench verify}. Figures go to BENCHMARKS.md.
 */
class ProbeLoadBenchmark {
    private static final int POPS = 100;
    private static final Duration WARM_UP = Duration.ofSeconds(3);
    private static final Duration WINDOW = Duration.ofSeconds(10);
    private static final CheckTiming EVERY_SECOND = new CheckTiming(Duration.ofSeconds(1), Duration.ofSeconds(1), 2, 3);
    private static final Path REPORT = Path.of("target", "probe-load.txt");

    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();

    @Test
    void realProbesAgainstNginx() throws IOException, InterruptedException {
        try (TempDir dir = new TempDir("popdns-load-")) {
            Certificates certificates = Certificates.generate(dir.path(), "hachyderm.test");
            int http = Ports.free();
            int https = Ports.free();
            try (NginxServer nginx = NginxServer.start(
                    dir.path(), """
                    server { listen 127.0.0.1:%1$d; location = /health { return 200 "OK"; } }
                    server {
                        listen 127.0.0.1:%2$d ssl;
                        server_name hachyderm.test;
                        ssl_certificate %3$s;
                        ssl_certificate_key %4$s;
                        location = / { return 200 "ok\\n"; }
                    }
                    """.formatted(http, https, certificates.certificate(), certificates.key()), http)) {
                List<CheckConfig> checks = List.of(
                        new CheckConfig(
                                "nginx",
                                HttpSpec.of("https://{address}:" + https + "/")
                                        .withHost("hachyderm.test")
                                        .withCaFile(certificates.caFile())
                                        .withBody("ok"),
                                EVERY_SECOND),
                        new CheckConfig(
                                "puma",
                                HttpSpec.of("http://{address}:" + http + "/health")
                                        .withBody("OK"),
                                EVERY_SECOND),
                        new CheckConfig("tcp", new TcpSpec("{address}:" + http), EVERY_SECOND));
                Figures figures = measure(
                        "real probes (https + http + tcp to nginx on loopback)",
                        HealthMonitor.builder(config(checks))
                                .random(new Random(1))
                                .build());
                // Other work on a shared 2-core machine may push a rare probe past 1s.
                assertTrue(figures.down <= WINDOW.toSeconds() * 3 * POPS / 100, "at most 1% DOWN: " + figures);
                assertTrue(figures.resultsPerSecond >= 0.9 * 3 * POPS, "results per second: " + figures);
                assertTrue(
                        figures.probingThreads() <= 3 + Runtime.getRuntime().availableProcessors(),
                        "platform threads: " + figures);
            }
        }
    }

    @Test
    void schedulingAloneWithInstantProbes() throws InterruptedException, IOException {
        List<CheckConfig> checks = List.of(
                new CheckConfig("nginx", HttpSpec.of("https://{address}/"), EVERY_SECOND),
                new CheckConfig("puma", HttpSpec.of("http://{address}:3000/health"), EVERY_SECOND),
                new CheckConfig("tcp", new TcpSpec("{address}:443"), EVERY_SECOND));
        Clock clock = Clock.systemUTC();
        HealthMonitor monitor = new HealthMonitor(
                config(checks),
                clock,
                new Random(1),
                new ScheduledTaskTimer(),
                Executors.newThreadPerTaskExecutor(
                        Thread.ofVirtual().name("popdns-probe-", 0).factory()),
                (pop, check) -> () -> new ProbeResult.Up(clock.instant(), Duration.ofMillis(1), Optional.empty()));
        Figures figures = measure("instant probes (scheduler, state machine, views, listeners)", monitor);
        assertTrue(figures.resultsPerSecond >= 0.9 * 3 * POPS, "results per second: " + figures);
        assertTrue(
                figures.probingThreads() <= 3 + Runtime.getRuntime().availableProcessors(),
                "platform threads: " + figures);
    }

    private Figures measure(String name, HealthMonitor monitor) throws InterruptedException, IOException {
        int baseline = threads.getThreadCount();
        AtomicLong up = new AtomicLong();
        AtomicLong down = new AtomicLong();
        monitor.addListener((view, events) -> {
            for (HealthEvent event : events) {
                if (event instanceof HealthEvent.ProbeCompleted completed) {
                    (completed.result() instanceof ProbeResult.Up ? up : down).incrementAndGet();
                }
            }
        });
        Figures figures = new Figures(name);
        try (monitor) {
            long begin = System.nanoTime();
            HealthView first = monitor.start();
            figures.firstRound = Duration.ofNanos(System.nanoTime() - begin);
            for (PopHealth pop : first.pops()) {
                for (CheckHealth check : pop.checks()) {
                    figures.firstRoundDown += check.up() ? 0 : 1;
                }
            }
            Thread.sleep(WARM_UP);
            threads.resetPeakThreadCount();
            long cpu0 = processCpuNanos();
            long probing0 = probingThreadsCpuNanos();
            long results0 = up.get() + down.get();
            long down0 = down.get();
            long wall0 = System.nanoTime();
            Thread.sleep(WINDOW);
            long wall = System.nanoTime() - wall0;
            figures.resultsPerSecond = (up.get() + down.get() - results0) * 1e9 / wall;
            figures.down = down.get() - down0;
            figures.processCpu = (processCpuNanos() - cpu0) / (double) wall;
            figures.probingCpu = (probingThreadsCpuNanos() - probing0) / (double) wall;
            figures.extraThreadsPeak = threads.getPeakThreadCount() - baseline;
            figures.extraThreadsLive = threads.getThreadCount() - baseline;
            figures.threadGroups = threadGroups();
        }
        Thread.sleep(200);
        figures.extraThreadsAfterClose = threads.getThreadCount() - baseline;
        String line = figures.toString();
        System.out.println(line);
        Files.createDirectories(REPORT.getParent());
        Files.writeString(REPORT, line + System.lineSeparator(), StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        return figures;
    }

    private static HealthConfig config(List<CheckConfig> checks) {
        List<PopTarget> pops = new ArrayList<>();
        for (int i = 0; i < POPS; i++) {
            pops.add(PopTarget.of(String.format("pop-%03d", i), "127.0.0.1", checks));
        }
        return new HealthConfig(pops);
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    /** CPU of the timer thread and of the carriers and pollers that run the virtual threads. */
    private long probingThreadsCpuNanos() {
        long total = 0;
        for (ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (info != null && isProbing(info.getThreadName())) {
                total += Math.max(0, threads.getThreadCpuTime(info.getThreadId()));
            }
        }
        return total;
    }

    private static boolean isProbing(String name) {
        return name.equals("popdns-health-timer") || name.startsWith("ForkJoinPool-") || name.contains("Poller");
    }

    private TreeMap<String, Integer> threadGroups() {
        TreeMap<String, Integer> groups = new TreeMap<>();
        for (ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (info != null && isProbing(info.getThreadName())) {
                groups.merge(info.getThreadName().replaceAll("[0-9]+$", "N"), 1, Integer::sum);
            }
        }
        return groups;
    }

    private static final class Figures {
        final String name;
        Duration firstRound;
        int firstRoundDown;
        double resultsPerSecond;
        long down;
        double processCpu;
        double probingCpu;
        int extraThreadsPeak;
        int extraThreadsLive;
        int extraThreadsAfterClose;
        TreeMap<String, Integer> threadGroups;

        Figures(String name) {
            this.name = name;
        }

        /** Platform threads that run the probing: timer, carriers, pollers. */
        int probingThreads() {
            int total = 0;
            for (int count : threadGroups.values()) {
                total += count;
            }
            return total;
        }

        @Override
        public String toString() {
            return String.format(
                    "%s: %d PoPs x 3 checks every 1s on %d cores: first round %s (%d of %d DOWN),"
                            + " then %.1f results/s, %d DOWN; CPU whole JVM %.1f%% of one core, probing threads %.1f%%;"
                            + " probing platform threads %d %s; JVM platform threads vs before start: peak +%d, live +%d,"
                            + " after close +%d",
                    name,
                    POPS,
                    Runtime.getRuntime().availableProcessors(),
                    Durations.format(firstRound),
                    firstRoundDown,
                    3 * POPS,
                    resultsPerSecond,
                    down,
                    processCpu * 100,
                    probingCpu * 100,
                    probingThreads(),
                    threadGroups,
                    extraThreadsPeak,
                    extraThreadsLive,
                    extraThreadsAfterClose);
        }
    }
}
