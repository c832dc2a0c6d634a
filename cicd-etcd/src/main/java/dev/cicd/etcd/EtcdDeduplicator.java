package dev.cicd.etcd;

import dev.cicd.core.Deduplicator;
import dev.cicd.core.Plan;
import dev.cicd.etcd.internal.StateOps;
import java.util.Optional;

/**
 * The last successfully applied fingerprint per watch, in etcd at {@code <statePrefix>/applied/<watch>},
 * so a restarted runner or a second runner of the group sees the same state. Built by
 * {@link EtcdState#deduplicator()}. With a fence, {@link #recordApplied} throws
 * {@link NotLeaderException} when this runner is not the leader, and reads are cached for the
 * duration of one leadership term (only the leader writes).
 */
public final class EtcdDeduplicator implements Deduplicator {

    private final StateOps ops;

    EtcdDeduplicator(StateOps ops) {
        this.ops = ops;
    }

    @Override
    public Optional<String> lastApplied(String watch) {
        return ops.lastApplied(watch);
    }

    @Override
    public void recordApplied(Plan plan) {
        ops.recordApplied(plan);
    }

    /** The etcd key holding the watch's applied fingerprint. */
    public String key(String watch) {
        return ops.appliedKey(watch);
    }
}
