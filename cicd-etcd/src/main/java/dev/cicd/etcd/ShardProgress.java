package dev.cicd.etcd;

import dev.cicd.etcd.internal.ShardProgressRead;
import io.etcd.jetcd.Client;
import java.time.Duration;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.TreeMap;

/**
 * Where each shard of a sharded watch stands, as etcd has it at one revision: read-only, for the
 * {@code status} command. A shard without a checkpoint key of its own starts from the watch's origin.
 *
 * @param watch       the watch
 * @param shards      the group's shard count (shards 0 to {@code shards - 1})
 * @param origin      where shards without a checkpoint start; empty while no runner has written it
 * @param checkpoints each shard's own checkpoint, by shard (shards without a checkpoint key are absent)
 * @param marks       the number of outcomes recorded above each shard's checkpoint, by shard (shards
 *                    without marks are absent)
 * @param revision    the etcd revision everything was read at
 */
public record ShardProgress(String watch, int shards, OptionalLong origin, Map<Integer, Long> checkpoints,
                            Map<Integer, Long> marks, long revision) {

    public ShardProgress {
        Objects.requireNonNull(watch, "watch");
        Objects.requireNonNull(origin, "origin");
        if (shards < 1) {
            throw new IllegalArgumentException("shards must be at least 1, was " + shards);
        }
        checkpoints = Collections.unmodifiableMap(new TreeMap<>(checkpoints));
        marks = Collections.unmodifiableMap(new TreeMap<>(marks));
    }

    /**
     * Reads a sharded watch's origin, every shard's checkpoint and the count of each shard's marks at one
     * revision (keys below {@code <statePrefix>/shards/<watch>/}).
     *
     * @param statePrefix the group's state prefix, e.g. {@code /cicd/.state/default}
     * @param shards      the group's shard count, 1..4096
     * @param timeout     how long each etcd request may take
     * @throws dev.cicd.core.CicdException {@code SOURCE} when etcd fails or the origin or a checkpoint holds
     *                                     something other than a revision (the message names the key)
     */
    public static ShardProgress read(Client client, String statePrefix, String watch, int shards, Duration timeout) {
        return ShardProgressRead.read(client, statePrefix, watch, shards, timeout);
    }

    /** The shard's checkpoint: its own key's revision, else the origin; empty when neither exists. */
    public OptionalLong checkpoint(int shard) {
        checkShard(shard);
        Long own = checkpoints.get(shard);
        return own != null ? OptionalLong.of(own) : origin;
    }

    /** How many outcomes of the shard are recorded above its checkpoint. */
    public long marks(int shard) {
        checkShard(shard);
        return marks.getOrDefault(shard, 0L);
    }

    private void checkShard(int shard) {
        if (shard < 0 || shard >= shards) {
            throw new IllegalArgumentException("shard must be between 0 and " + (shards - 1) + ", was " + shard);
        }
    }
}
