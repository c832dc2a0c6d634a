package dev.cicd.etcd;

import dev.cicd.core.SourceNotice;
import dev.cicd.core.StateStore;
import dev.cicd.etcd.internal.ShardedState;
import dev.cicd.etcd.internal.StateOps;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A runner group's {@link StateStore} in etcd: each batch of outcomes is one transaction holding the
 * status records, the applied fingerprints per target, each watch's checkpoint and the marks of
 * revisions recorded above it. After a crash an event is either fully recorded or replayed. With a fence
 * the transaction compares the leader key's create revision, and a deposed leader's {@link #commit}
 * throws {@link NotLeaderException} without writing anything. Built by {@link EtcdState#store()}; for a
 * sharded group, each pipeline's by {@link EtcdState#store(java.util.Set)}: it carries out only its shards'
 * events, and each transaction compares the ownership keys of the shards it writes.
 */
public final class EtcdStateStore implements StateStore {

    private static final Logger LOG = LoggerFactory.getLogger(EtcdStateStore.class);

    private static final int CONCURRENT_COMMITS = 4;

    private final StateOps ops;
    private final int maxTxnOps;
    /** Of one pipeline of a sharded group; null for a group with one leader. */
    private final ShardedState shards;

    EtcdStateStore(StateOps ops, int maxTxnOps, ShardedState shards) {
        this.ops = ops;
        this.maxTxnOps = maxTxnOps;
        this.shards = shards;
    }

    @Override
    public WatchState load(String watch) {
        return shards == null ? ops.load(watch) : shards.load(watch);
    }

    /** Of a sharded group's store: whether the event is of this pipeline's shards and not recorded yet. */
    @Override
    public boolean owns(String watch, List<String> targets, long revision) {
        return shards == null || shards.owns(watch, targets, revision);
    }

    @Override
    public Optional<String> lastApplied(String target) {
        return ops.lastApplied(target);
    }

    @Override
    public void commit(Batch batch) {
        if (shards == null) {
            ops.commit(batch);
        } else {
            shards.commit(batch);
        }
    }

    /** Writes the newest notice of the watch; a failure is logged (a notice is informational). */
    @Override
    public void notice(SourceNotice notice) {
        try {
            ops.writeNotice(notice);
        } catch (RuntimeException e) {
            LOG.warn("could not record the {} notice of watch {}: {}", notice.kind(), notice.watch(), e.toString());
        }
    }

    /**
     * Writes the event's in-progress record ({@link ProgressRecord}) in the background: fenced, best-effort,
     * and never over the event's final status record.
     */
    @Override
    public void progress(dev.cicd.core.Progress progress) {
        try {
            ops.writeProgress(progress);
        } catch (RuntimeException e) {
            LOG.debug("progress of revision {} of watch {} dropped: {}", progress.revision(), progress.watch(), e.toString());
        }
    }

    /**
     * etcd's limit. (A sharded group's batch writes what a one-leader group's does, but its checkpoints
     * per shard go separately, at most once a second.)
     */
    @Override
    public int maxOpsPerCommit() {
        return maxTxnOps;
    }

    /**
     * A second for a sharded group, whose checkpoint is one per shard (up to 64 puts and as many mark
     * removals, where its batch of outcomes writes two keys per outcome); none for a one-leader group.
     */
    @Override
    public java.time.Duration checkpointInterval() {
        return shards == null ? java.time.Duration.ZERO : ShardedState.CHECKPOINT_INTERVAL;
    }

    /**
     * Four: batches for different targets go to etcd side by side (etcd folds concurrent transactions into
     * one raft round), which is what lets a burst's outcomes keep up with the puts.
     */
    @Override
    public int maxConcurrentCommits() {
        return CONCURRENT_COMMITS;
    }
}
