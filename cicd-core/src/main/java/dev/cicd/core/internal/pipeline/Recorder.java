package dev.cicd.core.internal.pipeline;

import dev.cicd.core.CicdException;
import dev.cicd.core.Outcome;
import dev.cicd.core.OutcomeSink;
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
import org.slf4j.MDC;

/**
 * Records outcomes: the run log of executed plans (on the caller's thread), then, on the recorder's own
 * thread, group commit: everything submitted while the previous write was in flight goes into the next
 * {@link StateStore#commit} (bounded by the store's operation budget), with each watch's checkpoint as it
 * stands once the batch is written. Lanes overlap their commits and the store batches them; each job
 * still waits for its own commit before its target takes the next event.
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

    private final StateStore state;
    private final RunLog runLog;
    private final List<OutcomeSink> sinks;
    private final Consumer<Job> onRecorded;
    private final int maxOps;
    private final ArrayDeque<Pending> queue = new ArrayDeque<>();
    private Thread thread;
    private boolean stopping;

    Recorder(StateStore state, RunLog runLog, List<OutcomeSink> sinks, Consumer<Job> onRecorded) {
        this.state = state;
        this.runLog = runLog;
        this.sinks = sinks;
        this.onRecorded = onRecorded;
        this.maxOps = Math.max(1, state.maxOpsPerCommit());
    }

    void start(String name) {
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
    }

    private int queued() {
        synchronized (queue) {
            return queue.size();
        }
    }

    private void loop() {
        while (true) {
            List<Pending> batch = next();
            if (batch == null) {
                return;
            }
            write(batch);
        }
    }

    /** The next batch: as much as is queued, within the store's operation budget; null when stopped. */
    private List<Pending> next() {
        synchronized (queue) {
            while (queue.isEmpty()) {
                if (stopping) {
                    return null;
                }
                try {
                    queue.wait();
                } catch (InterruptedException e) {
                    return null;
                }
            }
            List<Pending> batch = new ArrayList<>();
            Set<String> watches = new HashSet<>();
            int ops = 0;
            while (!queue.isEmpty()) {
                Pending p = queue.peekFirst();
                int cost = new StateStore.Entry(p.outcome(), p.job().targets).ops()
                        + (watches.contains(p.job().watch()) ? 0 : 3);
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
    }

    private void write(List<Pending> batch) {
        RuntimeException failure = commit(batch);
        if (failure == null) {
            batch.forEach(this::recorded);
            return;
        }
        if (fenced(failure)) {
            LOG.error("recording {} outcome(s) was refused: {}; halting their watches (the runner that owns them now "
                    + "replays them)", batch.size(), failure.getMessage());
            batch.forEach(this::abandon);
            return;
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
            RuntimeException again = commit(List.of(retry));
            if (again == null) {
                recorded(retry);
            } else {
                LOG.error("watch {}: revision {} could not be recorded even as failed ({}); halting the watch",
                        o.watch(), o.revision(), again.toString());
                abandon(p);
            }
        }
    }

    /** One {@link StateStore#commit} of the batch with each watch's checkpoint; null when it was written. */
    private RuntimeException commit(List<Pending> batch) {
        Map<WatchProgress, List<Long>> byWatch = new LinkedHashMap<>();
        List<StateStore.Entry> entries = new ArrayList<>(batch.size());
        for (Pending p : batch) {
            entries.add(new StateStore.Entry(p.outcome(), p.job().targets));
            byWatch.computeIfAbsent(p.job().feed.progress, k -> new ArrayList<>()).add(p.job().revision());
        }
        Map<String, Long> checkpoints = new LinkedHashMap<>();
        for (Map.Entry<WatchProgress, List<Long>> w : byWatch.entrySet()) {
            checkpoints.put(w.getKey().watch(), w.getKey().checkpointWith(w.getValue()));
        }
        try {
            state.commit(new StateStore.Batch(entries, checkpoints));
        } catch (RuntimeException e) {
            return e;
        } catch (Error e) { // the recorder thread must outlive a store that throws anything
            return new IllegalStateException(e.toString(), e);
        }
        for (Map.Entry<WatchProgress, List<Long>> w : byWatch.entrySet()) {
            w.getKey().recorded(w.getValue(), checkpoints.get(w.getKey().watch()));
        }
        return null;
    }

    private static boolean fenced(RuntimeException e) {
        return e instanceof CicdException ce && ce.code() == CicdException.Code.FENCED;
    }

    private void recorded(Pending p) {
        told(p);
        onRecorded.accept(p.job());
    }

    /** Not recorded: the watch halts, the event is replayed after a restart. */
    private void abandon(Pending p) {
        WatchProgress w = p.job().feed.progress;
        w.halted = true;
        w.dropped.incrementAndGet();
        onRecorded.accept(p.job());
    }

    private void told(Pending p) {
        Outcome o = p.outcome();
        p.job().feed.progress.count(o.kind());
        MDC.put("watch", o.watch());
        MDC.put("key", o.event().key());
        MDC.put("revision", Long.toString(o.revision()));
        o.requestId().ifPresent(id -> MDC.put("requestId", id));
        try {
            logOutcome(o, p.job().targets);
            for (OutcomeSink sink : sinks) {
                try {
                    sink.onOutcome(o, p.job().targets);
                } catch (RuntimeException ex) {
                    LOG.warn("watch {}: sink {} failed on revision {}; skipped: {}", o.watch(), sink, o.revision(),
                            ex.toString(), ex);
                }
            }
        } finally {
            MDC.remove("watch");
            MDC.remove("key");
            MDC.remove("revision");
            MDC.remove("requestId");
        }
    }

    private static void logOutcome(Outcome o, List<String> targets) {
        if (LOG.isInfoEnabled()) {
            LOG.info("outcome={} watch={} key={} revision={} target={}{}{} duration={}ms{}", o.kind().label(), o.watch(),
                    o.event().key(), o.revision(), String.join(",", targets),
                    o.requestId().map(id -> " requestId=" + id).orElse(""),
                    o.exitCode().isPresent() ? " exitCode=" + o.exitCode().getAsInt() : "",
                    Duration.between(o.started(), o.finished()).toMillis(),
                    o.reason().isEmpty() ? "" : " reason=\"" + o.reason().replace('\n', ' ').replace('\r', ' ') + "\"");
        }
    }
}
