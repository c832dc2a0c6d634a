package dev.cicd.etcd;

import dev.cicd.etcd.internal.Fence;
import java.util.Set;
import java.util.concurrent.CompletionStage;

/**
 * Told by a {@link ShardMembership} when this runner gains and gives up shards. Calls come on one thread
 * of the membership, one at a time, in the order things happened; an exception thrown here is logged and
 * changes nothing else.
 */
public interface ShardListener {

    /**
     * This runner now holds {@code shard}'s ownership key: it may process the shard's events, and every
     * state write of the shard should be a transaction comparing {@code token} (the ownership key and its
     * create revision), so that it fails once the shard has moved on.
     */
    void assigned(int shard, Fence.Token token);

    /**
     * {@code shard} is assigned to another runner now. Stop taking its events, let the in-flight one be
     * committed or interrupted, and complete the returned stage; only then is the ownership key deleted
     * and may the new owner start. The token stays valid until the stage completes. A stage completed
     * exceptionally is logged and counts as completed.
     */
    CompletionStage<Void> revoking(int shard);

    /**
     * The tokens of {@code shards} are no longer valid, all at once, without a handover: the lease was
     * lost (keep-alives failed past the TTL, or etcd no longer knows it) or an ownership key was deleted
     * by someone else. Writes fenced with them fail; stop at once. The membership registers again with a
     * new lease and is {@link #assigned} its shards anew.
     */
    void lost(Set<Integer> shards, String reason);
}
