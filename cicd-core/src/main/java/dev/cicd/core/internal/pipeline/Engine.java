package dev.cicd.core.internal.pipeline;

import dev.cicd.core.Action;
import dev.cicd.core.CicdException;
import dev.cicd.core.Outcome;
import dev.cicd.core.OutcomeSink;
import dev.cicd.core.Pipeline;
import dev.cicd.core.Renderer;
import dev.cicd.core.RunLog;
import dev.cicd.core.SourceNotice;
import dev.cicd.core.StateStore;
import dev.cicd.core.TriggerEvent;
import dev.cicd.core.TriggerListener;
import dev.cicd.core.TriggerSource;
import dev.cicd.core.WatchSpec;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.SortedMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The pipeline's engine: wires the source to one {@link WatchFeed} per watch, the feeds to the
 * {@link LaneScheduler}, the lanes to worker threads running the {@link EventProcessor}, and the outcomes
 * to the {@link Recorder}. Owns the threads and the shutdown order. Built by {@link Pipeline}.
 */
public final class Engine {

    private static final Logger LOG = LoggerFactory.getLogger(Engine.class);
    private static final Duration INTERRUPT_WAIT = Duration.ofSeconds(5);

    /** What the engine is built from; see {@link Pipeline.Builder} for the meaning of each. */
    public record Settings(TriggerSource source, List<WatchSpec> watches, Renderer renderer, Map<String, Action> actions,
                           StateStore state, List<OutcomeSink> sinks, RunLog runLog, int parallelism, Path workDir,
                           Clock clock, Duration closeTimeout, Duration actionGrace, int maxQueuedEvents,
                           String name) {
    }

    private final Settings settings;
    private final Threads threads;
    private final Map<String, WatchFeed> feeds = new LinkedHashMap<>();
    private final LaneScheduler scheduler;
    private final EventProcessor processor;
    private final Teller teller;
    private final Recorder recorder;
    private final Set<Job> inFlight = ConcurrentHashMap.newKeySet();
    private final AtomicLong pending = new AtomicLong();
    private final Object idle = new Object();
    private volatile boolean closing;
    private volatile AutoCloseable subscription;

    /** Creates the engine and its work directories, and loads each watch's state; starts nothing. */
    public Engine(Settings settings) {
        this.settings = settings;
        this.teller = new Teller(settings.state(), settings.sinks());
        this.threads = new Threads(settings.name(), settings.parallelism(), settings.workDir(), settings.watches());
        this.scheduler = new LaneScheduler(settings.parallelism(), this::launch, this::supersede);
        this.processor = new EventProcessor(settings.state(), new ActionWatchdog(threads.timer, settings.actionGrace()),
                settings.clock(), teller::progress);
        this.recorder = new Recorder(settings.state(), settings.runLog(), teller, this::recorded);
        WatchFeed.Downstream downstream = new WatchFeed.Downstream() {
            @Override
            public boolean submit(Job job) {
                return scheduler.submit(job);
            }

            @Override
            public void dropped(TriggerEvent event) {
                eventDone(feeds.get(event.watch()));
            }

            @Override
            public void notice(SourceNotice notice) {
                teller.notice(notice);
            }
        };
        for (WatchSpec w : settings.watches()) {
            feeds.put(w.name(), new WatchFeed(w, settings.actions().get(w.action()), threads.workDir(w.name()),
                    settings.renderer(), settings.state(), settings.clock(), threads.feeds, downstream));
        }
    }

    /** Loads every watch's state, then starts the recorder and the source. */
    public void start() {
        Map<String, Long> checkpoints = new LinkedHashMap<>();
        for (WatchFeed f : feeds.values()) {
            StateStore.WatchState st;
            try {
                st = settings.state().load(f.spec.name());
            } catch (RuntimeException e) {
                throw new CicdException(CicdException.Code.SOURCE,
                        "could not load the state of watch " + f.spec.name() + ": " + e.getMessage(), e);
            }
            if (st.checkpoint().isPresent()) {
                long cp = st.checkpoint().getAsLong();
                checkpoints.put(f.spec.name(), cp);
                f.resume(cp, st.recordedAbove(), keysAt(f.spec, cp));
                if (!st.recordedAbove().isEmpty()) {
                    LOG.info("watch {}: resuming after revision {}; {} later revision(s) already recorded are not run "
                            + "again", f.spec.name(), cp, st.recordedAbove().size());
                }
            } else {
                // first start: the source delivers the current values one by one; templates reading
                // several keys (confd's resources) see them all from the first, as confd's first render does
                f.seedKeys(keysAt(f.spec, 0));
            }
        }
        recorder.start(settings.name() + "-recorder", feeds.values().stream().map(f -> f.progress).toList());
        subscription = settings.source().start(settings.watches(), checkpoints, new Listener());
    }

