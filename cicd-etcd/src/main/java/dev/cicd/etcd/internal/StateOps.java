package dev.cicd.etcd.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cicd.core.CicdException;
import dev.cicd.core.Outcome;
import dev.cicd.core.Plan;
import dev.cicd.core.SourceNotice;
import dev.cicd.etcd.NotLeaderException;
import dev.cicd.etcd.StatusRecord;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.PutOption;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongFunction;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The etcd reads and writes behind the checkpoint store, deduplicator, status sink and state store.
 *
 * <p>Key layout (prefixes without trailing '/'):
 * <pre>
 *   &lt;statePrefix&gt;/checkpoint/&lt;watch&gt;     last processed revision, decimal
 *   &lt;statePrefix&gt;/applied/&lt;watch&gt;        {"fingerprint", "revision", "key", "appliedAt", "runnerId"}
 *   &lt;statusPrefix&gt;/&lt;watch&gt;/&lt;revision&gt;    status record (JSON), with a lease of the status TTL
 *   &lt;statusPrefix&gt;/&lt;watch&gt;/latest        the newest status record of the watch
 *   &lt;statusPrefix&gt;/&lt;watch&gt;/notice        the newest source notice (gap, reset, ...) of the watch
 * </pre>
 * Every write is one transaction; with a fence it only applies while the fence's leader key still has
 * the create revision of the leadership this runner holds.
 */
public final class StateOps {

