package dev.cicd.runner;

import dev.cicd.core.Pipeline;
import dev.cicd.etcd.EtcdStateStore;
import dev.cicd.etcd.ShardListener;
import dev.cicd.etcd.ShardMembership;
import dev.cicd.etcd.internal.Fence;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A sharded runner's pipelines: one at a time, for the shards this runner holds. When they change (a
 * runner joined, left or died) the pipeline is closed (in-flight actions finish and are recorded, or time
 * out) and a new one starts for the new set, resuming each shard from its own checkpoint. A shard assigned
 * elsewhere is released ({@link ShardListener#revoking} completes) only once the pipeline that carried
 * its events is closed; a lost lease aborts the pipeline at once (its in-flight actions are interrupted:
 * the shards' new owners run those events again). Changes that come together (a join moves several shards
 * one by one) are folded into one restart. A pipeline with a halted watch is rebuilt too, after a back-off.
 */
final class ShardedTerms implements ShardListener, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ShardedTerms.class);
    /** A restart waits until no change came for this long (a join moves several shards one by one)... */
    static final long SETTLE_MILLIS = 300;
    /** ...but not longer than this after the first change. */
    static final long SETTLE_MAX_MILLIS = 3000;
    private static final long HALTED_FIRST_BACKOFF_MILLIS = 1000;
    private static final long HALTED_MAX_BACKOFF_MILLIS = 60_000;

    private final ShardMembership membership;
    private final Function<Set<Integer>, EtcdStateStore> stores;
    private final Function<EtcdStateStore, Pipeline> pipelines;
    private final AtomicReference<Pipeline> term;
    private final Consumer<String> failure;
    private final Thread thread;
    private final Object lock = new Object();
    /** Guarded by {@link #lock}. */
    private boolean changed;
    /** Guarded by {@link #lock}. */
    private boolean abort;
    /** When the last change came ({@link System#nanoTime()}). Guarded by {@link #lock}. */
    private long lastChange;
    /** Shards released or being released (revoking called, not assigned again since). Guarded by {@link #lock}. */
    private final Set<Integer> released = new TreeSet<>();
    /** Guarded by {@link #lock}. */
    private final List<CompletableFuture<Void>> revokes = new ArrayList<>();
    private volatile boolean closed;
    private volatile Set<Integer> running = Set.of();
    private long haltedBackoff = HALTED_FIRST_BACKOFF_MILLIS;
    private long haltedSince;

    /**
     * @param stores    the state store of a pipeline carrying out a set of shards
     * @param pipelines builds (does not start) a pipeline on a store
     * @param term      where the current pipeline is published (null while none runs)
     * @param failure   told why a pipeline did not start (null once one did)
     */
    ShardedTerms(ShardMembership.Builder membership, Function<Set<Integer>, EtcdStateStore> stores,
            Function<EtcdStateStore, Pipeline> pipelines, AtomicReference<Pipeline> term, Consumer<String> failure) {
        this.membership = membership.listener(this).build(); // tells nothing before start()
        this.stores = stores;
        this.pipelines = pipelines;
        this.term = term;
        this.failure = failure;
        this.thread = new Thread(this::loop, "cicd-shard-terms");
        this.thread.setDaemon(true);
    }

    ShardMembership membership() {
        return membership;
    }

    /** Joins the group (checking its shard count) and starts restarting pipelines as shards come and go. */
    void start() {
        thread.start();
        membership.start();
    }

    /** The shards the current pipeline carries out. */
    Set<Integer> running() {
        return running;
    }

    @Override
    public void assigned(int shard, Fence.Token token) {
        synchronized (lock) {
            released.remove(shard);
            changed();
        }
    }

    @Override
    public CompletionStage<Void> revoking(int shard) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        synchronized (lock) {
            released.add(shard);
            if (closed || !running.contains(shard)) {
                done.complete(null); // no pipeline carries its events
            } else {
                revokes.add(done);
            }
            changed();
        }
        return done;
    }

    @Override
    public void lost(Set<Integer> shards, String reason) {
        LOG.warn("shards {} lost ({}): stopping their pipeline at once; their new owners run its in-flight events again",
                shards, reason);
        synchronized (lock) {
            abort = true;
            changed();
        }
    }

    /** Under the lock: a change to act on. */
    private void changed() {
        changed = true;
        lastChange = System.nanoTime();
        lock.notifyAll();
    }

    private void loop() {
        while (!closed) {
            boolean lostShards;
            synchronized (lock) {
                try {
                    if (!changed) {
                        lock.wait(1000);
                    }
                } catch (InterruptedException e) {
                    return;
                }
                lostShards = abort;
                abort = false;
            }
            if (lostShards) { // stop at once: the new owners may already run these shards
                stopCurrent(true);
            }
            boolean stop;
            synchronized (lock) {
                try {
                    long first = System.nanoTime();
                    while (changed && !closed) { // let the changes that come together arrive
                        long quiet = SETTLE_MILLIS - (System.nanoTime() - lastChange) / 1_000_000;
                        long cap = SETTLE_MAX_MILLIS - (System.nanoTime() - first) / 1_000_000;
                        if (quiet <= 0 || cap <= 0 || abort) {
                            break;
                        }
                        lock.wait(Math.min(quiet, cap));
                    }
                } catch (InterruptedException e) {
                    return;
                }
                if (closed) {
                    return;
                }
                if (!changed && !haltedDue()) {
                    continue;
                }
                changed = false;
                stop = abort;
                abort = false;
            }
            restart(stop);
        }
    }

    /** Whether the pipeline has a halted watch and the back-off since it was seen has passed. */
    private boolean haltedDue() {
        Pipeline p = term.get();
        boolean halted = p != null && p.stats().values().stream().anyMatch(Pipeline.WatchStats::halted);
        if (!halted) {
            haltedSince = 0;
            haltedBackoff = HALTED_FIRST_BACKOFF_MILLIS;
            return false;
        }
        long now = System.currentTimeMillis();
        if (haltedSince == 0) {
            haltedSince = now;
        }
        if (now - haltedSince < haltedBackoff) {
            return false;
        }
        LOG.warn("a watch halted; restarting the pipeline of shards {} (back-off {} s)", running, haltedBackoff / 1000);
        haltedSince = 0;
        haltedBackoff = Math.min(haltedBackoff * 2, HALTED_MAX_BACKOFF_MILLIS);
        return true;
    }

    /** Stops the current pipeline, releases the revoked shards, starts one for the shards held now. */
    private void restart(boolean abortCurrent) {
        stopCurrent(abortCurrent);
        Set<Integer> next;
        synchronized (lock) {
            revokes.forEach(f -> f.complete(null));
            revokes.clear();
            next = new TreeSet<>(membership.owned());
            next.removeAll(released);
            running = Set.copyOf(next); // a revoke from now on waits for this pipeline
        }
        if (next.isEmpty() || closed) {
            LOG.info("runner {} owns no shard of group {}: no pipeline runs", membership.runnerId(), membership.group());
            return;
        }
        Pipeline p = null;
        try {
            p = pipelines.apply(stores.apply(next));
            p.start();
            term.set(p);
            failure.accept(null);
            LOG.info("runner {} carries out {} shard(s) of {} of group {}: {}", membership.runnerId(), next.size(),
                    membership.shards(), membership.group(), next);
            TermStatus.reportWatching(p, LOG, "with " + next.size() + " shard(s) of group " + membership.group(),
                    next);
        } catch (RuntimeException e) {
            failure.accept("the pipeline of shards " + next + " did not start: " + e.getMessage());
            LOG.error("the pipeline of shards {} did not start; trying again in 2 s", next, e);
            if (p != null) {
                p.close();
            }
            running = Set.of();
            synchronized (lock) {
                changed = true;
                try {
                    lock.wait(2000);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    private void stopCurrent(boolean abortIt) {
        Pipeline current = term.getAndSet(null);
        if (current == null) {
            return;
        }
        if (abortIt) {
            current.abort();
        } else {
            LOG.info("shards changed: stopping the pipeline of shards {} (in-flight actions finish and are recorded)",
                    running);
            current.close();
        }
        running = Set.of();
    }

    /** Stops the loop and the pipeline (gracefully); the membership is closed by the caller afterwards. */
    @Override
    public void close() {
        closed = true;
        synchronized (lock) {
            lock.notifyAll();
        }
        try {
            thread.join(Duration.ofMinutes(10).toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        stopCurrent(false);
        synchronized (lock) {
            revokes.forEach(f -> f.complete(null));
            revokes.clear();
        }
        membership.close(); // releases the shards at once (nothing runs them any more)
    }
}
