package dev.cicd.etcd;

import dev.cicd.core.CheckpointStore;
import dev.cicd.etcd.internal.StateOps;
import java.util.OptionalLong;

/**
 * Checkpoints in etcd at {@code <statePrefix>/checkpoint/<watch>} (decimal revision). Built by
 * {@link EtcdState#checkpoints()}. With a fence, {@link #save} throws {@link NotLeaderException} when
 * this runner is not the leader.
 */
public final class EtcdCheckpointStore implements CheckpointStore {

    private final StateOps ops;

    EtcdCheckpointStore(StateOps ops) {
        this.ops = ops;
    }

    @Override
    public OptionalLong load(String watch) {
        return ops.loadCheckpoint(watch);
    }

    @Override
    public void save(String watch, long revision) {
        ops.saveCheckpoint(watch, revision);
    }

    /** The etcd key holding the watch's checkpoint. */
    public String key(String watch) {
        return ops.checkpointKey(watch);
    }
}
