package dev.cicd.etcd.internal;

import dev.cicd.etcd.NotLeaderException;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Keeps each watch's per-revision status records ({@code <statusPrefix>/<watch>/<revision>}) to the newest
 * {@code maxPerWatch} written, off the pipeline's path: a commit only marks its watch, and one background
 * thread (started on demand, ended when idle) runs a round for it {@code delay} later. Age is bounded by the
 * records' lease ({@link StatusLeases}); {@code latest} and {@code notice} are never touched, nor anything
 * under the state prefix.
 *
 * <p>A round: one read (the group's checkpoint of the watch and the number of records); when over the
 * limit, a keys-only listing of the oldest-written excess (at most {@link #MAX_PER_ROUND}), then fenced
 * transactions deleting those at or below the checkpoint ({@link PrunePlan}): a record above it may belong to
 * an event in flight (a checkpoint above the store's revision, left by a reset store, prunes nothing). A round that left more to do runs again at once; a failed one is logged and runs again
 * {@link #RETRY_AFTER} later; a runner that is not the leader deletes nothing (the leader prunes).
 */
public final class StatusPruner {

    private static final Logger LOG = LoggerFactory.getLogger(StatusPruner.class);
    /** The most records one round deletes. */
    public static final int MAX_PER_ROUND = 1024;
    static final Duration RETRY_AFTER = Duration.ofSeconds(30);

    private final Client client;
    private final StateKeys keys;
    private final int maxPerWatch;
    private final int maxTxnOps;
    private final Fence fence;
    private final Duration requestTimeout;
    private final Duration delay;
    private final ScheduledThreadPoolExecutor executor;
    private final Set<String> scheduled = ConcurrentHashMap.newKeySet();
    private final AtomicLong pruned = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();

    /** What one round found and did. */
    public record Round(long stored, int deleted, boolean more) {
    }

    /** Of a sharded group: its shard count (the position is the lowest shard's), else 0. */
    private final int shards;

    public StatusPruner(Client client, StateKeys keys, int maxPerWatch, int maxTxnOps, Fence fence,
            Duration requestTimeout, Duration delay) {
        this(client, keys, maxPerWatch, maxTxnOps, fence, requestTimeout, delay, 0);
    }

    /**
     * With {@code shards > 0}, of a sharded group: a record may go once it is at or below every shard's
     * checkpoint (a shard without one counts at the watch's origin). Deleting such records is safe by
     * whichever runner does it, so that is not fenced.
     */
    public StatusPruner(Client client, StateKeys keys, int maxPerWatch, int maxTxnOps, Fence fence,
            Duration requestTimeout, Duration delay, int shards) {
        this.shards = shards;
        if (maxPerWatch < 1) {
            throw new IllegalArgumentException("maxPerWatch must be >= 1, was " + maxPerWatch);
        }
        this.client = client;
        this.keys = keys;
        this.maxPerWatch = maxPerWatch;
        this.maxTxnOps = maxTxnOps;
        this.fence = fence;
        this.requestTimeout = requestTimeout;
        this.delay = delay;
        this.executor = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "cicd-status-pruner");
            t.setDaemon(true);
            return t;
        });
        this.executor.setKeepAliveTime(30, TimeUnit.SECONDS);
        this.executor.allowCoreThreadTimeOut(true);
        this.executor.setRemoveOnCancelPolicy(true);
    }

    /** Records of {@code watch} were committed: a round runs soon. Never blocks. */
    public void written(String watch) {
        schedule(watch, delay);
    }

    /** Status records deleted so far by this runner. */
    public long pruned() {
        return pruned.get();
    }

    /** Rounds that failed so far (each was retried later). */
    public long failures() {
        return failures.get();
    }

    private void schedule(String watch, Duration after) {
        if (!scheduled.add(watch)) {
            return; // a round is already due; it sees these records too
        }
        try {
            executor.schedule(() -> run(watch), after.toNanos(), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            scheduled.remove(watch);
        }
    }

    private void run(String watch) {
        scheduled.remove(watch); // records committed from now on schedule the next round
        MDC.put("watch", watch);
        try {
            Round r = round(watch);
            if (r.deleted() > 0) {
                LOG.debug("pruned {} status record(s) of watch {} ({} stored, keeping {})", r.deleted(), watch,
                        r.stored(), maxPerWatch);
            }
            if (r.more()) {
                schedule(watch, Duration.ZERO);
            }
        } catch (NotLeaderException e) {
            LOG.debug("status records of watch {} not pruned: {}", watch, e.getMessage());
        } catch (RuntimeException e) {
            failures.incrementAndGet();
            LOG.warn("pruning the status records of watch {} failed ({}); retrying in {} s", watch, e.getMessage(),
                    RETRY_AFTER.toSeconds());
            schedule(watch, RETRY_AFTER);
        } finally {
            MDC.remove("watch");
        }
    }

    /** One round for {@code watch}, on the calling thread. */
    public Round round(String watch) {
        Optional<Fence.Token> token = fence == null ? Optional.empty() : fence.token();
        if (fence != null && token.isEmpty()) {
            throw new NotLeaderException(fence.describe() + " is not the leader: pruning refused");
        }
        KeyRange range = keys.revisionRange(watch);
        TxnResponse read = Etcd.await(client.getKVClient().txn().Then(
                        Op.get(Etcd.bytes(keys.checkpoint(watch)), GetOption.DEFAULT),
                        Op.get(range.start(), GetOption.builder().withRange(range.end()).withCountOnly(true).build()),
                        Op.get(Etcd.bytes(keys.shardOrigin(watch)), GetOption.DEFAULT),
                        Op.get(Etcd.bytes(keys.shardCheckpointDir(watch)), GetOption.builder().isPrefix(true).build()))
                .commit(), requestTimeout, () -> "counting the status records of watch " + watch);
        OptionalLong checkpoint = shards > 0 ? lowestShard(read.getGetResponses().get(2).getKvs(),
                read.getGetResponses().get(3).getKvs()) : Etcd.revisionIn(read.getGetResponses().get(0).getKvs());
        long stored = read.getGetResponses().get(1).getCount();
        int limit = PrunePlan.toList(stored, maxPerWatch, MAX_PER_ROUND);
        if (limit == 0 || checkpoint.isEmpty()) {
            return new Round(stored, 0, false);
        }
        if (checkpoint.getAsLong() > read.getHeader().getRevision()) {
            // a reset store (revisions restarted low) with the old checkpoint not yet rewritten: below it may
            // be events in flight now; prune once the pipeline has written the new one
            LOG.debug("status records of watch {} not pruned: checkpoint {} is above the store's revision {}", watch,
                    checkpoint.getAsLong(), read.getHeader().getRevision());
            return new Round(stored, 0, false);
        }
        GetResponse listed = Etcd.await(client.getKVClient().get(range.start(), GetOption.builder()
                        .withRange(range.end()).withKeysOnly(true).withSortField(GetOption.SortTarget.CREATE)
                        .withSortOrder(GetOption.SortOrder.ASCEND).withLimit(limit).build()),
                requestTimeout, () -> "listing the oldest status records of watch " + watch);
        List<String> names = new ArrayList<>();
        for (KeyValue kv : listed.getKvs()) {
            names.add(Etcd.text(kv.getKey()));
        }
        List<String> victims = PrunePlan.victims(keys.statusDir(watch), names, checkpoint.getAsLong());
        int deleted = 0;
        for (List<String> batch : PrunePlan.batches(victims, maxTxnOps)) {
            delete(watch, batch, token);
            deleted += batch.size();
            pruned.addAndGet(batch.size());
        }
        // more to do only when every listed record went: one kept (in flight) would be listed again at once
        return new Round(stored, deleted, deleted == limit && stored - deleted > maxPerWatch);
    }

    private void delete(String watch, List<String> batch, Optional<Fence.Token> token) {
        var txn = client.getKVClient().txn();
        if (token.isPresent()) {
            txn = txn.If(new Cmp(token.get().key(), Cmp.Op.EQUAL, CmpTarget.createRevision(token.get().createRevision())));
        }
        Op[] ops = batch.stream().map(k -> Op.delete(Etcd.bytes(k), DeleteOption.DEFAULT)).toArray(Op[]::new);
        TxnResponse r = Etcd.await(txn.Then(ops).commit(), requestTimeout,
                () -> "deleting " + batch.size() + " status record(s) of watch " + watch);
        if (!r.isSucceeded()) {
            fence.rejected(token.orElseThrow());
            throw new NotLeaderException(fence.describe() + " is not the leader any more: pruning the status records of "
                    + "watch " + watch + " refused");
        }
    }

    /** The lowest shard checkpoint; the origin when a shard has none; empty when neither is stored. */
    private OptionalLong lowestShard(List<KeyValue> origin, List<KeyValue> checkpoints) {
        long lowest = Long.MAX_VALUE;
        for (KeyValue kv : checkpoints) {
            lowest = Math.min(lowest, Etcd.revisionIn(kv));
        }
        if (checkpoints.size() < shards) {
            OptionalLong o = Etcd.revisionIn(origin);
            if (o.isEmpty()) {
                return OptionalLong.empty();
            }
            lowest = Math.min(lowest, o.getAsLong());
        }
        return OptionalLong.of(lowest);
    }

    /** Stops the background thread; records are pruned again by the next runner (or expire). */
    public void close() {
        executor.shutdownNow();
    }
}
