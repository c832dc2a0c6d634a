package dev.cicd.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Drives source -> renderer -> dedupe -> action -> run log -> sinks -> checkpoint for a set of watches.
 *
 * <p>Per watch, events are processed strictly one at a time in revision order; an event whose revision
 * is not above the last one processed for its watch is dropped (sources may replay). Different watches
 * run in parallel on a bounded executor. Every processed event ends in exactly one {@link Outcome}:
 * <ul>
 *   <li>the renderer throws {@link CicdException.Code#BAD_PAYLOAD} -> {@code REJECTED} with its message;
 *       any other renderer failure -> {@code FAILED} naming the cause; nothing runs;</li>
 *   <li>the watch dedupes and the plan's fingerprint is the last one applied -> {@code IN_SYNC};</li>
 *   <li>otherwise the action runs; its result is the outcome, an exception is {@code FAILED} with the
 *       exception's class and message.</li>
 * </ul>
 * On {@code APPLIED} the plan is recorded in the {@link Deduplicator} (a failed run is never recorded, so
 * the same value is retried). Then, for executed plans, the {@link RunLog} is written; then every
 * {@link OutcomeSink} is told (a throwing sink is logged and skipped); then the checkpoint is saved (a
 * throwing store is logged). With an {@link OutcomeCommitter} the commit replaces recording the
 * fingerprint and saving the checkpoint, and happens before the sinks; a failing commit halts the watch
 * (its later events are dropped, see {@link WatchStats#halted()}), since another runner may lead it now.
 *
 * <p>Actions own their timeout ({@link ActionContext#timeout()}). As a guard against one that ignores
 * it, the pipeline interrupts the action's thread when it has not returned {@link Builder#actionGrace
 * actionGrace} after its timeout; an action that ignores interrupts too keeps blocking its own watch
 * (other watches go on), and {@link #close()} abandons it after {@link Builder#closeTimeout}.
 *
 * <p>{@link #close()} stops the source, lets in-flight events finish for up to the close timeout, then
 * interrupts them. Events that were queued but not started are not processed and not checkpointed, so
 * a restart from the checkpoint replays them; an action interrupted by close is likewise neither
 * committed, checkpointed nor told to sinks.
 *
 * <p>The MDC keys {@code watch}, {@code key}, {@code revision} and {@code requestId} (the payload's
 * top-level {@code requestId} string) are set while an event is processed. Nothing starts a thread
 * before {@link #start()}.
 */
public final class Pipeline implements AutoCloseable {

    /** Default time {@link #close()} waits for in-flight actions: 30 seconds. */
    public static final Duration DEFAULT_CLOSE_TIMEOUT = Duration.ofSeconds(30);
    /** Default time after an action's timeout before the pipeline interrupts it: 10 seconds. */
    public static final Duration DEFAULT_ACTION_GRACE = Duration.ofSeconds(10);
    /** Default upper bound of the pool size (the pool has min(watches, 4) threads). */
    public static final int DEFAULT_MAX_PARALLELISM = 4;

    private static final Logger LOG = LoggerFactory.getLogger(Pipeline.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final AtomicInteger IDS = new AtomicInteger();
    private static final int DRAIN_BATCH = 64;
    private static final Duration INTERRUPT_WAIT = Duration.ofSeconds(5);

    private enum State { NEW, STARTED, CLOSED }

    private final int id = IDS.incrementAndGet();
    private final TriggerSource source;
    private final List<WatchSpec> watches;
    private final Renderer renderer;
    private final Deduplicator deduplicator;
    private final List<OutcomeSink> sinks;
    private final CheckpointStore checkpoints;
    private final OutcomeCommitter committer;
    private final RunLog runLog;
    private final ExecutorService externalExecutor;
    private final int parallelism;
    private final Path configuredWorkDir;
    private final Clock clock;
    private final Duration closeTimeout;
    private final Duration actionGrace;
    private final Map<String, Lane> lanes;

    private final Object stateLock = new Object();
    private State state = State.NEW;
    private ExecutorService executor;
    private boolean ownsExecutor;
    private ScheduledExecutorService watchdog;
    private AutoCloseable sourceHandle;
    private Path workDir;
    private boolean ownsWorkDir;
    private volatile boolean closing;

    private final AtomicLong pending = new AtomicLong();
    private final Object idleMonitor = new Object();
    private final Object drainMonitor = new Object();

    private Pipeline(Builder b) {
        this.source = b.source;
        this.watches = List.copyOf(b.watches);
        this.renderer = b.renderer;
        this.deduplicator = b.deduplicator != null ? b.deduplicator : new InMemoryDeduplicator();
        this.sinks = List.copyOf(b.sinks);
        this.checkpoints = b.checkpoints != null ? b.checkpoints : new InMemoryCheckpointStore();
        this.committer = b.committer;
        this.runLog = b.runLog;
        this.externalExecutor = b.executor;
        this.parallelism = b.parallelism > 0 ? b.parallelism
                : Math.max(1, Math.min(watches.size(), DEFAULT_MAX_PARALLELISM));
        this.configuredWorkDir = b.workDir;
        this.clock = b.clock;
        this.closeTimeout = b.closeTimeout;
        this.actionGrace = b.actionGrace;
        Map<String, Lane> m = new LinkedHashMap<>();
        for (WatchSpec w : watches) {
            m.put(w.name(), new Lane(w, b.actions.get(w.action())));
        }
        this.lanes = Collections.unmodifiableMap(m);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The watches, in the order given. */
    public List<WatchSpec> watches() {
        return watches;
    }

    /**
     * Loads the checkpoint of each watch and starts the source. Threads start here.
     *
     * @throws CicdException {@link CicdException.Code#SOURCE} when a checkpoint cannot be loaded or the
     *                       source cannot start; {@link CicdException.Code#CONFIG} when the work
     *                       directory cannot be created
     * @throws IllegalStateException when already started or closed
     */
    public void start() {
        synchronized (stateLock) {
            if (state != State.NEW) {
                throw new IllegalStateException("pipeline was already " + (state == State.STARTED ? "started" : "closed"));
            }
            Map<String, Long> cps = new HashMap<>();
            for (Lane lane : lanes.values()) {
                String name = lane.spec.name();
                OptionalLong cp;
                try {
                    cp = checkpoints.load(name);
                } catch (RuntimeException e) {
                    throw new CicdException(CicdException.Code.SOURCE,
                            "could not load the checkpoint of watch " + name + ": " + e.getMessage(), e);
                }
                if (cp != null && cp.isPresent()) {
                    cps.put(name, cp.getAsLong());
                    lane.lastRevision = cp.getAsLong();
                    lane.seedKeys(cp.getAsLong());
                }
            }
            try {
                ownsWorkDir = configuredWorkDir == null;
                workDir = ownsWorkDir ? Files.createTempDirectory("cicd-pipeline-") : configuredWorkDir;
                for (Lane lane : lanes.values()) {
                    lane.workDir = Files.createDirectories(workDir.resolve(lane.spec.name()));
                }
            } catch (IOException | RuntimeException e) {
                throw new CicdException(CicdException.Code.CONFIG,
                        "could not create the pipeline's work directory " + (workDir != null ? workDir : configuredWorkDir)
                                + ": " + e, e);
            }
            if (externalExecutor != null) {
                executor = externalExecutor;
                ownsExecutor = false;
            } else {
                executor = new ThreadPoolExecutor(parallelism, parallelism, 60, TimeUnit.SECONDS,
                        new LinkedBlockingQueue<>(), threads("cicd-pipeline-" + id + "-"));
                ownsExecutor = true;
            }
            ScheduledThreadPoolExecutor dog = new ScheduledThreadPoolExecutor(1, threads("cicd-pipeline-" + id + "-watchdog-"));
            dog.setRemoveOnCancelPolicy(true);
            watchdog = dog;
            state = State.STARTED;
            try {
                sourceHandle = source.start(watches, cps, new Listener());
            } catch (RuntimeException e) {
                state = State.CLOSED;
                closing = true;
                shutdownExecutors();
                if (e instanceof CicdException) {
                    throw e;
                }
                throw new CicdException(CicdException.Code.SOURCE, "could not start the trigger source: " + e.getMessage(), e);
            }
            LOG.info("pipeline started: {} watches {}, parallelism {}, work dir {}", watches.size(), lanes.keySet(),
                    ownsExecutor ? parallelism : "external executor", workDir);
        }
    }

    /**
     * Waits until every event delivered so far has its outcome (or was dropped).
     *
     * @return false when the timeout passed first
     */
    public boolean awaitIdle(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (idleMonitor) {
            while (pending.get() > 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(idleMonitor, left);
                } catch (InterruptedException e) {
                    throw CicdException.interrupted("waiting for the pipeline to become idle", e);
                }
            }
            return true;
        }
    }

    /** Counters per watch, in the order the watches were given. */
    public Map<String, WatchStats> stats() {
        Map<String, WatchStats> out = new LinkedHashMap<>();
        for (Lane lane : lanes.values()) {
            out.put(lane.spec.name(), lane.stats());
        }
        return Collections.unmodifiableMap(out);
    }

    /** The stats of one watch. */
    public WatchStats stats(String watch) {
        Lane lane = lanes.get(watch);
        if (lane == null) {
            throw new IllegalArgumentException("no watch named '" + watch + "'; watches: " + lanes.keySet());
        }
        return lane.stats();
    }

    /** The directory actions get as their work directory (per watch: a subdirectory); set by {@link #start()}. */
    public Optional<Path> workDir() {
        synchronized (stateLock) {
            return Optional.ofNullable(workDir);
        }
    }

    /**
     * Stops the source, waits up to the close timeout for in-flight events to finish, then interrupts
     * them (waiting a few seconds more). Idempotent.
     */
    @Override
    public void close() {
        State previous;
        synchronized (stateLock) {
            previous = state;
            state = State.CLOSED;
        }
        if (previous != State.STARTED) {
            return;
        }
        closing = true;
        try {
            if (sourceHandle != null) {
                sourceHandle.close();
            }
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            LOG.warn("closing the trigger source failed: {}", e.toString());
        }
        if (!awaitDrained(System.nanoTime() + closeTimeout.toNanos())) {
            for (Lane lane : lanes.values()) {
                Thread t = lane.runner;
                if (t != null) {
                    LOG.warn("watch {}: in-flight event did not finish within {}; interrupting it", lane.spec.name(),
                            closeTimeout);
                    lane.closeInterrupted = true;
                    t.interrupt();
                }
            }
            if (!awaitDrained(System.nanoTime() + INTERRUPT_WAIT.toNanos())) {
                for (Lane lane : lanes.values()) {
                    if (lane.runner != null) {
                        LOG.error("watch {}: action did not stop after an interrupt; abandoning it", lane.spec.name());
                    }
                }
            }
        }
        shutdownExecutors();
        if (ownsWorkDir) {
            deleteTree(workDir);
        }
        LOG.info("pipeline closed");
    }

    /** Best-effort removal of the temporary work directory the pipeline created. */
    private static void deleteTree(Path dir) {
        try (var paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    LOG.debug("could not delete {}: {}", p, e.toString());
                }
            });
        } catch (IOException | RuntimeException e) {
            LOG.debug("could not delete work directory {}: {}", dir, e.toString());
        }
    }

    private void shutdownExecutors() {
        if (watchdog != null) {
            watchdog.shutdownNow();
        }
        if (ownsExecutor && executor != null) {
            executor.shutdown();
            try {
                if (!executor.awaitTermination(1, TimeUnit.SECONDS)) {
                    executor.shutdownNow();
                }
            } catch (InterruptedException e) {
                executor.shutdownNow();
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Waits until no lane is scheduled or running. */
    private boolean awaitDrained(long deadlineNanos) {
        synchronized (drainMonitor) {
            while (anyScheduled()) {
                long left = deadlineNanos - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(drainMonitor, Math.min(left, TimeUnit.MILLISECONDS.toNanos(50)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
            return true;
        }
    }

    private boolean anyScheduled() {
        for (Lane lane : lanes.values()) {
            if (lane.scheduled.get()) {
                return true;
            }
        }
        return false;
    }

    private void eventDone() {
        if (pending.decrementAndGet() <= 0) {
            synchronized (idleMonitor) {
                idleMonitor.notifyAll();
            }
        }
    }

    private static ThreadFactory threads(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /** Receives from the source on its thread: counts and enqueues, nothing more. */
    private final class Listener implements TriggerListener {
        @Override
        public void onEvent(TriggerEvent event) {
            if (closing) {
                LOG.debug("pipeline closing; ignoring {}", event);
                return;
            }
            Lane lane = lanes.get(event.watch());
            if (lane == null) {
                LOG.warn("source delivered an event of unknown watch '{}' ({}); ignored", event.watch(), event);
                return;
            }
            lane.received.incrementAndGet();
            pending.incrementAndGet();
            lane.offer(event);
        }

        @Override
        public void onNotice(SourceNotice notice) {
            if (closing) {
                return;
            }
            Lane lane = lanes.get(notice.watch());
            if (lane != null) {
                lane.offer(notice);
            } else {
                LOG.warn("source notice for unknown watch '{}': {}", notice.watch(), notice.message());
                tellSinks(notice);
            }
        }
    }

    private void tellSinks(SourceNotice notice) {
        for (OutcomeSink sink : sinks) {
            try {
                sink.onNotice(notice);
            } catch (RuntimeException e) {
                LOG.warn("sink {} failed on notice {}: {}", sink, notice.kind(), e.toString(), e);
            }
        }
    }

    /** One watch: a queue drained by at most one pool thread at a time. */
    private final class Lane implements Runnable {
        final WatchSpec spec;
        final Action action;
        final ConcurrentLinkedQueue<Object> queue = new ConcurrentLinkedQueue<>();
        final AtomicBoolean scheduled = new AtomicBoolean();
        /** Relative key -> text; touched only by the draining thread (handed over through {@link #scheduled}). */
        final TreeMap<String, String> keys = new TreeMap<>();
        final SortedMap<String, String> keysView = Collections.unmodifiableSortedMap(keys);
        final AtomicLong received = new AtomicLong();
        final AtomicLong dropped = new AtomicLong();
        final AtomicLongArray outcomes = new AtomicLongArray(Outcome.Kind.values().length);
        volatile long lastRevision;
        volatile boolean halted;
        volatile Thread runner;
        volatile boolean closeInterrupted;
        Path workDir;

        Lane(WatchSpec spec, Action action) {
            this.spec = spec;
            this.action = action;
        }

        void offer(Object item) {
            queue.add(item);
            schedule();
        }

        /** Before start: the watch's keys as of the checkpoint, for templates that read other keys. */
        void seedKeys(long checkpoint) {
            try {
                keys.putAll(source.snapshot(spec, checkpoint));
            } catch (RuntimeException e) {
                LOG.warn("watch {}: could not read its keys at checkpoint revision {}; templates see only keys "
                        + "changed from now on: {}", spec.name(), checkpoint, e.toString());
            }
        }

        void schedule() {
            if (scheduled.compareAndSet(false, true)) {
                try {
                    executor.execute(this);
                } catch (RejectedExecutionException e) {
                    scheduled.set(false);
                    LOG.error("watch {}: executor refused work ({}); dropping {} queued events", spec.name(), e.toString(),
                            queue.size());
                    discardQueued();
                }
            }
        }

        private void discardQueued() {
            Object item;
            while ((item = queue.poll()) != null) {
                if (item instanceof TriggerEvent) {
                    dropped.incrementAndGet();
                    eventDone();
                }
            }
        }

        @Override
        public void run() {
            runner = Thread.currentThread();
            try {
                for (int n = 0; n < DRAIN_BATCH; n++) {
                    Object item = queue.poll();
                    if (item == null) {
                        break;
                    }
                    if (closing) {
                        if (item instanceof TriggerEvent e) {
                            LOG.debug("watch {}: pipeline closing; {} left for replay after restart", spec.name(), e);
                            dropped.incrementAndGet();
                            eventDone();
                        }
                        continue;
                    }
                    if (item instanceof TriggerEvent e) {
                        try {
                            process(e);
                        } finally {
                            eventDone();
                        }
                    } else if (item instanceof SourceNotice notice) {
                        handleNotice(notice);
                    }
                }
            } finally {
                runner = null;
                scheduled.set(false);
                if (!queue.isEmpty() && !(closing && executor.isShutdown())) {
                    schedule();
                }
                synchronized (drainMonitor) {
                    drainMonitor.notifyAll();
                }
            }
        }

        private void handleNotice(SourceNotice notice) {
            if (notice.kind() == SourceNotice.Kind.RESET) {
                LOG.warn("watch {}: {} ({}); forgetting revision {} and the known keys", spec.name(), notice.message(),
                        notice.kind(), lastRevision);
                lastRevision = 0;
                keys.clear();
            } else {
                LOG.warn("watch {}: {} ({})", spec.name(), notice.message(), notice.kind());
            }
            tellSinks(notice);
        }

        private void process(TriggerEvent e) {
            if (halted) {
                dropped.incrementAndGet();
                LOG.warn("watch {} is halted after a failed commit; revision {} of {} not processed", spec.name(),
                        e.modRevision(), e.key());
                return;
            }
            if (e.modRevision() <= lastRevision) {
                dropped.incrementAndGet();
                LOG.debug("watch {}: dropping revision {} of {}, already processed up to {}", spec.name(),
                        e.modRevision(), e.key(), lastRevision);
                return;
            }
            MDC.put("watch", spec.name());
            MDC.put("key", e.key());
            MDC.put("revision", Long.toString(e.modRevision()));
            try {
                handleEvent(e);
            } catch (RuntimeException | Error t) {
                // a bug in the pipeline itself: the event is lost, not the watch
                LOG.error("watch {}: internal error processing revision {} of {}", spec.name(), e.modRevision(),
                        e.key(), t);
                lastRevision = e.modRevision();
                if (t instanceof Error err && !(t instanceof StackOverflowError)) {
                    throw err;
                }
            } finally {
                MDC.remove("watch");
                MDC.remove("key");
                MDC.remove("revision");
                MDC.remove("requestId");
            }
        }

        private void handleEvent(TriggerEvent e) {
            Instant started = clock.instant();
            Optional<String> requestId = requestId(e);
            requestId.ifPresent(id -> MDC.put("requestId", id));

            String rel = relativeKey(e.key());
            if (e.type() == EventType.DELETE) {
                keys.remove(rel);
                if (!spec.includeDeletes()) {
                    lastRevision = e.modRevision();
                    dropped.incrementAndGet();
                    LOG.debug("watch {}: DELETE of {} at revision {} ignored (watch does not include deletes)",
                            spec.name(), e.key(), e.modRevision());
                    return;
                }
            } else {
                keys.put(rel, e.text());
            }

            Plan plan = null;
            boolean executed = false;
            Outcome.Kind kind;
            String reason = "";
            OptionalInt exitCode = OptionalInt.empty();
            String output = "";
            boolean badPayload = false;
            try {
                plan = renderer.render(spec, e, keysView);
                if (plan == null) {
                    throw new IllegalStateException("renderer returned no plan");
                }
            } catch (CicdException ce) {
                plan = null;
                badPayload = ce.code() == CicdException.Code.BAD_PAYLOAD;
                reason = badPayload ? message(ce) : "rendering failed (" + ce.code() + "): " + message(ce);
            } catch (RuntimeException | StackOverflowError ex) {
                plan = null;
                reason = "rendering failed: " + ex.getClass().getName() + ": " + message(ex);
            }
            if (plan == null) {
                kind = badPayload ? Outcome.Kind.REJECTED : Outcome.Kind.FAILED;
            } else {
                boolean inSync = false;
                String dedupeError = null;
                if (spec.dedupe()) {
                    try {
                        inSync = deduplicator.inSync(plan);
                    } catch (RuntimeException ex) {
                        dedupeError = "could not check the last applied plan: " + ex.getClass().getName() + ": " + message(ex);
                    }
                }
                if (dedupeError != null) {
                    kind = Outcome.Kind.FAILED;
                    reason = dedupeError;
                } else if (inSync) {
                    kind = Outcome.Kind.IN_SYNC;
                } else {
                    executed = true;
                    ActionResult result = runAction(plan);
                    kind = result.kind();
                    reason = result.reason();
                    exitCode = result.exitCode();
                    output = result.output();
                }
            }
            Instant finished = clock.instant();
            Outcome outcome = new Outcome(e, kind, reason, plan == null ? Optional.empty() : Optional.of(plan.fingerprint()),
                    exitCode, output, requestId, started, finished, Optional.empty());
            if (kind == Outcome.Kind.APPLIED && committer == null) {
                try {
                    deduplicator.recordApplied(plan);
                } catch (RuntimeException ex) {
                    LOG.warn("watch {}: could not record the applied plan of revision {}: {}", spec.name(),
                            e.modRevision(), ex.toString());
                }
            }
            if (executed && runLog != null) {
                Optional<Path> file = runLog.write(outcome, plan.text());
                if (file.isPresent()) {
                    outcome = outcome.withRunLog(file.get());
                }
            }
            // an interrupt from close() must not break the commit, the sinks or the checkpoint
            boolean interrupted = Thread.interrupted();
            try {
                if (closeInterrupted) {
                    LOG.warn("watch {}: revision {} of {} was interrupted by close ({}); not recorded, it is replayed "
                            + "after a restart", spec.name(), e.modRevision(), e.key(), outcome.reason());
                    lastRevision = e.modRevision();
                    return;
                }
                logOutcome(outcome);
                outcomes.incrementAndGet(kind.ordinal());
                lastRevision = e.modRevision();
                if (committer != null) {
                    try {
                        committer.commit(outcome, Optional.ofNullable(plan));
                    } catch (RuntimeException ex) {
                        halted = true;
                        LOG.error("watch {}: commit of revision {} failed; halting the watch: {}", spec.name(),
                                e.modRevision(), ex.toString(), ex);
                    }
                }
                for (OutcomeSink sink : sinks) {
                    try {
                        sink.onOutcome(outcome);
                    } catch (RuntimeException ex) {
                        LOG.warn("watch {}: sink {} failed on revision {}; skipped: {}", spec.name(), sink,
                                e.modRevision(), ex.toString(), ex);
                    }
                }
                if (committer == null) {
                    try {
                        checkpoints.save(spec.name(), e.modRevision());
                    } catch (RuntimeException ex) {
                        LOG.warn("watch {}: could not save checkpoint {}: {}", spec.name(), e.modRevision(), ex.toString());
                    }
                }
            } finally {
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        /** Runs the action under the watchdog; never throws. */
        private ActionResult runAction(Plan plan) {
            Guard guard = new Guard(Thread.currentThread(), spec);
            Duration limit = spec.timeout().plus(actionGrace);
            ScheduledFuture<?> alarm = null;
            try {
                alarm = watchdog.schedule(guard::fire, Math.min(limit.toMillis(), Long.MAX_VALUE / 2), TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException | ArithmeticException ex) {
                LOG.debug("watch {}: no watchdog for this action: {}", spec.name(), ex.toString());
            }
            ActionResult result;
            try {
                result = action.execute(plan, new ActionContext(spec, spec.timeout(), workDir));
                if (result == null) {
                    result = ActionResult.failed("action " + spec.action() + " returned no result", "");
                }
            } catch (CicdException ex) {
                result = ActionResult.failed("action " + spec.action() + " threw " + ex.getClass().getName()
                        + " (" + ex.code() + "): " + message(ex), "");
            } catch (RuntimeException | StackOverflowError ex) {
                result = ActionResult.failed("action " + spec.action() + " threw " + ex.getClass().getName() + ": "
                        + message(ex), "");
            } finally {
                if (alarm != null) {
                    alarm.cancel(false);
                }
            }
            if (guard.finish()) {
                if (!closeInterrupted) {
                    Thread.interrupted();
                }
                if (result.kind() != Outcome.Kind.APPLIED) {
                    result = new ActionResult(result.kind(), "action " + spec.action() + " ran past its timeout of "
                            + spec.timeout() + " by more than " + actionGrace + " and was interrupted; " + result.reason(),
                            result.exitCode(), result.output());
                }
            }
            return result;
        }

        private String relativeKey(String key) {
            try {
                return spec.relativeKey(key);
            } catch (IllegalArgumentException ex) {
                return key;
            }
        }

        WatchStats stats() {
            Map<Outcome.Kind, Long> byKind = new EnumMap<>(Outcome.Kind.class);
            for (Outcome.Kind k : Outcome.Kind.values()) {
                byKind.put(k, outcomes.get(k.ordinal()));
            }
            return new WatchStats(spec.name(), received.get(), dropped.get(), byKind, lastRevision, halted);
        }
    }

    /** Interrupts an action's thread once its timeout and grace are over, unless it finished first. */
    private static final class Guard {
        private final Thread thread;
        private final WatchSpec spec;
        private boolean done;
        private boolean fired;

        Guard(Thread thread, WatchSpec spec) {
            this.thread = thread;
            this.spec = spec;
        }

        synchronized void fire() {
            if (!done) {
                fired = true;
                LOG.warn("watch {}: action {} ignores its timeout of {}; interrupting it", spec.name(), spec.action(),
                        spec.timeout());
                thread.interrupt();
            }
        }

        /** Marks the action finished; returns whether the guard fired. */
        synchronized boolean finish() {
            done = true;
            return fired;
        }
    }

    private static void logOutcome(Outcome o) {
        if (LOG.isInfoEnabled()) {
            LOG.info("outcome={} watch={} key={} revision={}{}{} duration={}ms{}", o.kind().label(), o.watch(),
                    o.event().key(), o.revision(),
                    o.requestId().map(id -> " requestId=" + id).orElse(""),
                    o.exitCode().isPresent() ? " exitCode=" + o.exitCode().getAsInt() : "",
                    Duration.between(o.started(), o.finished()).toMillis(),
                    o.reason().isEmpty() ? "" : " reason=\"" + oneLine(o.reason()) + "\"");
        }
    }

    private static String oneLine(String s) {
        return s.replace('\n', ' ').replace('\r', ' ');
    }

    private static String message(Throwable t) {
        String m = t.getMessage();
        return m == null || m.isBlank() ? t.getClass().getSimpleName() : m;
    }

    /** The payload's top-level {@code requestId} string, when the value is a JSON object carrying one. */
    static Optional<String> requestId(TriggerEvent e) {
        String text = e.text();
        if (!text.contains("\"requestId\"")) {
            return Optional.empty();
        }
        try {
            JsonNode node = JSON.readTree(text);
            JsonNode id = node == null ? null : node.get("requestId");
            if (node != null && node.isObject() && id != null && id.isTextual() && !id.asText().isBlank()) {
                return Optional.of(id.asText());
            }
        } catch (IOException | RuntimeException ex) {
            // not JSON: no request id
        }
        return Optional.empty();
    }

    /**
     * Counters of one watch.
     *
     * @param watch        the watch name
     * @param received     events the source delivered
     * @param dropped      events not processed: already-processed revisions, ignored DELETEs, events
     *                     left when the pipeline closed, events of a halted watch
     * @param outcomes     outcomes recorded, by kind (every kind present)
     * @param lastRevision the last revision processed (or the loaded checkpoint)
     * @param halted       whether the watch stopped after a failed {@link OutcomeCommitter#commit}
     */
    public record WatchStats(String watch, long received, long dropped, Map<Outcome.Kind, Long> outcomes,
                             long lastRevision, boolean halted) {
        public WatchStats {
            Objects.requireNonNull(watch, "watch");
            outcomes = Collections.unmodifiableMap(new EnumMap<>(outcomes));
        }

        /** Outcomes of a kind. */
        public long count(Outcome.Kind kind) {
            return outcomes.getOrDefault(kind, 0L);
        }

        /** All outcomes recorded. */
        public long completed() {
            long n = 0;
            for (long c : outcomes.values()) {
                n += c;
            }
            return n;
        }
    }

    /** Configures a {@link Pipeline}. Source, at least one watch, a renderer and the named actions are required. */
    public static final class Builder {
        private TriggerSource source;
        private final List<WatchSpec> watches = new ArrayList<>();
        private Renderer renderer;
        private Deduplicator deduplicator;
        private final Map<String, Action> actions = new LinkedHashMap<>();
        private final List<OutcomeSink> sinks = new ArrayList<>();
        private CheckpointStore checkpoints;
        private OutcomeCommitter committer;
        private RunLog runLog;
        private ExecutorService executor;
        private int parallelism;
        private Path workDir;
        private Clock clock = Clock.systemUTC();
        private Duration closeTimeout = DEFAULT_CLOSE_TIMEOUT;
        private Duration actionGrace = DEFAULT_ACTION_GRACE;

        private Builder() {
        }

        public Builder source(TriggerSource source) {
            this.source = Objects.requireNonNull(source, "source");
            return this;
        }

        public Builder watch(WatchSpec watch) {
            watches.add(Objects.requireNonNull(watch, "watch"));
            return this;
        }

        public Builder watches(List<WatchSpec> watches) {
            watches.forEach(this::watch);
            return this;
        }

        public Builder renderer(Renderer renderer) {
            this.renderer = Objects.requireNonNull(renderer, "renderer");
            return this;
        }

        /** Default: an {@link InMemoryDeduplicator}. */
        public Builder deduplicator(Deduplicator deduplicator) {
            this.deduplicator = Objects.requireNonNull(deduplicator, "deduplicator");
            return this;
        }

        /** Registers an action under the name a {@link WatchSpec#action()} refers to. */
        public Builder action(String name, Action action) {
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("action name must not be blank, was '" + name + "'");
            }
            actions.put(name, Objects.requireNonNull(action, "action " + name));
            return this;
        }

        /** Adds a sink; several may be added, they are told in order. */
        public Builder sink(OutcomeSink sink) {
            sinks.add(Objects.requireNonNull(sink, "sink"));
            return this;
        }

        /** Default: an {@link InMemoryCheckpointStore}. */
        public Builder checkpoints(CheckpointStore checkpoints) {
            this.checkpoints = Objects.requireNonNull(checkpoints, "checkpoints");
            return this;
        }

        /**
         * Records fingerprint, status and checkpoint in one step instead of {@link Deduplicator#recordApplied}
         * and {@link CheckpointStore#save}; the checkpoint store is then only read at start.
         */
        public Builder committer(OutcomeCommitter committer) {
            this.committer = Objects.requireNonNull(committer, "committer");
            return this;
        }

        /** Writes a run log for every executed plan (optional). */
        public Builder runLog(RunLog runLog) {
            this.runLog = Objects.requireNonNull(runLog, "runLog");
            return this;
        }

        /** Runs watches on this executor (not shut down by the pipeline); wins over {@link #parallelism}. */
        public Builder executor(ExecutorService executor) {
            this.executor = Objects.requireNonNull(executor, "executor");
            return this;
        }

        /** Size of the pipeline's own pool; default min(watches, 4). */
        public Builder parallelism(int parallelism) {
            if (parallelism < 1) {
                throw new IllegalArgumentException("parallelism must be >= 1, was " + parallelism);
            }
            this.parallelism = parallelism;
            return this;
        }

        /**
     * Where actions may write (a subdirectory per watch); default a new temporary directory, deleted
     * by {@link Pipeline#close()}.
     */
        public Builder workDir(Path workDir) {
            this.workDir = Objects.requireNonNull(workDir, "workDir");
            return this;
        }

        /** Clock for outcome times; default UTC system clock. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** How long {@link Pipeline#close()} waits for in-flight actions before interrupting; default 30 s. */
        public Builder closeTimeout(Duration closeTimeout) {
            Objects.requireNonNull(closeTimeout, "closeTimeout");
            if (closeTimeout.isNegative()) {
                throw new IllegalArgumentException("closeTimeout must be >= 0, was " + closeTimeout);
            }
            this.closeTimeout = closeTimeout;
            return this;
        }

        /** How long after its timeout an action that has not returned is interrupted; default 10 s. */
        public Builder actionGrace(Duration actionGrace) {
            Objects.requireNonNull(actionGrace, "actionGrace");
            if (actionGrace.isNegative()) {
                throw new IllegalArgumentException("actionGrace must be >= 0, was " + actionGrace);
            }
            this.actionGrace = actionGrace;
            return this;
        }

        /**
         * @throws CicdException {@link CicdException.Code#CONFIG} when something required is missing, two
         *                       watches share a name, or a watch names an action that was not registered
         */
        public Pipeline build() {
            if (source == null) {
                throw new CicdException(CicdException.Code.CONFIG, "pipeline needs a source");
            }
            if (renderer == null) {
                throw new CicdException(CicdException.Code.CONFIG, "pipeline needs a renderer");
            }
            if (watches.isEmpty()) {
                throw new CicdException(CicdException.Code.CONFIG, "pipeline needs at least one watch");
            }
            Map<String, WatchSpec> byName = new HashMap<>();
            for (WatchSpec w : watches) {
                if (byName.put(w.name(), w) != null) {
                    throw new CicdException(CicdException.Code.CONFIG, "two watches are named '" + w.name() + "'");
                }
                if (!actions.containsKey(w.action())) {
                    throw new CicdException(CicdException.Code.CONFIG, "watch " + w.name() + " names action '"
                            + w.action() + "', which is not configured; configured actions: " + actions.keySet());
                }
            }
            return new Pipeline(this);
        }
    }
}
