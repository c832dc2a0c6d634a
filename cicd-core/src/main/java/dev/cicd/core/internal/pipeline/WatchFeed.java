package dev.cicd.core.internal.pipeline;

import dev.cicd.core.Action;
import dev.cicd.core.CicdException;
import dev.cicd.core.EventType;
import dev.cicd.core.Outcome;
import dev.cicd.core.Plan;
import dev.cicd.core.Renderer;
import dev.cicd.core.SourceNotice;
import dev.cicd.core.StateStore;
import dev.cicd.core.TriggerEvent;
import dev.cicd.core.WatchSpec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * One watch's events in revision order, one at a time: keeps the watch's key map (what {@code getv}
 * reads), drops replays and revisions already recorded, renders the plan at the event's revision, learns
 * its targets and hands it to the lanes. Drained by at most one thread at a time.
 */
final class WatchFeed implements Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(WatchFeed.class);
    private static final int DRAIN_BATCH = 256;

    /** What the feed hands on. */
    interface Downstream {
        /** Queues the job; false when the pipeline is closing. */
        boolean submit(Job job);

        /** The event left the pipeline without an outcome. */
        void dropped(TriggerEvent event);

        void notice(SourceNotice notice);
    }

    final WatchSpec spec;
    final Action action;
    final WatchProgress progress;
    final Path workDir;
    private final Renderer renderer;
    private final StateStore state;
    private final Clock clock;
    private final Executor executor;
    private final Downstream downstream;
    private final ConcurrentLinkedQueue<Object> queue = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean scheduled = new AtomicBoolean();
    /** Relative key -> text; touched only by the draining thread. */
    private final TreeMap<String, String> keys = new TreeMap<>();
    private final SortedMap<String, String> keysView = Collections.unmodifiableSortedMap(keys);
    private final Set<Long> recordedAbove = new HashSet<>();
    private long lastRevision;
    private volatile boolean closing;
    /**
     * Whether an event's only target is its key (no target expression, an action that never names targets,
     * no signature to check first): then whose event it is is known before rendering it.
     */
    private final boolean keyIsTarget;

    WatchFeed(WatchSpec spec, Action action, Path workDir, Renderer renderer, StateStore state, Clock clock,
            Executor executor, Downstream downstream) {
        this.spec = spec;
        this.action = action;
        this.workDir = workDir;
        this.renderer = renderer;
        this.state = state;
        this.clock = clock;
        this.executor = executor;
        this.downstream = downstream;
        this.progress = new WatchProgress(spec.name());
        this.keyIsTarget = spec.target().isEmpty() && spec.verify().isEmpty() && !action.namesTargets();
    }

    /** Before start: resume after the stored checkpoint, with the keys as they were then. */
    void resume(long checkpoint, Set<Long> alreadyRecorded, SortedMap<String, String> keysAtCheckpoint) {
        lastRevision = checkpoint;
        progress.resume(checkpoint);
        recordedAbove.addAll(alreadyRecorded);
        keysAtCheckpoint.forEach((rel, text) -> putKey(rel, spec.fullKey(rel), text.getBytes(StandardCharsets.UTF_8)));
    }

    /** Before a first start (no checkpoint): the keys as they are now. */
    void seedKeys(SortedMap<String, String> current) {
        current.forEach((rel, text) -> putKey(rel, spec.fullKey(rel), text.getBytes(StandardCharsets.UTF_8)));
    }

    void offer(Object eventOrNotice) {
        queue.add(eventOrNotice);
        schedule();
    }

    void close() {
        closing = true;
    }

    private void schedule() {
        if (scheduled.compareAndSet(false, true)) {
            try {
                executor.execute(this);
            } catch (RejectedExecutionException e) {
                scheduled.set(false);
                drainAsDropped();
            }
        }
    }

    private void drainAsDropped() {
        Object item;
        while ((item = queue.poll()) != null) {
            if (item instanceof TriggerEvent e) {
                progress.dropped.incrementAndGet();
                downstream.dropped(e);
            }
        }
    }

    @Override
    public void run() {
        try {
            for (int n = 0; n < DRAIN_BATCH; n++) {
                Object item = queue.poll();
                if (item == null) {
                    break;
                }
                if (item instanceof TriggerEvent e) {
                    if (closing) {
                        progress.dropped.incrementAndGet();
                        downstream.dropped(e);
                    } else {
                        handle(e);
                    }
                } else if (item instanceof SourceNotice notice && !closing) {
                    handleNotice(notice);
                }
            }
        } finally {
            scheduled.set(false);
            if (!queue.isEmpty()) {
                schedule();
            }
        }
    }

    private void handleNotice(SourceNotice notice) {
        if (notice.kind() == SourceNotice.Kind.RESET) {
            LOG.warn("watch {}: {} ({}); forgetting revision {} and the known keys", spec.name(), notice.message(),
                    notice.kind(), lastRevision);
            lastRevision = 0;
            keys.clear();
            recordedAbove.clear();
            progress.reset();
        } else {
            LOG.warn("watch {}: {} ({})", spec.name(), notice.message(), notice.kind());
        }
        downstream.notice(notice);
    }

    private void handle(TriggerEvent e) {
        long rev = e.modRevision();
        if (progress.halted || rev <= lastRevision) {
            progress.dropped.incrementAndGet();
            LOG.debug("watch {}: dropping revision {} of {} ({})", spec.name(), rev, e.key(),
                    progress.halted ? "the watch is halted" : "already handled up to " + lastRevision);
            downstream.dropped(e);
            return;
        }
        lastRevision = rev;
        String rel = relativeKey(e.key());
        if (e.type() == EventType.DELETE) {
            keys.remove(rel);
        } else {
            putKey(rel, e.key(), e.value());
        }
        if (e.type() == EventType.DELETE && !spec.includeDeletes() || recordedAbove.remove(rev)) {
            progress.passed(rev);
            progress.dropped.incrementAndGet();
            LOG.debug("watch {}: revision {} of {} is {}", spec.name(), rev, e.key(),
                    e.type() == EventType.DELETE ? "a delete (not a trigger)" : "already recorded");
            downstream.dropped(e);
            return;
        }
        if (keyIsTarget && !state.owns(spec.name(), List.of(e.key()), rev)) {
            notOurs(e, List.of(e.key())); // not rendered: another runner's, and rendering changes nothing here
            return;
        }
        MDC.put("watch", spec.name());
        MDC.put("key", e.key());
        MDC.put("revision", Long.toString(rev));
        try {
            Job job = prepare(e);
            if (!state.owns(spec.name(), job.targets, rev)) {
                notOurs(e, job.targets);
                return;
            }
            progress.opened(rev);
            if (!downstream.submit(job)) {
                progress.dropped.incrementAndGet();
                downstream.dropped(e);
            }
        } finally {
            MDC.remove("watch");
            MDC.remove("key");
            MDC.remove("revision");
        }
    }

    /** Passes an event of another runner's shard (or at or below its shard's checkpoint). */
    private void notOurs(TriggerEvent e, List<String> targets) {
        progress.passed(e.modRevision());
        progress.dropped.incrementAndGet();
        LOG.debug("watch {}: revision {} of {} is not this runner's (targets {})", spec.name(), e.modRevision(), e.key(),
                targets);
        downstream.dropped(e);
    }

    /** Renders the plan and finds its targets; a failure decides the outcome (nothing will run). */
    private Job prepare(TriggerEvent e) {
        Instant received = clock.instant();
        int size = e.size();
        if (size > spec.maxValueBytes()) {
            return decided(e, Outcome.Kind.REJECTED, "value of " + e.key() + " at revision " + e.modRevision() + " is "
                    + size + " bytes; watch " + spec.name() + " accepts at most " + spec.maxValueBytes()
                    + " (watches[].maxValueBytes)", Optional.empty(), received);
        }
        if (spec.verify().isPresent()) {
            try {
                e = spec.verify().get().verify(e, received); // the payload, without the signature header
            } catch (CicdException ce) {
                keys.remove(relativeKey(e.key()));
                return failed(e, ce, "verifying the signature failed", Optional.empty(), received);
            }
        }
        Optional<String> requestId = requestId(e);
        Plan plan;
        try {
            plan = renderer.render(spec, e, keysView);
            if (plan == null) {
                throw new IllegalStateException("renderer returned no plan");
            }
        } catch (CicdException ce) {
            return failed(e, ce, "rendering failed", requestId, received);
        } catch (RuntimeException | StackOverflowError ex) {
            return decided(e, Outcome.Kind.FAILED, "rendering failed: " + ex.getClass().getName() + ": "
                    + EventProcessor.message(ex), requestId, received);
        }
        List<String> targets;
        try {
            targets = new ArrayList<>(action.targets(plan));
        } catch (CicdException ce) {
            return failed(e, ce, "reading the plan's targets failed", requestId, received);
        } catch (RuntimeException ex) {
            return decided(e, Outcome.Kind.FAILED, "reading the plan's targets failed: " + ex.getClass().getName()
                    + ": " + EventProcessor.message(ex), requestId, received);
        }
        if (targets.isEmpty()) {
            targets.addAll(plan.targets());
        } else {
            Collections.sort(targets);
        }
        return new Job(this, e, Optional.of(plan), targets, requestId, received, null);
    }

    /** Bad input ({@code BAD_PAYLOAD}) is rejected with its message; anything else failed. */
    private Job failed(TriggerEvent e, CicdException ce, String what, Optional<String> requestId, Instant received) {
        boolean bad = ce.code() == CicdException.Code.BAD_PAYLOAD;
        String reason = bad ? EventProcessor.message(ce) : what + " (" + ce.code() + "): " + EventProcessor.message(ce);
        return decided(e, bad ? Outcome.Kind.REJECTED : Outcome.Kind.FAILED, reason, requestId, received);
    }

    private Job decided(TriggerEvent e, Outcome.Kind kind, String reason, Optional<String> requestId, Instant received) {
        Outcome o = new Outcome(e, kind, reason, Optional.empty(), OptionalInt.empty(), "", requestId, received,
                clock.instant(), Optional.empty());
        return new Job(this, e, Optional.empty(), List.of(e.key()), requestId, received, o);
    }

    /** What getv reads: the value, or on a signed watch its verified payload (absent when it does not verify). */
    private void putKey(String rel, String fullKey, byte[] value) {
        if (spec.verify().isEmpty()) {
            keys.put(rel, new String(value, StandardCharsets.UTF_8));
        } else {
            spec.verify().get().authenticPayload(fullKey, value).ifPresentOrElse(
                    p -> keys.put(rel, new String(p, StandardCharsets.UTF_8)), () -> keys.remove(rel));
        }
    }

    private String relativeKey(String key) {
        try {
            return spec.relativeKey(key);
        } catch (IllegalArgumentException ex) {
            return key;
        }
    }

    /** The payload's top-level {@code requestId} string, when the value is a JSON object carrying one. */
    static Optional<String> requestId(TriggerEvent e) {
        return e.requestId();
    }
}