    private static final Logger LOG = LoggerFactory.getLogger(StateOps.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Client client;
    private final String group;
    private final String statePrefix;
    private final String statusPrefix;
    private final String runnerId;
    private final Duration requestTimeout;
    private final Duration retryBudget;
    private final Fence fence;
    private final Clock clock;
    private final StatusLeases leases;
    private final ConcurrentHashMap<String, CachedFingerprint> applied = new ConcurrentHashMap<>();
    private final BatchCommitter batcher;

    private record CachedFingerprint(long term, Optional<String> fingerprint) {
    }

    public StateOps(Client client, String group, String statePrefix, String statusPrefix, String runnerId,
            Duration statusTtl, Duration requestTimeout, Duration retryBudget, Fence fence, Clock clock,
            boolean batchCommits) {
        this.client = Objects.requireNonNull(client, "client");
        this.group = group;
        this.statePrefix = statePrefix;
        this.statusPrefix = statusPrefix;
        this.runnerId = runnerId;
        this.requestTimeout = requestTimeout;
        this.retryBudget = retryBudget;
        this.fence = fence;
        this.clock = clock;
        this.leases = new StatusLeases(client, statusTtl, requestTimeout);
        this.batcher = batchCommits ? new BatchCommitter(this, runnerId) : null;
    }

    /**
     * Waits until every outcome committed so far is written (only batched commits are asynchronous).
     *
     * @return false when the timeout passed first
     */
    public boolean flush(Duration timeout) {
        return batcher == null || batcher.flush(timeout);
    }

    public String statePrefix() {
        return statePrefix;
    }

    public String statusPrefix() {
        return statusPrefix;
    }

    public String runnerId() {
        return runnerId;
    }

    public String group() {
        return group;
    }

    public String checkpointKey(String watch) {
        return statePrefix + "/checkpoint/" + watch;
    }

    public String appliedKey(String watch) {
        return statePrefix + "/applied/" + watch;
    }

    public String statusKey(String watch, long revision) {
        return statusPrefix + "/" + watch + "/" + revision;
    }

    public String latestKey(String watch) {
        return statusPrefix + "/" + watch + "/latest";
    }

    public String noticeKey(String watch) {
        return statusPrefix + "/" + watch + "/notice";
    }

    // ---------------------------------------------------------------- reads

    public OptionalLong loadCheckpoint(String watch) {
        if (batcher != null) {
            batcher.flushAndReset(watch, retryBudget.plus(requestTimeout.multipliedBy(2)));
        }
        Optional<String> v = get(checkpointKey(watch), "reading the checkpoint of watch " + watch);
        if (v.isEmpty()) {
            return OptionalLong.empty();
        }
        try {
            return OptionalLong.of(Long.parseLong(v.get().strip()));
        } catch (NumberFormatException e) {
            throw new CicdException(CicdException.Code.SOURCE, "checkpoint " + checkpointKey(watch)
                    + " holds '" + v.get() + "', not a revision", e);
        }
    }

    public Optional<String> lastApplied(String watch) {
        if (batcher != null) {
            Optional<String> pending = batcher.pendingApplied(watch);
            if (pending.isPresent()) {
                return pending;
            }
        }
        Optional<Fence.Token> token = fence == null ? Optional.empty() : fence.token();
        if (token.isPresent()) {
            CachedFingerprint c = applied.get(watch);
            if (c != null && c.term() == token.get().createRevision()) {
                return c.fingerprint();
            }
        }
        Optional<String> fp = get(appliedKey(watch), "reading the applied fingerprint of watch " + watch)
                .map(StateOps::fingerprintOf);
        token.ifPresent(t -> applied.put(watch, new CachedFingerprint(t.createRevision(), fp)));
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
        GetResponse r = retrying(what, () -> Etcd.await(client.getKVClient().get(Etcd.bytes(key)), requestTimeout,
                () -> what + " (" + key + ")"));
        List<KeyValue> kvs = r.getKvs();
        return kvs.isEmpty() ? Optional.empty() : Optional.of(Etcd.text(kvs.get(0).getValue()));
    }

    // ---------------------------------------------------------------- writes

    public void saveCheckpoint(String watch, long revision) {
        write("saving checkpoint " + revision + " of watch " + watch, lease -> List.of(putCheckpoint(watch, revision)),
                false, List.of());
    }

    public void recordApplied(Plan plan) {
        write("recording the applied plan of watch " + plan.watch() + " at revision " + plan.event().modRevision(),
                lease -> List.of(putApplied(plan)), false, List.of(plan));
    }

    public void writeStatus(Outcome outcome) {
        write("writing the status of watch " + outcome.watch() + " at revision " + outcome.revision(),
                lease -> statusOps(outcome, lease), true, List.of());
    }

    public void writeNotice(SourceNotice notice) {
        String value = StatusJson.write(notice, runnerId, clock.instant());
        write("writing a " + notice.kind() + " notice of watch " + notice.watch(),
                lease -> List.of(Op.put(Etcd.bytes(noticeKey(notice.watch())), Etcd.bytes(value), PutOption.DEFAULT)),
                false, List.of());
    }

    /** Fingerprint (when applied), status records and checkpoint in one transaction. */
    public void commit(Outcome outcome, Optional<Plan> plan) {
        if (batcher != null) {
            batcher.submit(outcome, plan);
            return;
        }
        Plan appliedPlan = outcome.kind() == Outcome.Kind.APPLIED ? plan.orElse(null) : null;
        write("recording the outcome of watch " + outcome.watch() + " at revision " + outcome.revision(), lease -> {
            List<Op> ops = new ArrayList<>(statusOps(outcome, lease));
            ops.add(putCheckpoint(outcome.watch(), outcome.revision()));
            if (appliedPlan != null) {
                ops.add(putApplied(appliedPlan));
            }
            return ops;
        }, true, appliedPlan == null ? List.<Plan>of() : List.of(appliedPlan));
    }

    /**
     * Several outcomes (in the order they were produced) in one transaction: a status record per
     * outcome, and per watch the newest {@code latest} record, checkpoint and applied fingerprint.
     */
    public void commitBatch(List<Outcome> outcomes, List<Plan> appliedPlans) {
        if (outcomes.isEmpty()) {
            return;
        }
        java.util.LinkedHashMap<String, Outcome> lastOutcome = new java.util.LinkedHashMap<>();
        java.util.LinkedHashMap<String, Plan> lastApplied = new java.util.LinkedHashMap<>();
        for (Outcome o : outcomes) {
            lastOutcome.put(o.watch(), o);
        }
        for (Plan p : appliedPlans) {
            lastApplied.put(p.watch(), p);
        }
        Outcome first = outcomes.get(0);
        Outcome last = outcomes.get(outcomes.size() - 1);
        write("recording " + outcomes.size() + " outcome(s), revisions " + first.revision() + " to " + last.revision(),
                lease -> {
                    List<Op> ops = new ArrayList<>();
                    for (Outcome o : outcomes) {
                        ops.add(Op.put(Etcd.bytes(statusKey(o.watch(), o.revision())),
                                Etcd.bytes(StatusRecord.of(o, runnerId).toJson()), PutOption.builder().withLeaseId(lease).build()));
                    }
                    for (Outcome o : lastOutcome.values()) {
                        ops.add(Op.put(Etcd.bytes(latestKey(o.watch())), Etcd.bytes(StatusRecord.of(o, runnerId).toJson()),
                                PutOption.DEFAULT));
                        ops.add(putCheckpoint(o.watch(), o.revision()));
                    }
                    for (Plan p : lastApplied.values()) {
                        ops.add(putApplied(p));
                    }
                    return ops;
                }, true, List.copyOf(lastApplied.values()));
    }

    /** Throws {@link NotLeaderException} when fenced and this runner does not hold the leadership. */
    public void checkLeader(String what) {
        if (fence != null && fence.token().isEmpty()) {
            throw new NotLeaderException(fence.describe() + " is not the leader: " + what + " refused");
        }
    }

    private Op putCheckpoint(String watch, long revision) {
        return Op.put(Etcd.bytes(checkpointKey(watch)), Etcd.bytes(Long.toString(revision)), PutOption.DEFAULT);
    }

    private Op putApplied(Plan plan) {
        ObjectNode o = JSON.createObjectNode();
        o.put("fingerprint", plan.fingerprint());
        o.put("revision", plan.event().modRevision());
        o.put("key", plan.event().key());
        o.put("appliedAt", clock.instant().toString());
        o.put("runnerId", runnerId);
        return Op.put(Etcd.bytes(appliedKey(plan.watch())), Etcd.bytes(o.toString()), PutOption.DEFAULT);
    }

    private List<Op> statusOps(Outcome outcome, long lease) {
        ByteSequence json = Etcd.bytes(StatusRecord.of(outcome, runnerId).toJson());
        return List.of(
                Op.put(Etcd.bytes(statusKey(outcome.watch(), outcome.revision())), json,
                        PutOption.builder().withLeaseId(lease).build()),
                Op.put(Etcd.bytes(latestKey(outcome.watch())), json, PutOption.DEFAULT));
    }

    /**
     * One transaction: If(leader key create revision == ours) Then(ops). With {@code needsLease} the ops
     * get the current status lease; a lease that vanished (etcd reset, revoked) is replaced once.
     */
    private void write(String what, LongFunction<List<Op>> ops, boolean needsLease, List<Plan> appliedPlans) {
        retrying(what, () -> {
            writeOnce(what, ops, needsLease, appliedPlans);
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

    private void writeOnce(String what, LongFunction<List<Op>> ops, boolean needsLease, List<Plan> appliedPlans) {
        Optional<Fence.Token> token = Optional.empty();
        if (fence != null) {
            token = fence.token();
            if (token.isEmpty()) {
                throw new NotLeaderException(fence.describe() + " is not the leader: " + what + " refused");
            }
        }
        for (int attempt = 1; ; attempt++) {
            long lease = needsLease ? leases.current() : 0;
            List<Op> list = ops.apply(lease);
            var txn = client.getKVClient().txn();
            if (token.isPresent()) {
                txn = txn.If(new Cmp(token.get().key(), Cmp.Op.EQUAL, CmpTarget.createRevision(token.get().createRevision())));
            }
            TxnResponse r;
            try {
                r = Etcd.await(txn.Then(list.toArray(Op[]::new)).commit(), requestTimeout, () -> what);
            } catch (CicdException e) {
                if (needsLease && attempt == 1 && Etcd.isLeaseNotFound(e)) {
                    LOG.info("status lease {} is gone; granting a new one", lease);
                    leases.invalidate(lease);
                    continue;
                }
                throw e;
            }
            if (!r.isSucceeded()) {
                Fence.Token t = token.orElseThrow();
                fence.rejected(t);
                throw new NotLeaderException(fence.describe() + " is not the leader any more (leader key "
                        + Etcd.text(t.key()) + " created at revision " + t.createRevision()
                        + " is gone): " + what + " refused");
            }
            if (token.isPresent()) {
                for (Plan p : appliedPlans) {
                    applied.put(p.watch(), new CachedFingerprint(token.get().createRevision(), Optional.of(p.fingerprint())));
                }
            }
            return;
        }
    }

    /** Revokes nothing (status records outlive the runner); drops the cached lease id. */
    public void close() {
        leases.forget();
    }
}
