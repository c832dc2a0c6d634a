package dev.cicd.etcd.internal;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The loop behind {@code ShardMembership}: one thread that holds a lease (an {@link ElectionLease}, kept
 * alive every TTL/4), the runner's membership key on it, a watch of the group's prefix (members and
 * owners), and the ownership keys of the shards {@link ShardAssignment} gives this runner from the live
 * members and the owners it sees. After every change of either it reconciles: a shard assigned here and free is taken with a create-only transaction; a shard held here
 * and assigned elsewhere goes through the listener's {@code revoking} gate and is then deleted with a
 * transaction comparing its create revision. A lease that is lost invalidates every token at once; the
 * loop then starts over with a new lease. Listener calls run on a {@link ShardNotifier}.
 */
public final class ShardLoop {

    private static final Logger LOG = LoggerFactory.getLogger(ShardLoop.class);
    private static final long TICK_MS = 50;

    private final Client client;
    private final ShardKeys keys;
    private final String runnerId;
    private final long ttlSeconds;
    private final Duration requestTimeout;
    private final String memberValue;
    private final ShardNotifier notifier;
    private final ShardOwnerOps ops;
    private final String description;
    private final LinkedBlockingQueue<Object> signals = new LinkedBlockingQueue<>();
    private final ScheduledThreadPoolExecutor keepAlives;
    private final Thread thread;
    private final AtomicBoolean started = new AtomicBoolean();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final ShardCounters counters = new ShardCounters();
    private final ShardOwnership ownership;
    private volatile boolean closed;

    // loop thread only
    private ShardView view;
    private Watch.Watcher watcher;
    private long watchGeneration;
    private boolean closing;
    private long closeDeadline;

    private record Watched(long generation, WatchResponse response) {
    }

    private record WatchFailed(long generation, Throwable error) {
    }

    private record LeaseLost(long lease, String why) {
    }

    private record Released(int shard, long createRevision) {
    }

    private record Close(long deadlineNanos) {
    }

