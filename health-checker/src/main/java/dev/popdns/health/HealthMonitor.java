package dev.popdns.health;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Probes every (PoP, check) pair of a {@link HealthConfig}, judges the results with rise/fall
 * hysteresis, keeps the admin overrides, and publishes the outcome as {@link HealthView}s.
 *
 * <p><b>Life cycle.</b> {@link #start()} runs the first round synchronously: every pair is probed
 * once, at the same time, and the first result sets each state directly; it returns when all
 * have reported, at most the longest check timeout plus 400ms later, so the DNS listener can
 * report ready after it. Then each pair runs on its own interval with a random offset. A monitor
 * that replaces another after a reload ({@link Builder#continueFrom}) starts its unchanged pairs
 * from their old state and streaks: their first result here is judged by rise and fall.
 * {@link #close()} stops everything.
 *
 * <p><b>Threads.</b> One timer thread ({@code popdns-health-timer}) fires ticks, watchdogs and
 * override expiries; each probe runs on a virtual thread of its own, at most one per pair at a
 * time. Results, overrides and expiries are applied under one lock, each producing a new view
 * that is published through a volatile reference and then handed to the listeners, still under
 * the lock, so every listener sees every view once and in order. Readers of {@link #view()}
 * never lock. Each state change, override change and alarm change is logged once (slf4j, logger
 * {@code dev.popdns.health.HealthMonitor}); no log line and no view holds a secret.
 *
 * <p><b>Overrides.</b> A PoP's configured {@code state: drain} is in its {@link PopHealth}; a
 * runtime {@link AdminOverride} set by {@link #override} wins over it and over the checks until
 * it expires, by the injected {@link Clock}: the monitor removes it at its expiry (a timer task),
 * publishing a new view. See {@link PopHealth#eligible}.
 *
 * <p><b>Prober cut off.</b> When every pair of every PoP (HQ included) has reported at least one
 * failure since the latest success of any pair, the fault is more likely the prober's own
 * network than every PoP at once: the monitor raises the alarm ({@link HealthView#cutOff()},
 * logged once) and, from then on,
 * <ul>
 *   <li>states are the last known ones: each pair gets back the state (and since) it had in the
 *       view published right after that latest success, which undoes the UP to DOWN changes made
 *       by the failures that led to the alarm (with {@code fall: 1}, or a short interval beside a
 *       long one, some pairs fall before the last pair has failed once); a pair that never had a
 *       state before stays as it is;
 *   <li>results are still recorded (last result, latency, error) but move no state and count
 *       toward no rise or fall; the failures before the alarm are forgotten too;
 *   <li>the first success of any pair clears the alarm (logged once) and is judged normally, as
 *       is everything after it: a pair now needs {@code fall} fresh failures to go DOWN.
 * </ul>
 * With fewer than two PoPs that have checks there is nothing to compare and no alarm is raised.
 * Within one interval of a total outage every pair has reported, so with the defaults (same
 * interval, {@code fall} 3) the alarm comes long before any pair could fall.
 */
public final class HealthMonitor implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HealthMonitor.class);

    /** Builds the probe of one pair; tests pass fakes. */
    @FunctionalInterface
    interface ProbeFactory {
        Supplier<ProbeResult> create(PopTarget pop, CheckConfig check);
    }

    private final Clock clock;
    private final String node;
    private final TaskTimer timer;
    private final ExecutorService ownedExecutor;
    private final ProbeScheduler scheduler;
    /** The probes {@link Builder#build()} bound, closed with the monitor; set once before it is published. */
    private List<Probe> boundProbes = List.of();

    private final List<ProbeScheduler.Job> jobs;
    private final int[] pairPop;
    private final int[] pairCheck;
    private final HealthStateMachine[] machines;
    private final CutOffDetector cutOff;
    private final List<HealthListener> listeners = new CopyOnWriteArrayList<>();
    private final ReentrantLock lock = new ReentrantLock();
    private final AtomicBoolean started = new AtomicBoolean();
    private volatile HealthView view;
    // Guarded by lock:
    private HealthView lastSuccess;
    private boolean closed;

    HealthMonitor(
            HealthConfig config, Clock clock, Random random, TaskTimer timer, Executor executor, ProbeFactory probes) {
        this(config, Map.of(), Builder.LOCAL, clock, random, timer, executor, probes);
    }

    /** As above, with the pairs in {@code carried} (see {@link Builder#continueFrom}) starting from those values. */
    HealthMonitor(
            HealthConfig config,
            Map<String, CheckHealth> carried,
            String node,
            Clock clock,
            Random random,
            TaskTimer timer,
            Executor executor,
            ProbeFactory probes) {
        this.clock = clock;
        this.node = node;
        this.timer = timer;
        this.ownedExecutor = executor instanceof ExecutorService service ? service : null;
        this.view = HealthView.initial(config, clock.instant(), carried);
        int pairs = 0;
        int popsWithChecks = 0;
        for (PopTarget pop : config.pops()) {
            pairs += pop.checks().size();
            popsWithChecks += pop.checks().isEmpty() ? 0 : 1;
        }
        List<ProbeScheduler.Job> jobList = new ArrayList<>(pairs);
        this.machines = new HealthStateMachine[pairs];
        this.pairPop = new int[pairs];
        this.pairCheck = new int[pairs];
        for (int p = 0; p < config.pops().size(); p++) {
            PopTarget pop = config.pops().get(p);
            for (int c = 0; c < pop.checks().size(); c++) {
                CheckConfig check = pop.checks().get(c);
                int pair = jobList.size();
                jobList.add(new ProbeScheduler.Job(
                        pair, pop.id(), check.name(), check.timing(), probes.create(pop, check)));
                machines[pair] = new HealthStateMachine(check.timing());
                pairPop[pair] = p;
                pairCheck[pair] = c;
            }
        }
        this.jobs = List.copyOf(jobList);
        this.cutOff = new CutOffDetector(jobs.size(), popsWithChecks >= 2);
        this.scheduler = new ProbeScheduler(jobs, timer, executor, clock, random, this::record);
    }

    /** Starts building a monitor of {@code config}. */
    public static Builder builder(HealthConfig config) {
        return new Builder(config);
    }

    /**
     * Runs the first round and starts the schedule (see the type's javadoc); returns the view
     * after the first round, in which no pair is UNKNOWN.
     *
     * @throws IllegalStateException when already started or closed
     * @throws InterruptedException when interrupted while waiting for the first round; the
     *     monitor is then started all the same and should be closed
     */
    public HealthView start() throws InterruptedException {
        lock.lock();
        try {
            requireOpen();
            if (!started.compareAndSet(false, true)) {
                throw new IllegalStateException("health monitor: start() called twice (expected: once)");
            }
        } finally {
            lock.unlock();
        }
        long begin = System.nanoTime();
        scheduler.runFirstRound();
        lock.lock();
        try {
            if (!closed) {
                scheduler.start();
            }
        } finally {
            lock.unlock();
        }
        HealthView first = view;
        int up = 0;
        for (PopHealth pop : first.pops()) {
            for (CheckHealth check : pop.checks()) {
                up += check.up() ? 1 : 0;
            }
        }
        LOG.info(
                "first probe round done in {}: {} of {} checks UP{}",
                Durations.format(Duration.ofNanos(System.nanoTime() - begin)),
                up,
                jobs.size(),
                first.cutOff() ? ", prober cut off" : "");
        return first;
    }

    /** The latest view; never null, cheap, never blocks. */
    public HealthView view() {
        return view;
    }

    /**
     * Runs {@code reader} with the latest view while no newer view is published or handed to the
     * listeners, for callers that combine the view with what a listener recorded from earlier
     * views (a status page's timeline) and must not see a state before its listeners have run.
     * Keep the reader short: probe results wait for it.
     */
    public <T> T readConsistently(Function<HealthView, T> reader) {
        lock.lock();
        try {
            return reader.apply(view);
        } finally {
            lock.unlock();
        }
    }

    /** Adds a listener, called from the next change on (see {@link HealthListener}). */
    public void addListener(HealthListener listener) {
        listeners.add(Validation.requirePresent("listener", listener));
    }

    /** Removes a listener added before; returns whether it was there. */
    public boolean removeListener(HealthListener listener) {
        return listeners.remove(listener);
    }

    /**
     * Sets the runtime override of PoP {@code pop}, replacing any override it has; it falls
     * away at {@link AdminOverride#expires()}. Publishes a new view and logs the change; the
     * view's {@link HealthView#overrideEvent} records it as set now by this node.
     *
     * @throws IllegalArgumentException when the PoP is unknown or the expiry is not after now
     * @throws IllegalStateException when the monitor is closed
     */
    public void override(String pop, AdminOverride override) {
        Validation.requirePresent("override", override);
        lock.lock();
        try {
            requireOpen();
            int index = requirePop(pop);
            Instant now = clock.instant();
            if (!override.expires().isAfter(now)) {
                throw new IllegalArgumentException(
                        "expires: " + override.expires() + " (expected: after now, " + now + ")");
            }
            Optional<AdminOverride> previous = view.pop(index).override();
            OverrideEvent event = new OverrideEvent(pop, Optional.of(override), now, node);
            HealthView next = view.withOverride(index, Optional.of(override), event);
            String reason = "set: " + override.action() + " until " + override.expires() + ", " + override.reason();
            publish(next, List.of(new HealthEvent.OverrideChanged(pop, previous, Optional.of(override), reason)), now);
            scheduleExpiry(index, override, now);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Removes the runtime override of PoP {@code pop}, if any, publishing a new view (whose
     * {@link HealthView#overrideEvent} records the clear) and logging the change with {@code
     * reason}; returns whether there was one.
     *
     * @throws IllegalArgumentException when the PoP is unknown or the reason blank
     * @throws IllegalStateException when the monitor is closed
     */
    public boolean clearOverride(String pop, String reason) {
        Validation.requireText("reason", reason);
        lock.lock();
        try {
            requireOpen();
            int index = requirePop(pop);
            Optional<AdminOverride> previous = view.pop(index).override();
            if (previous.isEmpty()) {
                return false;
            }
            Instant now = clock.instant();
            OverrideEvent event = new OverrideEvent(pop, Optional.empty(), now, node);
            publish(
                    view.withOverride(index, Optional.empty(), event),
                    List.of(new HealthEvent.OverrideChanged(pop, previous, Optional.empty(), "cleared: " + reason)),
                    now);
            return true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Applies an override event made elsewhere (another node's, or an earlier monitor's) when it
     * is newer than the PoP's latest one ({@link OverrideEvent#newerThan}): the PoP's override
     * becomes the event's (none for a clear, or for an override that has already expired) and
     * the event becomes its latest. Publishes a new view and logs the change with the event's
     * origin; returns whether the event was newer. An older or equal event changes nothing, so
     * nodes that exchange their events settle on the same override whatever the order.
     *
     * @throws IllegalArgumentException when the PoP is unknown
     * @throws IllegalStateException when the monitor is closed
     */
    public boolean apply(OverrideEvent event) {
        Validation.requirePresent("event", event);
        lock.lock();
        try {
            requireOpen();
            int index = requirePop(event.pop());
            Optional<OverrideEvent> latest = view.overrideEvent(index);
            if (latest.isPresent() && !event.newerThan(latest.get())) {
                return false;
            }
            Instant now = clock.instant();
            Optional<AdminOverride> previous = view.pop(index).override();
            Optional<AdminOverride> next =
                    event.override().filter(o -> o.expires().isAfter(now));
            String reason = "from " + event.origin() + " at " + event.at() + ": " + event.describe()
                    + (event.override().isPresent() && next.isEmpty() ? ", already expired" : "");
            publish(
                    view.withOverride(index, next, event),
                    List.of(new HealthEvent.OverrideChanged(event.pop(), previous, next, reason)),
                    now);
            next.ifPresent(o -> scheduleExpiry(index, o, now));
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Stops probing and drops every pending task; idempotent. Results arriving later are ignored. */
    @Override
    public void close() {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            scheduler.close();
        } finally {
            lock.unlock();
        }
        timer.close();
        if (ownedExecutor != null) {
            ownedExecutor.shutdownNow();
        }
        for (Probe probe : boundProbes) {
            probe.close();
        }
    }

    /** Applies one probe result: the scheduler's sink, called on a probe or the timer thread. */
    private void record(ProbeScheduler.Job job, ProbeResult result) {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            int pair = job.pair();
            int pop = pairPop[pair];
            int check = pairCheck[pair];
            boolean up = result instanceof ProbeResult.Up;
            List<HealthEvent> events = new ArrayList<>(3);
            events.add(new HealthEvent.ProbeCompleted(job.pop(), job.check(), result));
            CutOffDetector.Change change = cutOff.record(pair, up);
            Instant now = clock.instant();
            if (change == CutOffDetector.Change.CLEARED) {
                events.add(new HealthEvent.CutOffChanged(
                        false, now, "pop " + job.pop() + " check " + job.check() + " answered: judging results again"));
            }
            HealthView next = view;
            CheckHealth current = next.pop(pop).checks().get(check);
            if (cutOff.cutOff() && current.state() != HealthState.UNKNOWN) {
                next = next.withCheck(pop, check, machines[pair].observe(current, result));
            } else {
                HealthStateMachine.Step step = machines[pair].judge(current, result);
                next = next.withCheck(pop, check, step.health());
                if (step.changed()) {
                    events.add(new HealthEvent.StateChanged(
                            job.pop(),
                            job.check(),
                            current.state(),
                            step.health().state(),
                            result.at(),
                            step.reason()));
                }
            }
            if (change == CutOffDetector.Change.RAISED) {
                next = holdLastKnownStates(next, events, now);
                events.add(new HealthEvent.CutOffChanged(
                        true,
                        now,
                        "every check of every PoP failed since the last success"
                                + (lastSuccess == null ? "" : " at " + lastSuccess.updated())
                                + ": likely our own network, keeping the last known states"));
            }
            publish(next, events, now);
            if (up) {
                lastSuccess = view;
            }
        } finally {
            lock.unlock();
        }
    }

    /** Every pair back to its state in {@link #lastSuccess}, streaks reset; adds the changes to {@code events}. */
    private HealthView holdLastKnownStates(HealthView next, List<HealthEvent> events, Instant now) {
        for (int pair = 0; pair < jobs.size(); pair++) {
            int pop = pairPop[pair];
            int check = pairCheck[pair];
            CheckHealth current = next.pop(pop).checks().get(check);
            CheckHealth known = lastSuccess == null
                    ? current
                    : lastSuccess.pop(pop).checks().get(check);
            CheckHealth held =
                    HealthStateMachine.restore(current, known.state() == HealthState.UNKNOWN ? current : known);
            next = next.withCheck(pop, check, held);
            if (held.state() != current.state()) {
                events.add(new HealthEvent.StateChanged(
                        jobs.get(pair).pop(),
                        jobs.get(pair).check(),
                        current.state(),
                        held.state(),
                        now,
                        "prober cut off: back to the state before the failures"));
            }
        }
        return next;
    }

    /** Publishes {@code next} as the new view, logs the events and calls the listeners; under the lock. */
    private void publish(HealthView next, List<HealthEvent> changes, Instant now) {
        List<HealthEvent> events = List.copyOf(changes);
        HealthView published =
                next.next(now, cutOff.cutOff() ? view.cutOffSince().orElse(now) : null);
        view = published;
        for (HealthEvent event : events) {
            log(event);
        }
        for (HealthListener listener : listeners) {
            try {
                listener.onUpdate(published, events);
            } catch (RuntimeException e) {
                LOG.warn("health listener {} failed on view {}", listener, published.version(), e);
            }
        }
    }

    private static void log(HealthEvent event) {
        switch (event) {
            case HealthEvent.ProbeCompleted completed -> {
                // Every result is an event for metrics, not a log line.
            }
            case HealthEvent.StateChanged changed -> {
                if (changed.to() == HealthState.DOWN) {
                    LOG.warn(
                            "pop {} check {}: {} -> {} ({})",
                            changed.pop(),
                            changed.check(),
                            changed.from(),
                            changed.to(),
                            changed.reason());
                } else {
                    LOG.info(
                            "pop {} check {}: {} -> {} ({})",
                            changed.pop(),
                            changed.check(),
                            changed.from(),
                            changed.to(),
                            changed.reason());
                }
            }
            case HealthEvent.OverrideChanged changed ->
                LOG.warn(
                        "pop {}: override {} -> {} ({})",
                        changed.pop(),
                        changed.from().map(o -> o.action().name()).orElse("none"),
                        changed.to().map(o -> o.action().name()).orElse("none"),
                        changed.reason());
            case HealthEvent.CutOffChanged changed -> {
                if (changed.cutOff()) {
                    LOG.error("prober cut off raised ({})", changed.reason());
                } else {
                    LOG.warn("prober cut off cleared ({})", changed.reason());
                }
            }
        }
    }

    private void scheduleExpiry(int index, AdminOverride override, Instant now) {
        timer.schedule(() -> expire(index, override), Duration.between(now, override.expires()));
    }

    /** The expiry task of one override: removes it when it is still the PoP's and its time has come. */
    private void expire(int index, AdminOverride override) {
        lock.lock();
        try {
            if (closed || !view.pop(index).override().equals(Optional.of(override))) {
                return; // replaced or cleared since
            }
            Instant now = clock.instant();
            if (now.isBefore(override.expires())) {
                scheduleExpiry(index, override, now); // the timer ran ahead of the Clock
                return;
            }
            String pop = view.pop(index).id();
            String reason = "expired at " + override.expires() + ", " + override.reason();
            publish(
                    view.withOverride(index, Optional.empty(), null),
                    List.of(new HealthEvent.OverrideChanged(pop, Optional.of(override), Optional.empty(), reason)),
                    now);
        } finally {
            lock.unlock();
        }
    }

    private int requirePop(String pop) {
        int index = view.indexOf(pop);
        if (index < 0) {
            List<String> ids = new ArrayList<>();
            for (PopHealth known : view.pops()) {
                ids.add(known.id());
            }
            throw new IllegalArgumentException("pop: " + Validation.quote(pop) + " (expected: one of " + ids + ")");
        }
        return index;
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("health monitor: closed (expected: an open monitor)");
        }
    }

    /** The pairs of {@code next} that are unchanged from {@code previous}, with their values in {@code view}. */
    static Map<String, CheckHealth> carriedPairs(HealthConfig next, HealthConfig previous, HealthView view) {
        Map<String, CheckHealth> out = new HashMap<>();
        for (PopTarget target : next.pops()) {
            PopTarget before = previous.pops().stream()
                    .filter(p -> p.id().equals(target.id()))
                    .findFirst()
                    .orElse(null);
            PopHealth health = view.pop(target.id()).orElse(null);
            if (before == null
                    || health == null
                    || !before.address().equals(target.address())
                    || !before.probeAddress().equals(target.probeAddress())) {
                continue;
            }
            for (CheckConfig check : target.checks()) {
                boolean unchanged = before.checks().contains(check);
                CheckHealth known = health.check(check.name()).orElse(null);
                if (unchanged && known != null && known.state() != HealthState.UNKNOWN) {
                    out.put(HealthView.pairKey(target.id(), check.name()), known);
                }
            }
        }
        return Map.copyOf(out);
    }

    /**
     * Configures a {@link HealthMonitor}: time, randomness and environment are injected so that
     * tests and the standalone prober can replace them.
     */
    public static final class Builder {
        private final HealthConfig config;
        private Clock clock = Clock.systemUTC();
        private Random random = new Random();
        private Map<String, String> environment = System.getenv();
        private Map<String, CheckHealth> carried = Map.of();
        private String node = LOCAL;

        /** The node id of overrides set through this monitor when none is given. */
        static final String LOCAL = "local";

        private Builder(HealthConfig config) {
            this.config = Validation.requirePresent("config", config);
        }

        /** Stamps results, views and events and decides override expiry (default: the system UTC clock). */
        public Builder clock(Clock newClock) {
            this.clock = Validation.requirePresent("clock", newClock);
            return this;
        }

        /** Draws the initial offset of each pair (default: an unseeded {@link Random}). */
        public Builder random(Random newRandom) {
            this.random = Validation.requirePresent("random", newRandom);
            return this;
        }

        /** This node's id, the origin of overrides set or cleared through the monitor (default {@code local}). */
        public Builder node(String newNode) {
            this.node = Validation.requireText("node", newNode);
            return this;
        }

        /** Where {@code password-env} variables are looked up (default: {@link System#getenv()}). */
        public Builder environment(Map<String, String> newEnvironment) {
            this.environment = Map.copyOf(Validation.requirePresent("environment", newEnvironment));
            return this;
        }

        /**
         * Continues the judgement of a monitor this one replaces (a reload of changed checks):
         * every pair whose PoP has the same id, address and probe address in {@code previous}
         * and whose check is unchanged starts from its state, since and streaks in {@code
         * view} instead of UNKNOWN, so its first result here is judged with rise and fall like
         * any other. New or changed pairs start UNKNOWN as usual.
         */
        public Builder continueFrom(HealthConfig previous, HealthView view) {
            this.carried = carriedPairs(
                    config, Validation.requirePresent("previous", previous), Validation.requirePresent("view", view));
            return this;
        }

        /**
         * Binds every check to its PoP; nothing runs before {@link HealthMonitor#start()}.
         *
         * @throws IllegalArgumentException when a check cannot be bound (see {@link Probe#create})
         */
        public HealthMonitor build() {
            Clock probeClock = clock;
            Map<String, String> probeEnvironment = environment;
            TaskTimer timer = new ScheduledTaskTimer();
            ExecutorService executor = Executors.newThreadPerTaskExecutor(
                    Thread.ofVirtual().name("popdns-probe-", 0).factory());
            List<Probe> bound = new ArrayList<>();
            try {
                HealthMonitor monitor =
                        new HealthMonitor(config, carried, node, clock, random, timer, executor, (pop, check) -> {
                            Probe probe = Probe.create(pop, check, probeClock, probeEnvironment);
                            bound.add(probe);
                            return probe::probe;
                        });
                monitor.boundProbes = List.copyOf(bound);
                return monitor;
            } catch (RuntimeException e) {
                timer.close();
                executor.shutdownNow();
                throw e;
            }
        }
    }
}
