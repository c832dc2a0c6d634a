package dev.cicd.etcd.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cicd.core.CicdException;
import dev.cicd.core.Outcome;
import dev.cicd.core.SourceNotice;
import dev.cicd.core.StateStore;
import dev.cicd.etcd.NotLeaderException;
import dev.cicd.etcd.StatusRecord;
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
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.LongFunction;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The etcd reads and writes behind {@link dev.cicd.etcd.EtcdStateStore}; the key layout is
 * {@link StateKeys}. Every write is one transaction; with a fence it only applies while the fence's
 * leader key still has the create revision of the leadership this runner holds. Transient failures
 * (etcd restarting, no raft leader) are retried for the retry budget; a refused fence never is.
 */
public final class StateOps {

    private static final Logger LOG = LoggerFactory.getLogger(StateOps.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Client client;
    private final String group;
    private final StateKeys keys;
    private final String runnerId;
    private final Duration requestTimeout;
    private final Duration retryBudget;
    private final Fence fence;
    private final Clock clock;
    private final StatusLeases leases;
    private final ProgressWrites progress;
    /** The most targets whose fingerprint is cached; the least recently used ones are read again. */
    static final int MAX_CACHED_TARGETS = 10_000;

    /**
     * Per target, the fingerprint as of a leadership term (only this leader writes it meanwhile); bounded,
     * least recently used first out.
     */
    private final Map<String, CachedFingerprint> applied = java.util.Collections.synchronizedMap(
            new java.util.LinkedHashMap<>(256, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, CachedFingerprint> eldest) {
                    return size() > MAX_CACHED_TARGETS;
                }
            });

    private record CachedFingerprint(long term, Optional<String> fingerprint) {
    }

    private final StatusPruner pruner;
    /** Fingerprint reads, folded into transactions when many are asked for at once (a catch-up). */
    private final CoalescedGets gets;
    /** Transactions of fingerprint reads out at once. */
    private static final int CONCURRENT_READS = 4;

    public StateOps(Client client, String group, StateKeys keys, String runnerId, Duration statusTtl,
            Duration requestTimeout, Duration retryBudget, Fence fence, Clock clock, StatusPruner pruner,
            int maxTxnOps) {
        this.client = Objects.requireNonNull(client, "client");
        this.group = group;
        this.keys = keys;
        this.runnerId = runnerId;
        this.requestTimeout = requestTimeout;
        this.retryBudget = retryBudget;
        this.fence = fence;
        this.clock = clock;
        this.pruner = Objects.requireNonNull(pruner, "pruner");
        this.gets = new CoalescedGets(client.getKVClient(), maxTxnOps, CONCURRENT_READS);
        this.leases = new StatusLeases(client, statusTtl, requestTimeout);
        this.progress = new ProgressWrites(client, keys, runnerId, fence, requestTimeout, leases::current,
                leases::forget);
    }

    public StateKeys keys() {
        return keys;
    }

    public String runnerId() {
        return runnerId;
    }

    public String group() {
        return group;
    }

    // ---------------------------------------------------------------- reads

    /** The checkpoint and the marks of revisions recorded above it, in one read at one revision. */
    public StateStore.WatchState load(String watch) {
        String cpKey = keys.checkpoint(watch);
        ByteSequence dir = Etcd.bytes(keys.recordedDir(watch));
        TxnResponse r = retrying("reading the state of watch " + watch, () -> Etcd.await(client.getKVClient().txn()
                .Then(Op.get(Etcd.bytes(cpKey), GetOption.DEFAULT),
                        Op.get(dir, GetOption.builder().isPrefix(true).withKeysOnly(true).build()))
                .commit(), requestTimeout, () -> "reading the state of watch " + watch));
        OptionalLong checkpoint = Etcd.revisionIn(r.getGetResponses().get(0).getKvs());
        Set<Long> above = new HashSet<>();
        for (KeyValue kv : r.getGetResponses().get(1).getKvs()) {
            String k = Etcd.text(kv.getKey());
            try {
                above.add(Long.parseLong(k.substring(k.lastIndexOf('/') + 1)));
            } catch (NumberFormatException e) {
                LOG.warn("ignoring {}: not a revision mark", k);
            }
        }
        return new StateStore.WatchState(checkpoint, above);
    }

