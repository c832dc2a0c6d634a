package dev.cicd.etcd.internal;

import dev.cicd.core.CicdException;
import dev.cicd.core.Outcome;
import dev.cicd.core.Plan;
import dev.cicd.etcd.NotLeaderException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Commits outcomes in the background, several per transaction (group commit): {@link #submit} returns
 * at once and one writer thread writes whatever has queued up since its previous transaction. Each
 * transaction is still all-or-nothing and fenced, so after a crash every event is either fully
 * recorded or replayed; the difference to a synchronous commit is that the events replayed are all
 * those submitted but not yet written (at most one or two transactions' worth), not just the one in
 * flight.
 *
 * <p>A failed transaction marks every watch it (and the queue behind it) held as failed: the next
 * {@link #submit} for such a watch throws, so the pipeline halts that watch and its checkpoint cannot
 * move past the lost outcomes. {@link #flushAndReset} (called when checkpoints are loaded, i.e. when a
 * pipeline starts) waits for the queue and clears the failures.
 */
public final class BatchCommitter {

    private static final Logger LOG = LoggerFactory.getLogger(BatchCommitter.class);
    /** etcd's default --max-txn-ops is 128. */
    private static final int MAX_OPS = 120;

    private record Item(Outcome outcome, Plan applied) {
    }

    private final StateOps ops;
    private final String name;
    private final Object lock = new Object();
    private final ArrayDeque<Item> queue = new ArrayDeque<>();
    private final Map<String, RuntimeException> failed = new HashMap<>();
    private final Map<String, String> pendingApplied = new HashMap<>();
    private long submitted;
    private long done;
    private Thread writer;

    public BatchCommitter(StateOps ops, String name) {
        this.ops = ops;
        this.name = name;
    }

    public void submit(Outcome outcome, Optional<Plan> plan) {
        String watch = outcome.watch();
        String what = "recording the outcome of watch " + watch + " at revision " + outcome.revision();
        ops.checkLeader(what);
        synchronized (lock) {
            RuntimeException f = failed.get(watch);
            if (f != null) {
                if (f instanceof NotLeaderException) {
                    throw new NotLeaderException(f.getMessage() + "; " + what + " refused");
                }
                throw new CicdException(CicdException.Code.SOURCE, "an earlier batch of outcomes of watch " + watch
                        + " could not be written (" + f.getMessage() + "); " + what + " refused", f);
            }
            Plan applied = outcome.kind() == Outcome.Kind.APPLIED ? plan.orElse(null) : null;
            queue.add(new Item(outcome, applied));
            if (applied != null) {
                pendingApplied.put(watch, applied.fingerprint());
            }
            submitted++;
            if (writer == null) {
                writer = new Thread(this::run, "cicd-etcd-commit-" + name);
                writer.setDaemon(true);
                writer.start();
            }
            lock.notifyAll();
        }
    }

    /** The fingerprint submitted as applied for the watch and not yet known to have failed. */
    public Optional<String> pendingApplied(String watch) {
        synchronized (lock) {
            return Optional.ofNullable(pendingApplied.get(watch));
        }
    }

    /** Waits until everything submitted so far is written (or failed); false on timeout. */
    public boolean flush(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (lock) {
            long target = submitted;
            while (done < target) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(lock, left);
                } catch (InterruptedException e) {
                    throw CicdException.interrupted("waiting for outcomes to be written", e);
                }
            }
            return true;
        }
    }

    /** {@link #flush} then forget the failure of {@code watch} (a pipeline is starting over from etcd's state). */
    public void flushAndReset(String watch, Duration timeout) {
        if (!flush(timeout)) {
            throw new CicdException(CicdException.Code.SOURCE, "outcomes of earlier events are still being written after "
                    + timeout.toSeconds() + " s; cannot read a current checkpoint of watch " + watch);
        }
        synchronized (lock) {
            failed.remove(watch);
        }
    }

    private void run() {
        while (true) {
            List<Item> batch = new ArrayList<>();
            synchronized (lock) {
                while (queue.isEmpty()) {
                    try {
                        lock.wait();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
                Set<String> watches = new HashSet<>();
                while (!queue.isEmpty()) {
                    Item next = queue.peek();
                    int watchCount = watches.size() + (watches.contains(next.outcome().watch()) ? 0 : 1);
                    if (!batch.isEmpty() && batch.size() + 1 + 3 * watchCount > MAX_OPS) {
                        break;
                    }
                    watches.add(next.outcome().watch());
                    batch.add(queue.poll());
                }
            }
            List<Outcome> outcomes = new ArrayList<>(batch.size());
            List<Plan> applied = new ArrayList<>();
            for (Item i : batch) {
                outcomes.add(i.outcome());
                if (i.applied() != null) {
                    applied.add(i.applied());
                }
            }
            RuntimeException failure = null;
            try {
                ops.commitBatch(outcomes, applied);
            } catch (RuntimeException e) {
                failure = e;
                LOG.error("writing {} outcome(s) failed; their watches stop until restarted: {}", batch.size(), e.getMessage());
            }
            synchronized (lock) {
                done += batch.size();
                if (failure != null) {
                    Set<String> hit = new HashSet<>();
                    batch.forEach(i -> hit.add(i.outcome().watch()));
                    queue.forEach(i -> hit.add(i.outcome().watch()));
                    done += queue.size();
                    queue.clear();
                    for (String w : hit) {
                        failed.put(w, failure);
                        pendingApplied.remove(w);
                    }
                } else {
                    for (Item i : batch) {
                        if (i.applied() != null
                                && i.applied().fingerprint().equals(pendingApplied.get(i.outcome().watch()))
                                && queue.stream().noneMatch(q -> q.outcome().watch().equals(i.outcome().watch())
                                        && q.applied() != null)) {
                            pendingApplied.remove(i.outcome().watch());
                        }
                    }
                }
                lock.notifyAll();
            }
        }
    }
}
