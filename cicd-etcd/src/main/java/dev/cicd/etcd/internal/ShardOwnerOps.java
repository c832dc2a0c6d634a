package dev.cicd.etcd.internal;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/** The transactions on ownership and membership keys. Blocking; each bounded by the request timeout. */
final class ShardOwnerOps {

    /** The result of trying to take a shard: the key this runner created, or the one that was there. */
    record Taken(boolean created, long createRevision, Optional<ShardView.Owner> existing) {
    }

    private final Client client;
    private final ShardKeys keys;
    private final String runnerId;
    private final Duration timeout;

    ShardOwnerOps(Client client, ShardKeys keys, String runnerId, Duration timeout) {
        this.client = client;
        this.keys = keys;
        this.runnerId = runnerId;
        this.timeout = timeout;
    }

    /** One shard's try of {@link #takeAll}: taken or not, or the failure. */
    record Attempt(int shard, Taken taken, RuntimeException failure) {
    }

    /**
     * Takes every shard at once, each by {@code If(createRevision(owner key) == 0) Then(put runnerId on
     * lease) Else(get)}: the transactions go out together (etcd commits concurrent ones
     * in one raft round and one fsync) instead of one after the other; answers in the order given.
     */
    List<Attempt> takeAll(List<Integer> shards, long lease) {
        List<CompletableFuture<TxnResponse>> sent = new ArrayList<>();
        for (int s : shards) {
            sent.add(takeTxn(s, lease));
        }
        List<Attempt> out = new ArrayList<>();
        for (int i = 0; i < shards.size(); i++) {
            int s = shards.get(i);
            try {
                out.add(new Attempt(s, taken(s, Etcd.await(sent.get(i), timeout, () -> what(s))), null));
            } catch (RuntimeException e) {
                out.add(new Attempt(s, null, e));
            }
        }
        return out;
    }

    private CompletableFuture<TxnResponse> takeTxn(int shard, long lease) {
        ByteSequence key = Etcd.bytes(keys.owner(shard));
        return client.getKVClient().txn()
                .If(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.createRevision(0)))
                .Then(Op.put(key, Etcd.bytes(runnerId), PutOption.builder().withLeaseId(lease).build()))
                .Else(Op.get(key, GetOption.DEFAULT))
                .commit();
    }

    private String what(int shard) {
        return "runner " + runnerId + ": taking shard " + shard + " at " + keys.owner(shard);
    }

    private static Taken taken(int shard, TxnResponse r) {
        if (r.isSucceeded()) {
            return new Taken(true, r.getHeader().getRevision(), Optional.empty());
        }
        Optional<ShardView.Owner> existing = Optional.empty();
        if (!r.getGetResponses().isEmpty() && !r.getGetResponses().get(0).getKvs().isEmpty()) {
            KeyValue kv = r.getGetResponses().get(0).getKvs().get(0);
            existing = Optional.of(new ShardView.Owner(Etcd.text(kv.getValue()), kv.getCreateRevision()));
        }
        return new Taken(false, 0, existing);
    }

    /**
     * Deletes the ownership key of {@code shard} if it is still the one created at {@code createRevision};
     * returns whether it was (false: someone else's key, or already gone).
     */
    boolean release(int shard, long createRevision) {
        ByteSequence key = Etcd.bytes(keys.owner(shard));
        TxnResponse r = Etcd.await(client.getKVClient().txn()
                .If(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.createRevision(createRevision)))
                .Then(Op.delete(key, DeleteOption.DEFAULT))
                .commit(), timeout, () -> "runner " + runnerId + ": releasing shard " + shard + " at " + keys.owner(shard));
        return r.isSucceeded();
    }

    /** Puts this runner's membership key on {@code lease}. */
    void register(long lease, String value) {
        Etcd.await(client.getKVClient().put(Etcd.bytes(keys.member(runnerId)), Etcd.bytes(value),
                PutOption.builder().withLeaseId(lease).build()), timeout,
                () -> "runner " + runnerId + ": writing its membership key " + keys.member(runnerId));
    }

    /** Deletes this runner's membership key: the others rebalance at once. */
    void deregister() {
        Etcd.await(client.getKVClient().delete(Etcd.bytes(keys.member(runnerId))), timeout, () -> "runner " + runnerId + ": deleting its membership key " + keys.member(runnerId));
    }

    /** The group's keys now and the revision they were read at. */
    io.etcd.jetcd.kv.GetResponse readAll() {
        ByteSequence prefix = Etcd.bytes(keys.prefix());
        return Etcd.await(client.getKVClient().get(prefix, GetOption.builder().isPrefix(true).build()), timeout,
                () -> "runner " + runnerId + ": reading " + keys.prefix());
    }
}