    public Optional<String> lastApplied(String target) {
        Optional<Fence.Token> token = fence == null ? Optional.empty() : fence.token();
        if (token.isPresent()) {
            CachedFingerprint c = applied.get(target);
            if (c != null && c.term() == token.get().createRevision()) {
                return c.fingerprint();
            }
        }
        Optional<String> fp = get(keys.applied(target), "reading the applied fingerprint of target " + target)
                .map(StateOps::fingerprintOf);
        token.ifPresent(t -> applied.put(target, new CachedFingerprint(t.createRevision(), fp)));
        return fp;
    }

    private static String fingerprintOf(String stored) {
        String s = stored.strip();
        if (s.startsWith("{")) {
            try {
                JsonNode n = JSON.readTree(s);
                if (n.hasNonNull("fingerprint")) {
                    return n.get("fingerprint").asText();
                }
            } catch (java.io.IOException e) {
                // fall through: treat as a bare fingerprint
            }
        }
        return s;
    }

    private Optional<String> get(String key, String what) {
        return retrying(what, () -> Etcd.await(gets.get(Etcd.bytes(key)), requestTimeout, () -> what + " (" + key + ")"))
                .map(kv -> Etcd.text(kv.getValue()));
    }

    // ---------------------------------------------------------------- writes

    /**
     * One batch in one transaction: per outcome its status record (and a mark when it lies above its
     * watch's new checkpoint, or its watch has none in the batch), per applied outcome the fingerprint of
     * each target, the batch's {@code latest} records, and per checkpoint the checkpoint and the removal
     * of the marks it now covers.
     */
    public void commit(StateStore.Batch batch) {
        if (batch.entries().isEmpty() && batch.checkpoints().isEmpty() && batch.latest().isEmpty()) {
            return;
        }
        Map<String, StateStore.Entry> appliedTo = new LinkedHashMap<>();
        for (StateStore.Entry e : batch.entries()) {
            if (e.outcome().kind() == Outcome.Kind.APPLIED && e.outcome().fingerprint().isPresent()) {
                for (String t : e.targets()) {
                    appliedTo.put(t, e);
                }
            }
        }
        String what = batch.entries().isEmpty() ? "writing the checkpoints of " + batch.checkpoints().keySet()
                : "recording " + batch.entries().size() + " outcome(s) from revision "
                        + batch.entries().get(0).outcome().revision() + " of watch "
                        + batch.entries().get(0).outcome().watch();
        write(what, lease -> {
            List<Op> ops = new ArrayList<>();
            for (StateStore.Entry e : batch.entries()) {
                Outcome o = e.outcome();
                ops.add(statusPut(o, lease));
                Long cp = batch.checkpoints().get(o.watch());
                if (cp == null || o.revision() > cp) {
                    ops.add(Op.put(Etcd.bytes(keys.recorded(o.watch(), o.revision())), ByteSequence.EMPTY,
                            PutOption.DEFAULT));
                }
            }
            for (Map.Entry<String, StateStore.Entry> a : appliedTo.entrySet()) {
                ops.add(putApplied(a.getKey(), a.getValue().outcome()));
            }
            for (Outcome o : batch.latest().values()) {
                ops.add(latestPut(o));
            }
            for (Map.Entry<String, Long> c : batch.checkpoints().entrySet()) {
                ops.add(Op.put(Etcd.bytes(keys.checkpoint(c.getKey())), Etcd.bytes(Long.toString(c.getValue())),
                        PutOption.DEFAULT));
                ops.add(Op.delete(Etcd.bytes(keys.recordedDir(c.getKey())), DeleteOption.builder()
                        .withRange(Etcd.bytes(keys.recorded(c.getKey(), c.getValue() + 1))).build()));
            }
            return ops;
        }, true, token -> appliedTo.forEach((target, e) -> applied.put(target,
                new CachedFingerprint(token.createRevision(), e.outcome().fingerprint()))));
        // only a writer prunes (a read-only user of the state, like the status command, never does); the first
        // commit of a term also prunes what earlier runs left over the limit
        committed(batch);
    }

