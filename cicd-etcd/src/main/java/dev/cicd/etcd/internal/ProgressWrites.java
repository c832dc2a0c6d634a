package dev.cicd.etcd.internal;

import dev.cicd.core.Progress;
import dev.cicd.etcd.ProgressRecord;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes in-progress status records ({@link ProgressRecord}) at {@code <statusPrefix>/<watch>/<revision>},
 * asynchronously and best-effort: one background thread (started at the first report, ended when idle)
 * writes the reports in order; a full queue or a failed write drops the report with a debug log.
 *
 * <p>Each write is one transaction comparing (1) the leader key's create revision, like every state write,
 * so a deposed runner writes nothing, and (2) the status key: absent for the first report of an event, or
 * still at the mod revision of this runner's previous report (or of another runner's in-progress record
 * read in the same failed transaction). So a report that arrives after the final record was committed
 * never replaces it: the final put changed the key's mod revision.
 *
 * <p>Reports of an event are written from {@link #FIRST_DELAY} after its first report on (in order): an
 * action that ends sooner (most shell scripts, an in-sync rollout) writes no in-progress record at all,
 * since its final record is on its way; the commit marks the key done ({@link #recorded}), so the delayed
 * report is dropped without asking etcd. This keeps a burst's etcd writes and CPU to the outcomes (measured:
 * an immediate write at every start cost a shell action ~0.8 ms of its start on a 2-core machine).
 */
final class ProgressWrites {

    private static final Logger LOG = LoggerFactory.getLogger(ProgressWrites.class);
    private static final int QUEUE = 1024;
    /** How long after an event's first report its reports start being written. */
    static final Duration FIRST_DELAY = Duration.ofMillis(250);
    private static final int REMEMBERED = 4096;
    /** Marks a status key whose final record is there (or that another writer owns): no more reports. */
    private static final long DONE = -1;

    private final Client client;
    private final StateKeys keys;
    private final String runnerId;
    private final Fence fence;
    private final Duration requestTimeout;
    private final LongSupplier lease;
    private final Runnable leaseLost;
    private final ScheduledThreadPoolExecutor executor;
    private final AtomicInteger queued = new AtomicInteger();
    /**
     * Per status key, the mod revision of the last report this runner wrote there (or {@link #DONE}).
     * Guarded by itself.
     */
    private final Map<String, Long> written = new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Long> eldest) {
            return size() > REMEMBERED;
        }
    };
    /** Per status key, its reports not yet written, in order (a flush is scheduled). Guarded by {@link #written}. */
    private final Map<String, List<ProgressRecord>> pending = new java.util.HashMap<>();
    /** Per status key, when its first report came (System.nanoTime). Guarded by {@link #written}. */
    private final Map<String, Long> firstReport = new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Long> eldest) {
            return size() > REMEMBERED;
        }
    };

    ProgressWrites(Client client, StateKeys keys, String runnerId, Fence fence, Duration requestTimeout,
            LongSupplier lease, Runnable leaseLost) {
        this.client = client;
        this.keys = keys;
        this.runnerId = runnerId;
        this.fence = fence;
        this.requestTimeout = requestTimeout;
        this.lease = lease;
        this.leaseLost = leaseLost;
        this.executor = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "cicd-progress");
            t.setDaemon(true);
            return t;
        });
        this.executor.setKeepAliveTime(30, TimeUnit.SECONDS);
        this.executor.allowCoreThreadTimeOut(true);
        this.executor.setRemoveOnCancelPolicy(true);
    }

    /** The final record of this status key is committed: no report of it is written any more. */
    void recorded(String watch, long revision) {
        String key = keys.status(watch, revision);
        synchronized (written) {
            written.put(key, DONE);
            firstReport.remove(key);
            pending.remove(key);
        }
    }

    /** Queues the report; never blocks, never throws. */
    void submit(Progress p) {
        if (fence != null && fence.token().isEmpty()) {
            return;
        }
        ProgressRecord r = new ProgressRecord(p.watch(), p.event().key(), p.revision(), p.requestId(), p.step(),
                p.detail(), p.started(), p.time(), runnerId);
        String key = keys.status(r.watch(), r.revision());
        long delay;
        synchronized (written) {
            Long last = written.get(key);
            if (last != null && last == DONE) {
                return;
            }
            // a flush already scheduled writes this report after the earlier ones: none overtakes another
            List<ProgressRecord> queue = pending.get(key);
            if (queue != null) {
                queue.add(r);
                return;
            }
            pending.put(key, new ArrayList<>(List.of(r)));
            long now = System.nanoTime();
            long first = firstReport.computeIfAbsent(key, k -> now);
            delay = Math.max(0, first + FIRST_DELAY.toNanos() - now);
        }
        if (queued.incrementAndGet() > QUEUE) {
            queued.decrementAndGet();
            forget(key);
            LOG.debug("progress of revision {} of watch {} dropped: queue full", r.revision(), r.watch());
            return;
        }
        try {
            executor.schedule(() -> {
                queued.decrementAndGet();
                flush(key);
            }, delay, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            queued.decrementAndGet();
            forget(key);
            LOG.debug("progress of revision {} of watch {} dropped: closed", r.revision(), r.watch());
        }
    }

    private void forget(String key) {
        synchronized (written) {
            pending.remove(key);
        }
    }

    /** On the writer thread: writes the key's queued reports, in order. */
    private void flush(String key) {
        List<ProgressRecord> reports;
        synchronized (written) {
            reports = pending.remove(key);
        }
        if (reports != null) {
            reports.forEach(this::write);
        }
    }

    private Long last(String key) {
        synchronized (written) {
            return written.get(key);
        }
    }

    private void remember(String key, long revision) {
        synchronized (written) {
            if (!Long.valueOf(DONE).equals(written.get(key))) { // the final record may have come meanwhile
                written.put(key, revision);
            }
        }
    }

    private void write(ProgressRecord r) {
        String key = keys.status(r.watch(), r.revision());
        try {
            Long last = last(key);
            if (last != null && last == DONE) {
                return;
            }
            Optional<Fence.Token> token = fence == null ? Optional.empty() : fence.token();
            if (fence != null && token.isEmpty()) {
                return;
            }
            Cmp keyCmp = last == null
                    ? new Cmp(Etcd.bytes(key), Cmp.Op.EQUAL, CmpTarget.version(0))
                    : new Cmp(Etcd.bytes(key), Cmp.Op.EQUAL, CmpTarget.modRevision(last));
            TxnResponse resp = attempt(key, r, token, keyCmp);
            if (resp.isSucceeded()) {
                remember(key, resp.getHeader().getRevision());
                return;
            }
            List<KeyValue> kvs = resp.getGetResponses().isEmpty() ? List.of() : resp.getGetResponses().get(0).getKvs();
            if (last == null && !kvs.isEmpty() && ProgressRecord.isProgress(Etcd.text(kvs.get(0).getValue()))) {
                // an earlier run's in-progress record (a runner that died mid-action): this run's replaces it
                resp = attempt(key, r, token, new Cmp(Etcd.bytes(key), Cmp.Op.EQUAL,
                        CmpTarget.modRevision(kvs.get(0).getModRevision())));
                if (resp.isSucceeded()) {
                    remember(key, resp.getHeader().getRevision());
                    return;
                }
            }
            synchronized (written) {
                written.put(key, DONE);
            }
            LOG.debug("progress of revision {} of watch {} not written: the outcome is recorded, or this runner "
                    + "is not the leader", r.revision(), r.watch());
        } catch (RuntimeException e) {
            if (Etcd.isLeaseNotFound(e)) {
                leaseLost.run();
            }
            LOG.debug("progress of revision {} of watch {} not written: {}", r.revision(), r.watch(), e.toString());
        }
    }

    private TxnResponse attempt(String key, ProgressRecord r, Optional<Fence.Token> token, Cmp keyCmp) {
        List<Cmp> cmps = new ArrayList<>();
        token.ifPresent(t -> cmps.add(new Cmp(t.key(), Cmp.Op.EQUAL, CmpTarget.createRevision(t.createRevision()))));
        cmps.add(keyCmp);
        ByteSequence k = Etcd.bytes(key);
        return Etcd.await(client.getKVClient().txn()
                .If(cmps.toArray(Cmp[]::new))
                .Then(Op.put(k, Etcd.bytes(r.toJson()), PutOption.builder().withLeaseId(lease.getAsLong()).build()))
                .Else(Op.get(k, GetOption.DEFAULT))
                .commit(), requestTimeout, () -> "writing the progress of " + key);
    }

    /** Stops the background thread; queued reports are dropped. */
    void close() {
        executor.shutdownNow();
    }
}
