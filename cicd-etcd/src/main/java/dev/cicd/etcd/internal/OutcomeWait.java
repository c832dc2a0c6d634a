package dev.cicd.etcd.internal;

import dev.cicd.core.CicdException;
import dev.cicd.etcd.ProgressRecord;
import dev.cicd.etcd.PrunedOutcomeException;
import dev.cicd.etcd.PublishResult;
import dev.cicd.etcd.StatusRecord;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Waiting for the status record of one put, for {@link dev.cicd.etcd.TriggerPublisher}: by a watch opened
 * before the put ({@link #aroundPut}) or from the put's revision ({@link #afterPut}), checking twice a second
 * that a runner is alive, and telling each in-progress record of the put on the way.
 */
public final class OutcomeWait {

    private static final Logger LOG = LoggerFactory.getLogger(OutcomeWait.class);
    private static final Object RETRY = new Object();
    private static final long CHECK_EVERY_NANOS = TimeUnit.MILLISECONDS.toNanos(500);

    private final KvTransport kv;
    private final String dir;
    private final Supplier<RunnerLiveness> liveness;

    /** @param liveness a fresh runner-alive check per wait, or null for none */
    public OutcomeWait(KvTransport kv, String statusPrefix, Supplier<RunnerLiveness> liveness) {
        this.kv = kv;
        this.dir = statusPrefix + "/";
        this.liveness = liveness;
    }

    /**
     * Opens the watch from now, then runs {@code put} and waits for the outcome of the revision it returns;
     * what the watch sees before that revision is known is kept. When the watch ends early, the rest of the
     * wait is {@link #afterPut}.
     */
    public PublishResult aroundPut(String key, Duration timeout, LongSupplier put, LongConsumer onPublished,
            Consumer<ProgressRecord> onProgress) {
        long deadline = System.nanoTime() + timeout.toNanos();
        CompletableFuture<Object> result = new CompletableFuture<>();
        // what the watch sees before the put's revision is known waits here; both under the lock, so the
        // progress records are told in order
        Object lock = new Object();
        List<KvTransport.Kv> early = new ArrayList<>();
        long[] revision = {0};
        KvTransport.Watching watching = kv.watchFromNow(dir, new KvTransport.WatchListener() {
            @Override
            public void puts(List<KvTransport.Kv> puts) {
                synchronized (lock) {
                    if (revision[0] == 0) {
                        early.addAll(puts);
                    } else {
                        deliver(puts, key, revision[0], onProgress, result);
                    }
                }
            }

            @Override
            public void ended(KvTransport.End end, Throwable cause) {
                result.complete(end);
            }
        });
        try {
            long rev = put.getAsLong();
            onPublished.accept(rev);
            synchronized (lock) {
                revision[0] = rev;
                deliver(early, key, rev, onProgress, result);
                early.clear();
            }
            Object o = await(result, deadline, liveness.get(), key, rev);
            if (o == null || o instanceof StatusRecord) {
                return outcome(key, rev, o);
            }
            watching.close();
            long left = deadline - System.nanoTime();
            LOG.debug("waiting for the outcome of {}@{}: the watch ended ({}); watching from the put's revision", key,
                    rev, o);
            return left <= 0 ? PublishResult.timedOut(key, rev) : afterPut(key, rev, Duration.ofNanos(left), onProgress);
        } finally {
            watching.close();
        }
    }

    /**
     * Watches from {@code revision} (status records are written after the trigger, so none is missed) until its
     * record comes; when that history was compacted, reads the stored records once and watches on after them.
     *
     * @throws PrunedOutcomeException when the record is gone (pruned, its history compacted) and a later put of
     *                                the key has an outcome already
     */
    public PublishResult afterPut(String key, long revision, Duration timeout, Consumer<ProgressRecord> onProgress) {
        long deadline = System.nanoTime() + timeout.toNanos();
        long from = revision;
        RunnerLiveness alive = liveness.get();
        while (true) {
            CompletableFuture<Object> result = new CompletableFuture<>();
            KvTransport.Watching watching = kv.watch(dir, from, new KvTransport.WatchListener() {
                @Override
                public void puts(List<KvTransport.Kv> puts) {
                    deliver(puts, key, revision, onProgress, result);
                }

                @Override
                public void ended(KvTransport.End end, Throwable cause) {
                    if (end == KvTransport.End.FAILED) {
                        // re-watch from the same revision ourselves: jetcd's own resume may skip
                        // records written before its watch was created but not yet received
                        LOG.debug("waiting for the outcome of {}@{}: watch failed ({}); watching again", key,
                                revision, cause.toString());
                        result.complete(RETRY);
                    } else {
                        result.complete(end);
                    }
                }
            });
            try {
                Object o = await(result, deadline, alive, key, revision);
                if (o == null || o instanceof StatusRecord) {
                    return outcome(key, revision, o);
                }
                if (o == RETRY) {
                    watching.close();
                    sleep(Math.min(200, Math.max(0, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()))), key,
                            revision);
                    if (System.nanoTime() - deadline >= 0) {
                        return PublishResult.timedOut(key, revision);
                    }
                    continue;
                }
                if (o == KvTransport.End.COMPACTED) {
                    KvTransport.Range stored = kv.get(dir);
                    Optional<StatusRecord> newer = Optional.empty();
                    String suffix = "/" + revision;
                    for (KvTransport.Kv e : stored.kvs()) {
                        Optional<StatusRecord> r = StatusMatch.match(e, key, revision, suffix);
                        if (r.isPresent()) {
                            return PublishResult.completed(r.get());
                        }
                        newer = StatusMatch.newer(e, key, revision, newer);
                    }
                    if (newer.isPresent()) {
                        // its own record was pruned: waiting for it would only run into the timeout
                        throw new PrunedOutcomeException(key, revision, newer.get());
                    }
                    from = stored.revision() + 1;
                    continue;
                }
                throw new CicdException(CicdException.Code.SOURCE, "waiting for the outcome of " + key + " at revision "
                        + revision + ": the connection to " + kv.describe() + " was closed");
            } finally {
                watching.close();
            }
        }
    }

    private static PublishResult outcome(String key, long revision, Object o) {
        return o instanceof StatusRecord r ? PublishResult.completed(r) : PublishResult.timedOut(key, revision);
    }

    private static void deliver(List<KvTransport.Kv> puts, String key, long revision, Consumer<ProgressRecord> onProgress,
            CompletableFuture<Object> result) {
        String suffix = "/" + revision;
        for (KvTransport.Kv e : puts) {
            StatusMatch.progress(e, key, revision, suffix).ifPresent(p -> tell(onProgress, p));
            StatusMatch.match(e, key, revision, suffix).ifPresent(result::complete);
        }
    }

    private static void tell(Consumer<ProgressRecord> onProgress, ProgressRecord p) {
        try {
            onProgress.accept(p);
        } catch (RuntimeException e) {
            LOG.debug("progress listener failed: {}", e.toString());
        }
    }

    /**
     * What completes {@code result} before the deadline, checking every half second that a runner is alive;
     * null when the deadline passes first.
     */
    private static Object await(CompletableFuture<Object> result, long deadline, RunnerLiveness liveness, String key,
            long revision) {
        try {
            while (true) {
                if (liveness != null) {
                    liveness.check();
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return null;
                }
                try {
                    return result.get(liveness == null ? left : Math.min(left, CHECK_EVERY_NANOS), TimeUnit.NANOSECONDS);
                } catch (TimeoutException e) {
                    // check the runner again, or give up at the deadline
                }
            }
        } catch (InterruptedException e) {
            throw CicdException.interrupted("waiting for the outcome of " + key + " at revision " + revision, e);
        } catch (ExecutionException e) {
            throw new CicdException(CicdException.Code.INTERNAL, "waiting for the outcome of " + key, e.getCause());
        }
    }

    private static void sleep(long ms, String key, long revision) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            throw CicdException.interrupted("waiting for the outcome of " + key + " at revision " + revision, e);
        }
    }
}