    /**
     * Queues an in-progress record of the event (asynchronous, best-effort, fenced, never over its final
     * record; see {@link ProgressWrites}).
     */
    public void writeProgress(dev.cicd.core.Progress p) {
        progress.submit(p);
    }

    public void writeNotice(SourceNotice notice) {
        String value = StatusJson.write(notice, runnerId, clock.instant());
        write("writing a " + notice.kind() + " notice of watch " + notice.watch(),
                lease -> List.of(Op.put(Etcd.bytes(keys.notice(notice.watch())), Etcd.bytes(value), PutOption.DEFAULT)),
                false, token -> { });
    }

    /** Throws {@link NotLeaderException} when fenced and this runner does not hold the leadership. */
    public void checkLeader(String what) {
        if (fence != null && fence.token().isEmpty()) {
            throw new NotLeaderException(fence.describe() + " is not the leader: " + what + " refused");
        }
    }

    Op putApplied(String target, Outcome o) {
        ObjectNode n = JSON.createObjectNode();
        n.put("fingerprint", o.fingerprint().orElseThrow());
        n.put("revision", o.revision());
        n.put("key", o.event().key());
        n.put("watch", o.watch());
        n.put("appliedAt", clock.instant().toString());
        n.put("runnerId", runnerId);
        return Op.put(Etcd.bytes(keys.applied(target)), Etcd.bytes(n.toString()), PutOption.DEFAULT);
    }

    /** What to do once a fenced write went through (with the term it was written in). */
    private interface Written {
        void accept(Fence.Token token);
    }

    /**
     * One transaction: If(leader key create revision == ours) Then(ops). With {@code needsLease} the ops
     * get the current status lease; a lease that vanished (etcd reset, revoked) is replaced once.
     */
    private void write(String what, LongFunction<List<Op>> ops, boolean needsLease, Written written) {
        retrying(what, () -> {
            writeOnce(what, ops, needsLease, written);
            return null;
        });
    }

    /**
     * Runs {@code op}, retrying transient etcd failures (unreachable, no raft leader, timeouts) with
     * back-off for up to the retry budget; a refused fence is never retried.
     */
    private <T> T retrying(String what, Supplier<T> op) {
        long deadline = System.nanoTime() + retryBudget.toNanos();
        long backoff = 100;
        for (int attempt = 1; ; attempt++) {
            try {
                return op.get();
            } catch (CicdException e) {
                if (e instanceof NotLeaderException || !Etcd.isTransient(e) || System.nanoTime() - deadline > 0) {
                    throw e;
                }
                if (attempt == 1) {
                    LOG.warn("{} failed ({}); retrying for up to {} s", what, e.getMessage(), retryBudget.toSeconds());
                } else {
                    LOG.debug("{}: attempt {} failed ({})", what, attempt, e.getMessage());
                }
                try {
                    TimeUnit.MILLISECONDS.sleep(backoff);
                } catch (InterruptedException ie) {
                    throw CicdException.interrupted(what, ie);
                }
                backoff = Math.min(backoff * 2, 1000);
            }
        }
    }

    private void writeOnce(String what, LongFunction<List<Op>> ops, boolean needsLease, Written written) {
        Optional<Fence.Token> token = Optional.empty();
        if (fence != null) {
            token = fence.token();
            if (token.isEmpty()) {
                throw new NotLeaderException(fence.describe() + " is not the leader: " + what + " refused");
            }
        }
        List<Cmp> cmps = token.map(t -> List.of(new Cmp(t.key(), Cmp.Op.EQUAL, CmpTarget.createRevision(
                t.createRevision())))).orElse(List.of());
        if (!txn(what, ops, cmps, needsLease)) {
            Fence.Token t = token.orElseThrow();
            fence.rejected(t);
            throw new NotLeaderException(fence.describe() + " is not the leader any more (leader key "
                    + Etcd.text(t.key()) + " created at revision " + t.createRevision()
                    + " is gone): " + what + " refused");
        }
        token.ifPresent(written::accept);
    }

