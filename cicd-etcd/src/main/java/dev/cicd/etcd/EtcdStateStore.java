package dev.cicd.etcd;

import dev.cicd.core.CheckpointStore;
import dev.cicd.core.Deduplicator;
import dev.cicd.core.Outcome;
import dev.cicd.core.OutcomeCommitter;
import dev.cicd.core.Plan;
import dev.cicd.etcd.internal.StateOps;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * All durable state of a runner group in one etcd transaction per outcome: the applied fingerprint
 * (only when {@code APPLIED}), the status records and the checkpoint. After a crash an event is either
 * fully recorded or replayed. With a fence the transaction compares the leader key's create revision,
 * and a deposed leader's {@link #commit} (and {@link #save}, {@link #recordApplied}) throws
 * {@link NotLeaderException} without writing anything.
 *
 * <p>Give it to a pipeline as committer, deduplicator and checkpoint store; do not also add
 * {@link EtcdState#statusSink()} (the records would be written twice) — use
 * {@link EtcdState#noticeSink()} to record source notices. Built by {@link EtcdState#store()}.
 */
public final class EtcdStateStore implements OutcomeCommitter, Deduplicator, CheckpointStore {

    private final StateOps ops;

    EtcdStateStore(StateOps ops) {
        this.ops = ops;
    }

    @Override
    public void commit(Outcome outcome, Optional<Plan> plan) {
        ops.commit(outcome, plan);
    }

    @Override
    public Optional<String> lastApplied(String watch) {
        return ops.lastApplied(watch);
    }

    @Override
    public void recordApplied(Plan plan) {
        ops.recordApplied(plan);
    }

    @Override
    public OptionalLong load(String watch) {
        return ops.loadCheckpoint(watch);
    }

    @Override
    public void save(String watch, long revision) {
        ops.saveCheckpoint(watch, revision);
    }
}
