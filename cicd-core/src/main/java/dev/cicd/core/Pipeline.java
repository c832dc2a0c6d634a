package dev.cicd.core;

import dev.cicd.core.internal.pipeline.Engine;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Drives source -> renderer -> lanes -> action -> state for a set of watches.
 *
 * <p><b>Targets and lanes.</b> Each watch's events are rendered one at a time in revision order, with
 * the watch's keys as of the event's revision. The plan names its <i>targets</i>: what the
 * {@link Action#targets action} reads from it (a Kubernetes plan's {@code namespace/deployment}s), else
 * the watch's {@link WatchSpec#target() target expression}, else the event's key. Events of one target
 * run one at a time in revision order, each after the previous one's outcome is recorded; events of
 * different targets run in parallel, at most {@link Builder#parallelism} at once across all watches. A
 * plan with several targets waits for all of them.
 *
 * <p><b>Outcomes.</b> Every event ends in exactly one {@link Outcome}: a render that throws
 * {@link CicdException.Code#BAD_PAYLOAD} is {@code rejected}, any other render failure {@code failed};
 * a plan the {@link Deduplicator} finds applied last to every target is {@code in-sync} (only for watches
 * that dedupe, and never for actions that {@link Action#comparesLiveState compare with the live state});
 * otherwise the action's result; with {@link WatchSpec.Coalesce#LATEST} a queued event whose target got a
 * newer value is {@code superseded}.
 *
 * <p><b>Exactly once.</b> Outcomes go to the {@link StateStore} in batches, each written atomically with
 * the fingerprints of applied plans and each watch's checkpoint (the highest revision with every event
 * at or below it recorded). A restart resumes after the checkpoint and skips the revisions above it that
 * are already recorded, so only the events whose actions were in flight run again. A failed write halts
 * the watches of the batch ({@link WatchStats#halted()}): another runner may own them now.
 *
 * <p>Actions own their timeout ({@link ActionContext#timeout()}); the pipeline interrupts an action that
 * has not returned {@link Builder#actionGrace} after it. {@link #close()} stops the source, drops the
 * events waiting in lanes (replayed after a restart), lets running ones finish for up to the close
 * timeout, then interrupts them (an interrupted event is not recorded).
 *
 * <p>The MDC keys {@code watch}, {@code key}, {@code revision} and {@code requestId} are set while an
 * event is rendered, run and recorded. Nothing starts a thread before {@link #start()}.
 */
public final class Pipeline implements AutoCloseable {

    /** Default time {@link #close()} waits for in-flight actions: 30 seconds. */
    public static final Duration DEFAULT_CLOSE_TIMEOUT = Duration.ofSeconds(30);
    /** Default time after an action's timeout before the pipeline interrupts it: 10 seconds. */
    public static final Duration DEFAULT_ACTION_GRACE = Duration.ofSeconds(10);
    /** Default number of events that run at once: 16. */
    public static final int DEFAULT_PARALLELISM = 16;
    /** Default number of a watch's events that may wait before its source is paused: 1,000. */
    public static final int DEFAULT_MAX_QUEUED_EVENTS = 1_000;

    private static final AtomicInteger IDS = new AtomicInteger();

    private enum State { NEW, STARTED, CLOSED }

    private final Engine.Settings settings;
    private final Object lock = new Object();
    private State state = State.NEW;
    private Engine engine;

    private Pipeline(Engine.Settings settings) {
        this.settings = settings;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The watches, in the order given. */
    public List<WatchSpec> watches() {
        return settings.watches();
    }

    /**
     * Creates the work directory, loads each watch's state and starts the source. Threads start here.
     *
     * @throws CicdException {@link CicdException.Code#SOURCE} when the state cannot be loaded or the
     *                       source cannot start; {@link CicdException.Code#CONFIG} when the work
     *                       directory cannot be created
     * @throws IllegalStateException when already started or closed
     */
    public void start() {
        synchronized (lock) {
            if (state != State.NEW) {
                throw new IllegalStateException("pipeline was already " + (state == State.STARTED ? "started" : "closed"));
            }
            Engine e = new Engine(settings);
            engine = e;
            state = State.STARTED;
            try {
                e.start();
            } catch (RuntimeException ex) {
                state = State.CLOSED;
                e.close();
                if (ex instanceof CicdException) {
                    throw ex;
                }
                throw new CicdException(CicdException.Code.SOURCE, "could not start the trigger source: " + ex.getMessage(), ex);
            }
        }
    }

    /**
     * Waits until every event delivered so far has its outcome recorded (or was dropped).
     *
     * @return false when the timeout passed first
     */
    public boolean awaitIdle(Duration timeout) {
        Engine e = engine();
        return e == null || e.awaitIdle(timeout);
    }

    /** Counters per watch, in the order the watches were given. */
    public Map<String, WatchStats> stats() {
        Engine e = engine();
        if (e != null) {
            return e.stats();
        }
        Map<String, WatchStats> out = new LinkedHashMap<>();
        for (WatchSpec w : settings.watches()) {
            out.put(w.name(), WatchStats.empty(w.name()));
        }
        return Collections.unmodifiableMap(out);
    }

    /** The stats of one watch. */
    public WatchStats stats(String watch) {
        WatchStats s = stats().get(watch);
        if (s == null) {
            throw new IllegalArgumentException("no watch named '" + watch + "'; watches: " + stats().keySet());
        }
        return s;
    }

    /** The directory actions get as their work directory (per watch: a subdirectory); set by {@link #start()}. */
    public Optional<Path> workDir() {
        return Optional.ofNullable(engine()).map(Engine::workDir);
    }

    /** What the source's {@link TriggerSource#start} returned, once started (for source-specific readiness). */
    public Optional<AutoCloseable> subscription() {
        return Optional.ofNullable(engine()).flatMap(Engine::subscription);
    }

    private Engine engine() {
        synchronized (lock) {
            return engine;
        }
    }

    /** Stops the source and the lanes; see the class comment. Idempotent. */
    @Override
    public void close() {
        Engine e = closing();
        if (e != null) {
            e.close();
        }
    }

    /**
     * Stops at once: like {@link #close()}, but running actions are interrupted without waiting (they are
     * not recorded, so their events are replayed by whoever owns the watches next). For a runner that lost
     * its leadership: another runner may be acting on the same targets already. Idempotent.
     */
    public void abort() {
        Engine e = closing();
        if (e != null) {
            e.close(Duration.ZERO);
        }
    }

    private Engine closing() {
        synchronized (lock) {
            boolean started = state == State.STARTED;
            state = State.CLOSED;
            return started ? engine : null;
        }
    }

    /**
     * Counters of one watch.
     *
     * @param watch        the watch name
     * @param received     events the source delivered
     * @param dropped      events with no outcome: replays, already-recorded revisions, ignored DELETEs,
     *                     events left when the pipeline closed, events of a halted watch, events another
     *                     runner carries out ({@link StateStore#owns})
     * @param outcomes     outcomes recorded, by kind (every kind present)
     * @param lastRevision every revision of the watch up to it has its outcome recorded or needed none
     *                     (an ignored delete, a replay): the checkpoint as this pipeline sees it
     * @param halted       whether the watch stopped after a failed write to the state store
     */
    public record WatchStats(String watch, long received, long dropped, Map<Outcome.Kind, Long> outcomes,
                             long lastRevision, boolean halted) {
        public WatchStats {
            Objects.requireNonNull(watch, "watch");
            outcomes = Collections.unmodifiableMap(new EnumMap<>(outcomes));
        }

        static WatchStats empty(String watch) {
            Map<Outcome.Kind, Long> zero = new EnumMap<>(Outcome.Kind.class);
            for (Outcome.Kind k : Outcome.Kind.values()) {
                zero.put(k, 0L);
            }
            return new WatchStats(watch, 0, 0, zero, 0, false);
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
        private StateStore state;
        private final Map<String, Action> actions = new LinkedHashMap<>();
        private final List<OutcomeSink> sinks = new ArrayList<>();
        private RunLog runLog;
        private int parallelism = DEFAULT_PARALLELISM;
        private int maxQueuedEvents = DEFAULT_MAX_QUEUED_EVENTS;
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

        /** Where checkpoints, fingerprints and outcomes are kept; default a new {@link InMemoryStateStore}. */
        public Builder state(StateStore state) {
            this.state = Objects.requireNonNull(state, "state");
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

        /** Adds a sink, told of every recorded outcome; several may be added, they are told in order. */
        public Builder sink(OutcomeSink sink) {
            sinks.add(Objects.requireNonNull(sink, "sink"));
            return this;
        }

        /** Writes a run log for every executed plan (optional). */
        public Builder runLog(RunLog runLog) {
            this.runLog = Objects.requireNonNull(runLog, "runLog");
            return this;
        }

        /** How many events run at once across all watches (events of one target never overlap); default 16. */
        public Builder parallelism(int parallelism) {
            if (parallelism < 1) {
                throw new IllegalArgumentException("parallelism must be >= 1, was " + parallelism);
            }
            this.parallelism = parallelism;
            return this;
        }

        /**
         * Backpressure: when this many of a watch's events wait (delivered, not yet recorded), a source
         * that supports {@link TriggerSource.FlowControl} is paused for that watch, and resumed when half
         * of them are done. Nothing is dropped. Default 1,000.
         */
        public Builder maxQueuedEvents(int maxQueuedEvents) {
            if (maxQueuedEvents < 2) {
                throw new IllegalArgumentException("maxQueuedEvents must be >= 2, was " + maxQueuedEvents);
            }
            this.maxQueuedEvents = maxQueuedEvents;
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
            this.closeTimeout = nonNegative(closeTimeout, "closeTimeout");
            return this;
        }

        /** How long after its timeout an action that has not returned is interrupted; default 10 s. */
        public Builder actionGrace(Duration actionGrace) {
            this.actionGrace = nonNegative(actionGrace, "actionGrace");
            return this;
        }

        private static Duration nonNegative(Duration d, String name) {
            Objects.requireNonNull(d, name);
            if (d.isNegative()) {
                throw new IllegalArgumentException(name + " must be >= 0, was " + d);
            }
            return d;
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
            return new Pipeline(new Engine.Settings(source, List.copyOf(watches), renderer, Map.copyOf(actions),
                    state != null ? state : new InMemoryStateStore(), List.copyOf(sinks), runLog, parallelism, workDir,
                    clock, closeTimeout, actionGrace, maxQueuedEvents, "cicd-pipeline-" + IDS.incrementAndGet()));
        }
    }
}
