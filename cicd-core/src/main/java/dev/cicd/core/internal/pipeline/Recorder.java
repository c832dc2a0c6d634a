package dev.cicd.core.internal.pipeline;

import dev.cicd.core.CicdException;
import dev.cicd.core.Outcome;
import dev.cicd.core.RunLog;
import dev.cicd.core.StateStore;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records outcomes: the run log of executed plans (on the caller's thread), then group commit: what is
 * queued goes into the next {@link StateStore#commit} (bounded by the store's operation budget). Up to
 * {@link StateStore#maxConcurrentCommits()} commits are in flight at once; of those, at most one carries
 * checkpoints and {@code latest} records (each watch's checkpoint as it stands once the batch is written),
 * the others only outcomes, fingerprints and marks. So a checkpoint only moves forward, and never past an
 * outcome that is not yet written; when the queue runs dry, a checkpoint-only batch catches up what the
 * other batches recorded. Each job still waits for its own commit before its target takes the next event,
 * so two batches in flight never hold the same target.
 *
 * <p>After a successful write the sinks are told and {@code onRecorded} releases the job. A write refused
 * because this runner no longer owns the watch ({@link CicdException.Code#FENCED}) halts the batch's
 * watches: nothing of it is told, the owner replays the events. Any other failure (a record the store
 * will not take, etcd gone past the retry budget) records each outcome again as a small {@code failed}
 * one naming the error, so no input can stop a watch; only when that fails too does the watch halt.
 */
final class Recorder {

    private static final Logger LOG = LoggerFactory.getLogger(Recorder.class);

    private record Pending(Job job, Outcome outcome) {
    }

    /** How a commit ended: written; not written but its outcomes recorded one by one as failed; refused. */
    private enum Result { WRITTEN, RECORDED_AS_FAILED, FENCED }

    /** One commit to make: its outcomes, and whether it carries checkpoints and latest records. */
    private record Work(List<Pending> batch, boolean checkpoints, Set<WatchProgress> behind,
            Map<WatchProgress, Outcome> latest) {
    }

    private final StateStore state;
    private final RunLog runLog;
    private final Teller teller;
    private final Consumer<Job> onRecorded;
    private final int maxOps;
    private final int maxInFlight;
    private final ArrayDeque<Pending> queue = new ArrayDeque<>();
    /** The latest records the batches carrying checkpoints send. Guarded by {@link #queue}. */
    private final LatestRecords latestRecords = new LatestRecords();
    /** Watches with outcomes written by batches without checkpoints since the last one with. Guarded by {@link #queue}. */
    private final Set<WatchProgress> behind = new HashSet<>();
    /** Guarded by {@link #queue}. */
    private int inFlight;
    /** Whether the batch carrying checkpoints is in flight. Guarded by {@link #queue}. */
    private boolean checkpointsInFlight;
    /** {@link StateStore#checkpointInterval()}, and when the last batch carrying checkpoints started. */
    private final long checkpointEveryNanos;
    private long checkpointsAt;
    private Thread thread;
    private java.util.concurrent.ExecutorService committers;
    private boolean stopping;
    /** Every watch of the pipeline: checked for passed events now and then. */
    private final List<WatchProgress> watches = new ArrayList<>();
    /** When to look next for checkpoints that passed events moved ({@link System#nanoTime()}). Guarded by {@link #queue}. */
    private long nextAdvance;
    /** How often passed events alone move a stored checkpoint. */
    static final long ADVANCE_EVERY_NANOS = 1_000_000_000L;
    /** After a checkpoint-only write failed: how long until the next try. */
    static final long ADVANCE_BACKOFF_NANOS = 30_000_000_000L;

    Recorder(StateStore state, RunLog runLog, Teller teller, Consumer<Job> onRecorded) {
        this.state = state;
        this.runLog = runLog;
        this.teller = teller;
        this.onRecorded = onRecorded;
        this.maxOps = Math.max(1, state.maxOpsPerCommit());
        this.maxInFlight = Math.max(1, state.maxConcurrentCommits());
        this.checkpointEveryNanos = Math.max(0, state.checkpointInterval().toNanos());
        this.checkpointsAt = System.nanoTime() - checkpointEveryNanos;
    }

    /**
     * Starts the recorder's thread. Besides outcomes, it writes now and then (at most once a second) the
     * checkpoint of a watch whose events were passed without outcomes since (another runner's events,
     * ignored deletes): otherwise such a watch's stored checkpoint would stay behind, and a restart or a
     * new owner would read all of that history again.
     */
    void start(String name, List<WatchProgress> all) {
        watches.addAll(all);
        nextAdvance = System.nanoTime() + ADVANCE_EVERY_NANOS;
        if (maxInFlight > 1) {
            java.util.concurrent.atomic.AtomicInteger n = new java.util.concurrent.atomic.AtomicInteger();
            committers = java.util.concurrent.Executors.newFixedThreadPool(maxInFlight, r -> {
                Thread t = new Thread(r, name + "-" + n.incrementAndGet());
                t.setDaemon(true);
                return t;
            });
        }
        thread = new Thread(this::loop, name);
        thread.setDaemon(true);
        thread.start();
    }

    /** Queues an outcome; writes the run log first when the plan was executed. */
    void submit(Job job, Outcome outcome, boolean executed) {
        if (executed && runLog != null && job.plan.isPresent()) {
            Optional<Path> file = runLog.write(outcome, job.plan.get().text());
            if (file.isPresent()) {
                outcome = outcome.withRunLog(file.get());
            }
        }
        synchronized (queue) {
            queue.addLast(new Pending(job, outcome));
            queue.notifyAll();
        }
    }

    /** Writes what is queued, then stops; waits up to {@code timeout}. */
    void stop(Duration timeout) {
        synchronized (queue) {
            stopping = true;
            queue.notifyAll();
        }
        if (thread != null) {
            try {
                thread.join(Math.max(1, timeout.toMillis()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (thread.isAlive()) {
                LOG.warn("the recorder did not finish writing within {}; {} outcome(s) not recorded, replayed after a "
                        + "restart", timeout, queued());
                thread.interrupt();
            }
        }
        if (committers != null) {
            committers.shutdownNow();
        }
    }

    private int queued() {
        synchronized (queue) {
            return queue.size();
        }
    }

    private void loop() {
        while (true) {
            Work work = next();
            if (work == null) {
                return;
            }
            if (committers == null) {
                write(work);
            } else {
                committers.execute(() -> write(work));
            }
        }
    }

    /**
     * The next commit, once one may start: as much as is queued within the store's operation budget,
     * with checkpoints when no other batch carrying them is in flight; or, with nothing queued, the
     * checkpoints and latest records that batches without them left behind. Null when stopped.
     */
    private Work next() {
        synchronized (queue) {
            while (true) {
                boolean slot = inFlight < maxInFlight;
                long untilCheckpoints = stopping ? 0 : checkpointsAt + checkpointEveryNanos - System.nanoTime();
                if (slot && !queue.isEmpty()) {
                    boolean checkpoints = !checkpointsInFlight && untilCheckpoints <= 0;
                    return started(take(checkpoints), checkpoints);
                }
                if (slot && !checkpointsInFlight && !behind.isEmpty() && untilCheckpoints <= 0) {
                    return started(List.of(), true);
                }
                if (stopping && queue.isEmpty() && inFlight == 0 && behind.isEmpty()) {
                    return null;
                }
                long wait = nextAdvance - System.nanoTime();
                if (!behind.isEmpty() && untilCheckpoints > 0) {
                    wait = Math.min(wait, untilCheckpoints);
                }
                if (wait <= 0) {
                    nextAdvance = System.nanoTime() + ADVANCE_EVERY_NANOS;
                    if (slot && !checkpointsInFlight && !stopping) {
                        watches.stream().filter(WatchProgress::advanced).forEach(behind::add);
                        if (!behind.isEmpty()) {
                            return started(List.of(), true);
                        }
                    }
                    continue;
                }
                try {
                    queue.wait(Math.max(1, wait / 1_000_000));
                } catch (InterruptedException e) {
                    return null;
                }
            }
        }
    }

    /**
     * Under the queue's lock: counts the commit in flight. A batch with checkpoints also takes the watches
     * left behind and the latest records not yet sent (only those newer than the last one sent).
     */
    private Work started(List<Pending> batch, boolean checkpoints) {
        inFlight++;
        if (!checkpoints) {
            return new Work(batch, false, Set.of(), Map.of());
        }
        checkpointsInFlight = true;
        checkpointsAt = System.nanoTime();
        Set<WatchProgress> watches = new HashSet<>(behind);
        behind.clear();
        return new Work(batch, true, watches,
                latestRecords.take(batch.stream().map(p -> Map.entry(p.job().feed.progress, p.outcome())).toList()));
    }

    /** Under the queue's lock: the queued outcomes within the operation budget. */
    private List<Pending> take(boolean checkpoints) {
        List<Pending> batch = new ArrayList<>();
        Set<String> watches = new HashSet<>();
        int ops = checkpoints ? 3 * latestRecords.waiting() : 0;
        while (!queue.isEmpty()) {
            Pending p = queue.peekFirst();
            int cost = new StateStore.Entry(p.outcome(), p.job().targets).ops()
                    + (!checkpoints || watches.contains(p.job().watch()) ? 0 : 3);
            if (!batch.isEmpty() && ops + cost > maxOps) {
                break;
            }
            queue.pollFirst();
            batch.add(p);
            watches.add(p.job().watch());
            ops += cost;
        }
        return batch;
    }

    /**
     * A commit ended: its slot is free. A written batch without checkpoints leaves its watches behind
     * and its latest records for the next batch with checkpoints; a batch with checkpoints and outcomes
     * that was not written hands back what it carried, for one more try by a batch of checkpoints alone.
     * (Not more: a store that keeps failing must not be asked in a loop. A checkpoint left behind only
     * means a longer replay after a restart, in which the marks keep recorded events from running again.)
     */
    private void finished(Work work, Result result) {
        synchronized (queue) {
            inFlight--;
            if (work.checkpoints()) {
                checkpointsInFlight = false;
                if (result != Result.WRITTEN && work.batch().isEmpty()) {
                    nextAdvance = System.nanoTime() + ADVANCE_BACKOFF_NANOS;
                }
                if (result == Result.RECORDED_AS_FAILED && !work.batch().isEmpty()) {
                    behind.addAll(work.behind());
                    latestRecords.notSent(work.latest());
                }
            } else if (result == Result.WRITTEN) {
                for (Pending p : work.batch()) {
                    behind.add(p.job().feed.progress);
                    latestRecords.leftBehind(p.job().feed.progress, p.outcome());
                }
            }
            queue.notifyAll();
        }
    }

    private void write(Work work) {
        Result result = Result.RECORDED_AS_FAILED;
        try {
            result = write(work.batch(), work.checkpoints(), work.behind(), work.latest());
        } finally {
            finished(work, result);
        }
    }

    /** Writes the batch, or else each of its outcomes as a small failed one (without checkpoints). */
    private Result write(List<Pending> batch, boolean checkpoints, Set<WatchProgress> behind,
            Map<WatchProgress, Outcome> latest) {
        RuntimeException failure = commit(batch, checkpoints, behind, latest);
        if (failure == null) {
            batch.forEach(this::recorded);
            return Result.WRITTEN;
        }
        if (fenced(failure)) {
            LOG.error("recording {} outcome(s) was refused: {}; halting their watches (the runner that owns them now "
                    + "replays them)", batch.size(), failure.getMessage());
            batch.forEach(this::abandon);
            return Result.FENCED;
        }
        // not a lost leadership: record each as a small failed outcome instead, so the watch goes on
        LOG.error("recording {} outcome(s) failed: {}; recording each as failed with that reason", batch.size(),
                failure.toString(), failure);
        for (Pending p : batch) {
            Outcome o = p.outcome();
            Outcome small = new Outcome(o.event(), Outcome.Kind.FAILED, "the outcome (" + o.kind().label()
                    + ") could not be recorded: " + failure.getMessage(), o.fingerprint(), o.exitCode(), "",
                    Optional.empty(), o.started(), o.finished(), o.runLog());
            Pending retry = new Pending(p.job(), small);
            RuntimeException again = commit(List.of(retry), false, Set.of(), Map.of());
            if (again == null) {
                recorded(retry);
                synchronized (queue) {
                    behind.add(p.job().feed.progress);
                    latestRecords.leftBehind(p.job().feed.progress, small);
                }
            } else {
                LOG.error("watch {}: revision {} could not be recorded even as failed ({}); halting the watch",
                        o.watch(), o.revision(), again.toString());
                abandon(p);
            }
        }
        return Result.RECORDED_AS_FAILED;
    }

    /**
     * One {@link StateStore#commit} of the batch, with each watch's checkpoint and latest record when
     * {@code checkpoints}; null when it was written.
     */
    private RuntimeException commit(List<Pending> batch, boolean checkpoints, Set<WatchProgress> behind,
            Map<WatchProgress, Outcome> latest) {
        Map<WatchProgress, List<Long>> byWatch = new LinkedHashMap<>();
        List<StateStore.Entry> entries = new ArrayList<>(batch.size());
        for (Pending p : batch) {
            entries.add(new StateStore.Entry(p.outcome(), p.job().targets));
            byWatch.computeIfAbsent(p.job().feed.progress, k -> new ArrayList<>()).add(p.job().revision());
        }
        Map<String, Long> cps = new LinkedHashMap<>();
        Map<String, Outcome> latestByName = new LinkedHashMap<>();
        if (checkpoints) {
            for (WatchProgress w : behind) {
                byWatch.computeIfAbsent(w, k -> new ArrayList<>());
            }
            for (Map.Entry<WatchProgress, List<Long>> w : byWatch.entrySet()) {
                cps.put(w.getKey().watch(), w.getKey().checkpointWith(w.getValue()));
            }
            latest.forEach((w, o) -> latestByName.put(w.watch(), o));
        }
        try {
            state.commit(new StateStore.Batch(entries, cps, latestByName));
        } catch (RuntimeException e) {
            return e;
        } catch (Error e) { // the recorder thread must outlive a store that throws anything
            return new IllegalStateException(e.toString(), e);
        }
        for (Map.Entry<WatchProgress, List<Long>> w : byWatch.entrySet()) {
            w.getKey().recorded(w.getValue(), checkpoints ? cps.get(w.getKey().watch()) : Long.MIN_VALUE);
        }
        return null;
    }

    private static boolean fenced(RuntimeException e) {
        return e instanceof CicdException ce && ce.code() == CicdException.Code.FENCED;
    }

    private void recorded(Pending p) {
        teller.outcome(p.job(), p.outcome());
        onRecorded.accept(p.job());
    }

    /** Not recorded: the watch halts, the event is replayed after a restart. */
    private void abandon(Pending p) {
        WatchProgress w = p.job().feed.progress;
        w.halted = true;
        w.dropped.incrementAndGet();
        onRecorded.accept(p.job());
    }
}