    /**
     * One transaction If(cmps) Then(ops), retrying transient failures for the retry budget; with
     * {@code needsLease} the ops get the current status lease (a vanished one is replaced once).
     *
     * @return whether the compares held (false: nothing was written)
     */
    boolean write(String what, LongFunction<List<Op>> ops, List<Cmp> cmps, boolean needsLease) {
        return retrying(what, () -> txn(what, ops, cmps, needsLease));
    }

    private boolean txn(String what, LongFunction<List<Op>> ops, List<Cmp> cmps, boolean needsLease) {
        for (int attempt = 1; ; attempt++) {
            long lease = needsLease ? leases.current() : 0;
            List<Op> list = ops.apply(lease);
            var txn = client.getKVClient().txn();
            if (!cmps.isEmpty()) {
                txn = txn.If(cmps.toArray(Cmp[]::new));
            }
            try {
                return Etcd.await(txn.Then(list.toArray(Op[]::new)).commit(), requestTimeout, () -> what).isSucceeded();
            } catch (CicdException e) {
                if (needsLease && attempt == 1 && Etcd.isLeaseNotFound(e)) {
                    LOG.info("status lease {} is gone; granting a new one", lease);
                    leases.invalidate(lease);
                    continue;
                }
                throw e;
            }
        }
    }

    /** A read in one transaction, retried like a write. */
    TxnResponse read(String what, Op... gets) {
        return retrying(what, () -> Etcd.await(client.getKVClient().txn().Then(gets).commit(), requestTimeout,
                () -> what));
    }

    /** The put of an outcome's status record on the status lease. */
    Op statusPut(Outcome o, long lease) {
        return Op.put(Etcd.bytes(keys.status(o.watch(), o.revision())), Etcd.bytes(StatusRecord.of(o, runnerId).toJson()),
                PutOption.builder().withLeaseId(lease).build());
    }

    /** The put of a watch's {@code latest} record. */
    Op latestPut(Outcome o) {
        return Op.put(Etcd.bytes(keys.latest(o.watch())), Etcd.bytes(StatusRecord.of(o, runnerId).toJson()),
                PutOption.DEFAULT);
    }

    /**
     * The watch's {@code latest} record, only when it is newer than the one stored: a nested transaction
     * comparing the revision kept beside it ({@link StateKeys#shardLatest}), for runners that record events
     * of one watch side by side (a sharded group). Then and else branches put the same keys; etcd allows
     * that, as they exclude each other.
     */
    Op latestPutIfNewer(Outcome o) {
        ByteSequence rev = Etcd.bytes(keys.shardLatest(o.watch()));
        ByteSequence padded = Etcd.bytes(StateKeys.padded(o.revision()));
        Op[] put = {latestPut(o), Op.put(rev, padded, PutOption.DEFAULT)};
        Op ifOlder = Op.txn(new Cmp[] {new Cmp(rev, Cmp.Op.LESS, CmpTarget.value(padded))}, put, new Op[0]);
        return Op.txn(new Cmp[] {new Cmp(rev, Cmp.Op.EQUAL, CmpTarget.createRevision(0))}, put, new Op[] {ifOlder});
    }

    /** After a batch was written: its in-progress records are done, its watches' status records pruned soon. */
    void committed(StateStore.Batch batch) {
        batch.entries().forEach(e -> progress.recorded(e.outcome().watch(), e.outcome().revision()));
        batch.entries().stream().map(e -> e.outcome().watch()).distinct().forEach(pruner::written);
    }

    /** Revokes nothing (status records outlive the runner); drops the cached lease id. */
    public void close() {
        leases.forget();
        progress.close();
        pruner.close();
    }
}