    public ShardLoop(Client client, ShardKeys keys, String runnerId, int shards, Duration ttl, Duration requestTimeout,
            String memberValue, ShardNotifier notifier) {
        this.client = client;
        this.keys = keys;
        this.runnerId = runnerId;
        this.ttlSeconds = Math.max(1, ttl.toSeconds());
        this.requestTimeout = requestTimeout;
        this.memberValue = memberValue;
        this.notifier = notifier;
        this.description = "runner " + runnerId + " of group " + keys.group();
        this.ops = new ShardOwnerOps(client, keys, runnerId, requestTimeout);
        this.ownership = new ShardOwnership(client, keys, runnerId, shards, requestTimeout, memberValue, notifier,
                counters, (shard, rev) -> signals.offer(new Released(shard, rev)));
        this.keepAlives = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "cicd-shards-keepalive-" + runnerId);
            t.setDaemon(true);
            return t;
        });
        this.keepAlives.setRemoveOnCancelPolicy(true);
        this.thread = new Thread(this::run, "cicd-shards-" + runnerId);
        this.thread.setDaemon(true);
    }

    public void start() {
        if (closed) {
            throw new IllegalStateException(description + ": the shard membership was closed");
        }
        if (started.compareAndSet(false, true)) {
            thread.start();
        }
    }

    /** The fencing token of {@code shard} while this runner holds it and its lease is surely alive. */
    public Optional<Fence.Token> token(int shard) {
        return ownership.token(shard);
    }

    /** The shards whose ownership keys this runner holds now. */
    public Set<Integer> owned() {
        return ownership.owned();
    }

    public ShardCounters counters() {
        return counters;
    }

    /**
     * Releases every held shard through the listener's gate, deletes the membership key, revokes the
     * lease; waits at most {@code wait} for all of it (what is left then expires with the lease).
     */
    public void close(Duration wait) {
        closed = true;
        long deadline = System.nanoTime() + wait.toNanos();
        signals.offer(new Close(deadline));
        if (started.get() && Thread.currentThread() != thread) {
            try {
                if (!stopped.await(wait.toMillis() + 2000, TimeUnit.MILLISECONDS)) {
                    LOG.warn("{}: the shard loop did not stop within {} ms", description, wait.toMillis());
                    thread.interrupt();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        keepAlives.shutdownNow();
        notifier.close();
    }

    // ---------------------------------------------------------------- loop

    private void run() {
        MDC.put("runner", runnerId);
        long backoff = 200;
        try {
            while (!closing) {
                try {
                    session();
                    backoff = 200;
                } catch (RuntimeException e) {
                    Throwable cause = Etcd.unwrap(e);
                    if (Etcd.isClientClosed(cause)) {
                        LOG.error("{}: the etcd client was closed; the shard membership stops", description);
                        break;
                    }
                    if (closing) {
                        break;
                    }
                    LOG.warn("{}: shard membership failed ({}); starting over in {} ms", description,
                            Etcd.describe(cause), backoff);
                    Object s = signals.poll(backoff, TimeUnit.MILLISECONDS);
                    if (s instanceof Close) {
                        closing = true;
                    }
                    backoff = Math.min(backoff * 2, 2000);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            closeWatcher();
            stopped.countDown();
        }
    }

    /** One lease: register, watch, reconcile until the lease is lost or the membership closes. */
    private void session() throws InterruptedException {
        ElectionLease session = ElectionLease.grant(client, ttlSeconds, requestTimeout, description, keepAlives,
                (id, why) -> signals.offer(new LeaseLost(id, why)));
        session.start();
        try {
            ops.register(session.id(), memberValue);
            view = new ShardView(keys);
            ownership.begin(session, view);
            load();
            LOG.info("{}: joined with lease {} ({} members)", description, Long.toHexString(session.id()),
                    view.members().size());
            while (true) {
                Object s = signals.poll(TICK_MS, TimeUnit.MILLISECONDS);
                if (s instanceof Close c) {
                    closing = true;
                    closeDeadline = c.deadlineNanos();
                    ownership.beginClose();
                } else if (s instanceof LeaseLost lost && lost.lease() == session.id()) {
                    ownership.loseAll("the lease was lost (" + lost.why() + ")");
                    return;
                } else if (s instanceof Watched w && w.generation() == watchGeneration) {
                    for (WatchEvent e : w.response().getEvents()) {
                        view.apply(e);
                    }
                    ownership.dropLost();
                } else if (s instanceof WatchFailed f && f.generation() == watchGeneration) {
                    watchFailed(f.error());
                } else if (s instanceof Released r) {
                    ownership.released(r.shard(), r.createRevision());
                }
                Optional<String> gone = ownership.leaseGone();
                if (gone.isPresent()) {
                    ownership.loseAll(gone.get());
                    return;
                }
                if (!session.valid()) {
                    ownership.loseAll("the lease was not renewed within its TTL of " + ttlSeconds + " s");
                    return;
                }
                if (closing && (ownership.allReleased() || System.nanoTime() - closeDeadline > 0)) {
                    if (!ownership.allReleased()) {
                        LOG.warn("{}: closing before shards {} were released; they expire with the lease", description,
                                ownership.owned());
                    }
                    return;
                }
                ownership.reconcile();
            }
        } catch (RuntimeException e) {
            ownership.loseAll("the shard membership failed: " + Etcd.describe(Etcd.unwrap(e)));
            throw e;
        } finally {
            closeWatcher();
            ownership.end();
            session.stop();
            session.revokeQuietly();
        }
    }

    private void load() {
        GetResponse r = ops.readAll();
        view.reset(r.getKvs(), r.getHeader().getRevision());
        ownership.dropLost();
        openWatch(view.revision() + 1);
        ownership.reconcile();
    }

    private void openWatch(long from) {
        closeWatcher();
        long gen = ++watchGeneration;
        ByteSequence prefix = Etcd.bytes(keys.prefix());
        watcher = client.getWatchClient().watch(prefix,
                WatchOption.builder().withRevision(from).withRange(Etcd.prefixEnd(prefix)).build(),
                Watch.listener(r -> signals.offer(new Watched(gen, r)), t -> signals.offer(new WatchFailed(gen, t))));
    }

    private void closeWatcher() {
        Watch.Watcher w = watcher;
        watcher = null;
        watchGeneration++;
        if (w != null) {
            try {
                w.close();
            } catch (RuntimeException e) {
                LOG.debug("{}: closing the watch failed: {}", description, e.toString());
            }
        }
    }

    private void watchFailed(Throwable error) throws InterruptedException {
        Throwable cause = Etcd.unwrap(error);
        if (Etcd.isClientClosed(cause)) {
            throw new IllegalStateException("the etcd client was closed", cause);
        }
        closeWatcher();
        if (Etcd.isCompacted(cause)) {
            LOG.info("{}: the watch of {} fell behind a compaction; reading the group again", description, keys.prefix());
            load();
        } else {
            LOG.info("{}: the watch of {} failed ({}); resuming after revision {}", description, keys.prefix(),
                    Etcd.describe(cause), view.revision());
            Thread.sleep(200);
            openWatch(view.revision() + 1);
        }
    }

}