    private SortedMap<String, String> keysAt(WatchSpec spec, long checkpoint) {
        try {
            return settings.source().snapshot(spec, checkpoint);
        } catch (RuntimeException e) {
            LOG.warn("watch {}: could not read its keys at {}; templates see only keys changed from now on: {}",
                    spec.name(), checkpoint == 0 ? "the current revision" : "checkpoint revision " + checkpoint,
                    e.toString());
            return Collections.emptySortedMap();
        }
    }

    /** What the source returned from {@link TriggerSource#start}. */
    public Optional<AutoCloseable> subscription() {
        return Optional.ofNullable(subscription);
    }

    public Path workDir() {
        return threads.workDir;
    }

    public Map<String, Pipeline.WatchStats> stats() {
        Map<String, Pipeline.WatchStats> out = new LinkedHashMap<>();
        feeds.forEach((name, f) -> out.put(name, f.progress.stats()));
        return Collections.unmodifiableMap(out);
    }

    /** Waits until every event delivered so far has its outcome recorded (or was dropped). */
    public boolean awaitIdle(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (idle) {
            while (pending.get() > 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(idle, left);
                } catch (InterruptedException e) {
                    throw CicdException.interrupted("waiting for the pipeline to become idle", e);
                }
            }
            return true;
        }
    }

    /**
     * Stops the source, drops what waits in the lanes (it is above the checkpoint: replayed after a
     * restart), lets running events finish and be recorded for up to the close timeout, then interrupts
     * them (an interrupted event is not recorded).
     */
    public void close() {
        close(settings.closeTimeout());
    }

    /** {@link #close()}, waiting at most {@code closeTimeout} before interrupting running events. */
    public void close(Duration closeTimeout) {
        closing = true;
        feeds.values().forEach(WatchFeed::close);
        try {
            if (subscription != null) {
                subscription.close();
            }
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            LOG.warn("closing the trigger source failed: {}", e.toString());
        }
        for (Job j : scheduler.close()) {
            j.feed.progress.dropped.incrementAndGet();
            eventDone(j.feed);
        }
        if (!awaitNoneInFlight(closeTimeout)) {
            for (Job j : inFlight) {
                Thread t = j.thread;
                if (t != null) {
                    LOG.warn("watch {}: revision {} did not finish within {}; interrupting it", j.watch(), j.revision(),
                            closeTimeout);
                    j.closeInterrupted = true;
                    t.interrupt();
                }
            }
            if (!awaitNoneInFlight(INTERRUPT_WAIT)) {
                LOG.error("{} action(s) did not stop after an interrupt; abandoning them", inFlight.size());
            }
        }
        recorder.stop(INTERRUPT_WAIT.plus(closeTimeout));
        threads.close();
    }

    private boolean awaitNoneInFlight(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!inFlight.isEmpty()) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }

    private void launch(Job job) {
        inFlight.add(job);
        try {
            threads.workers.execute(() -> work(job));
        } catch (RejectedExecutionException e) {
            inFlight.remove(job);
            job.feed.progress.dropped.incrementAndGet();
            eventDone(job.feed);
        }
    }

    /** On a worker thread: process, free the slot, hand the outcome to the recorder. */
    private void work(Job job) {
        if (job.feed.progress.halted) {
            job.feed.progress.dropped.incrementAndGet();
            scheduler.actionFinished(job);
            recorded(job);
            return;
        }
        job.thread = Thread.currentThread();
        MDC.put("watch", job.watch());
        MDC.put("key", job.event.key());
        MDC.put("revision", Long.toString(job.revision()));
        job.requestId.ifPresent(id -> MDC.put("requestId", id));
        EventProcessor.Processed p;
        try {
            p = processor.process(job);
        } catch (RuntimeException | Error t) {
            LOG.error("watch {}: internal error processing revision {} of {}", job.watch(), job.revision(),
                    job.event.key(), t);
            p = new EventProcessor.Processed(new Outcome(job.event, Outcome.Kind.FAILED, "internal error: " + t,
                    job.plan.map(pl -> pl.fingerprint()), OptionalInt.empty(), "", job.requestId, job.received,
                    settings.clock().instant(), Optional.empty()), false);
        } finally {
            job.thread = null;
            MDC.remove("watch");
            MDC.remove("key");
            MDC.remove("revision");
            MDC.remove("requestId");
        }
        boolean interrupted = Thread.interrupted();
        scheduler.actionFinished(job);
        if (job.closeInterrupted) {
            LOG.warn("watch {}: revision {} of {} was interrupted by close ({}); not recorded, it is replayed after a "
                    + "restart", job.watch(), job.revision(), job.event.key(), p.outcome().reason());
            job.feed.progress.dropped.incrementAndGet();
            inFlight.remove(job);
            eventDone(job.feed);
            return;
        }
        if (interrupted) {
            LOG.debug("watch {}: cleared an interrupt left by revision {}", job.watch(), job.revision());
        }
        recorder.submit(job, p.outcome(), p.executed());
    }

    private void supersede(Job skipped, Job newer) {
        Outcome o = new Outcome(skipped.event, Outcome.Kind.SUPERSEDED, "superseded by revision " + newer.revision()
                + " of " + newer.event.key() + " (coalesce: latest)", skipped.plan.map(pl -> pl.fingerprint()),
                OptionalInt.empty(), "", skipped.requestId, skipped.received, settings.clock().instant(), Optional.empty());
        recorder.submit(skipped, o, false);
    }

    /** The job's outcome is recorded (or it was abandoned): free its targets. */
    private void recorded(Job job) {
        scheduler.completed(job);
        inFlight.remove(job);
        eventDone(job.feed);
    }

    /** One event of the feed's watch is done; a paused watch resumes once half its allowance is free. */
    private void eventDone(WatchFeed feed) {
        if (feed != null) {
            WatchProgress w = feed.progress;
            long left = w.backlog.decrementAndGet();
            if (left <= settings.maxQueuedEvents() / 2) {
                synchronized (w) {
                    if (w.paused && !closing) {
                        w.paused = false;
                        flow().ifPresent(f -> f.resume(feed.spec.name()));
                    }
                }
            }
        }
        eventDone();
    }

    /** Counts a delivered event; asks the source to pause the watch when too many of its events wait. */
    private void eventArrived(WatchFeed feed) {
        WatchProgress w = feed.progress;
        if (w.backlog.incrementAndGet() >= settings.maxQueuedEvents()) {
            synchronized (w) {
                Optional<TriggerSource.FlowControl> f = flow();
                if (!w.paused && f.isPresent()) {
                    w.paused = true;
                    LOG.info("watch {}: {} events waiting; pausing its source until half of them are done",
                            feed.spec.name(), w.backlog.get());
                    f.get().pause(feed.spec.name());
                }
            }
        }
    }

    private Optional<TriggerSource.FlowControl> flow() {
        return subscription instanceof TriggerSource.FlowControl f ? Optional.of(f) : Optional.empty();
    }

    private void eventDone() {
        if (pending.decrementAndGet() <= 0) {
            synchronized (idle) {
                idle.notifyAll();
            }
        }
    }

    /** Receives from the source on its thread: counts and enqueues, nothing more. */
    private final class Listener implements TriggerListener {
        @Override
        public void onEvent(TriggerEvent event) {
            if (closing) {
                return;
            }
            WatchFeed feed = feeds.get(event.watch());
            if (feed == null) {
                LOG.warn("source delivered an event of unknown watch '{}' ({}); ignored", event.watch(), event);
                return;
            }
            teller.received(event);
            feed.progress.received.incrementAndGet();
            pending.incrementAndGet();
            eventArrived(feed);
            feed.offer(event);
        }

        @Override
        public void onNotice(SourceNotice notice) {
            if (closing) {
                return;
            }
            WatchFeed feed = feeds.get(notice.watch());
            if (feed != null) {
                feed.offer(notice);
            } else {
                LOG.warn("source notice for unknown watch '{}': {}", notice.watch(), notice.message());
                teller.notice(notice);
            }
        }
    }
}
