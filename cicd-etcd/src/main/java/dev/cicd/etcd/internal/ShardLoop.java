package dev.cicd.etcd.internal;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
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
 * alive every TTL/4), the runner's membership key on it, a watch of the group's prefix, and the
 * ownership keys of the shards {@link ShardAssignment} gives this runner. After every change it
 * reconciles: a shard assigned here and free is taken with a create-only transaction; a shard held here
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
    private final int shards;
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
    /** Shard to the create revision of the ownership key this runner holds: the fencing tokens. */
    private final Map<Integer, Long> held = new ConcurrentHashMap<>();
    private final ShardCounters counters = new ShardCounters();
    private volatile ElectionLease lease;
    private volatile boolean closed;

    // loop thread only
    private ShardView view;
    private String[] assigned;
    private final Map<Integer, Long> wantedSince = new HashMap<>();
    private final Set<Integer> releasing = new HashSet<>();
    private final Map<Integer, Long> toDelete = new HashMap<>();
    private Watch.Watcher watcher;
    private long watchGeneration;
    private boolean closing;
    private long closeDeadline;
    /** Set when etcd says the session's lease is gone: the session ends and every token is lost. */
    private String leaseGone;

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
        this.shards = shards;
        this.ttlSeconds = Math.max(1, ttl.toSeconds());
        this.requestTimeout = requestTimeout;
        this.memberValue = memberValue;
        this.notifier = notifier;
        this.description = "runner " + runnerId + " of group " + keys.group();
        this.ops = new ShardOwnerOps(client, keys, runnerId, requestTimeout);
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
        Long rev = held.get(shard);
        ElectionLease l = lease;
        if (rev == null || l == null || !l.valid()) {
            return Optional.empty();
        }
        return Optional.of(new Fence.Token(Etcd.bytes(keys.owner(shard)), rev));
    }

    /** The shards whose ownership keys this runner holds now. */
    public Set<Integer> owned() {
        return new TreeSet<>(held.keySet());
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
        lease = session;
        session.start();
        try {
            ops.register(session.id(), memberValue);
            view = new ShardView(keys);
            assigned = null;
            leaseGone = null;
            load();
            LOG.info("{}: joined with lease {} ({} members)", description, Long.toHexString(session.id()),
                    view.members().size());
            while (true) {
                Object s = signals.poll(TICK_MS, TimeUnit.MILLISECONDS);
                if (s instanceof Close c) {
                    beginClose(c.deadlineNanos());
                } else if (s instanceof LeaseLost lost && lost.lease() == session.id()) {
                    loseAll("the lease was lost (" + lost.why() + ")");
                    return;
                } else if (s instanceof Watched w && w.generation() == watchGeneration) {
                    for (WatchEvent e : w.response().getEvents()) {
                        view.apply(e);
                    }
                    dropLost();
                } else if (s instanceof WatchFailed f && f.generation() == watchGeneration) {
                    watchFailed(f.error());
                } else if (s instanceof Released r) {
                    released(r.shard(), r.createRevision());
                }
                if (leaseGone != null) {
                    loseAll(leaseGone);
                    return;
                }
                if (!session.valid()) {
                    loseAll("the lease was not renewed within its TTL of " + ttlSeconds + " s");
                    return;
                }
                if (closing && (held.isEmpty() && toDelete.isEmpty() || System.nanoTime() - closeDeadline > 0)) {
                    if (!held.isEmpty()) {
                        LOG.warn("{}: closing before shards {} were released; they expire with the lease", description,
                                held.keySet());
                    }
                    return;
                }
                reconcile();
            }
        } catch (RuntimeException e) {
            loseAll("the shard membership failed: " + Etcd.describe(Etcd.unwrap(e)));
            throw e;
        } finally {
            closeWatcher();
            if (!held.isEmpty()) {
                loseAll("the membership is closing before the shards were released");
            }
            session.stop();
            session.revokeQuietly();
            lease = null;
        }
    }

    private void load() {
        GetResponse r = ops.readAll();
        view.reset(r.getKvs(), r.getHeader().getRevision());
        dropLost();
        openWatch(view.revision() + 1);
        reconcile();
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

    /**
     * Forgets held shards whose keys the view says are gone or replaced, and tells the listener. When
     * keys went because the lease went (expired, revoked), every token is lost at once instead.
     */
    private void dropLost() {
        var lost = view.lostFrom(held);
        if (lost.isEmpty() || leaseGone != null) {
            return;
        }
        if (!leaseAlive()) {
            leaseGone = "the lease " + Long.toHexString(lease.id()) + " is gone (expired or revoked)";
            return;
        }
        for (ShardView.Change c : lost) {
            if (held.remove(c.shard(), c.createRevision())) {
                releasing.remove(c.shard());
                LOG.warn("{}: lost shard {}: {}", description, c.shard(), c.what());
                notifier.lost(Set.of(c.shard()), c.what());
            }
        }
    }

    /** Whether etcd still knows the session's lease; a failed question counts as yes (keep-alives decide). */
    private boolean leaseAlive() {
        try {
            return Etcd.await(client.getLeaseClient().timeToLive(lease.id(), io.etcd.jetcd.options.LeaseOption.DEFAULT),
                    requestTimeout, () -> description + ": asking for lease " + Long.toHexString(lease.id())).getTTL() > 0;
        } catch (RuntimeException e) {
            if (Etcd.isClientClosed(Etcd.unwrap(e))) {
                throw e;
            }
            return true;
        }
    }

    /** Handles a failed write: a lost lease ends the session, a closed client the loop; others are retried. */
    private void writeFailed(RuntimeException e, String what) {
        Throwable cause = Etcd.unwrap(e);
        if (Etcd.isClientClosed(cause)) {
            throw e;
        }
        if (Etcd.isLeaseNotFound(cause)) {
            leaseGone = "etcd does not know the lease " + Long.toHexString(lease.id()) + " any more";
        } else {
            LOG.warn("{}: {} failed ({}); retrying", description, what, Etcd.describe(cause));
        }
    }

    private void reconcile() {
        if (leaseGone != null) {
            return;
        }
        if (!closing && !view.members().contains(runnerId)) {
            LOG.warn("{}: its membership key {} is gone; writing it again", description, keys.member(runnerId));
            try {
                ops.register(lease.id(), memberValue);
            } catch (RuntimeException e) {
                writeFailed(e, "writing its membership key");
                return;
            }
        }
        Set<String> members = new TreeSet<>(view.members());
        if (closing) {
            members.remove(runnerId);
        } else {
            members.add(runnerId);
        }
        String[] next = ShardAssignment.assign(members, shards);
        if (!Arrays.equals(next, assigned)) {
            if (assigned != null) {
                counters.rebalanced();
            }
            long now = System.nanoTime();
            for (int s = 0; s < shards; s++) {
                boolean mine = runnerId.equals(next[s]);
                if (mine && (assigned == null || !runnerId.equals(assigned[s]))) {
                    wantedSince.put(s, now);
                } else if (!mine) {
                    wantedSince.remove(s);
                }
            }
            assigned = next;
        }
        for (Map.Entry<Integer, Long> d : Map.copyOf(toDelete).entrySet()) {
            delete(d.getKey(), d.getValue());
        }
        for (int s = 0; s < shards; s++) {
            boolean mine = runnerId.equals(assigned[s]);
            if (mine && !held.containsKey(s) && view.owner(s) == null && leaseGone == null) {
                take(s);
            } else if (!mine && held.containsKey(s) && !releasing.contains(s)) {
                long rev = held.get(s);
                releasing.add(s);
                LOG.info("{}: shard {} is assigned to {} now; revoking", description, s, assigned[s]);
                int shard = s;
                notifier.revoking(shard, () -> signals.offer(new Released(shard, rev)));
            }
        }
    }

    private void take(int shard) {
        ShardOwnerOps.Taken t;
        try {
            t = ops.take(shard, lease.id());
        } catch (RuntimeException e) {
            writeFailed(e, "taking shard " + shard);
            return;
        }
        if (t.created()) {
            held.put(shard, t.createRevision());
            view.created(shard, runnerId, t.createRevision());
            Long since = wantedSince.remove(shard);
            if (since != null) {
                counters.handedOver(System.nanoTime() - since);
            }
            LOG.info("{}: took shard {} (ownership key created at revision {})", description, shard, t.createRevision());
            notifier.assigned(shard, new Fence.Token(Etcd.bytes(keys.owner(shard)), t.createRevision()));
        } else {
            t.existing().ifPresent(o -> view.created(shard, o.runnerId(), o.createRevision()));
            LOG.debug("{}: shard {} is still held by {}; waiting for its key to go", description, shard,
                    t.existing().map(ShardView.Owner::runnerId).orElse("?"));
        }
    }

    private void released(int shard, long createRevision) {
        releasing.remove(shard);
        Long rev = held.get(shard);
        if (rev == null || rev != createRevision) {
            return; // lost meanwhile
        }
        if (!closing && runnerId.equals(assigned[shard])) {
            LOG.info("{}: shard {} is assigned here again; keeping it", description, shard);
            notifier.assigned(shard, new Fence.Token(Etcd.bytes(keys.owner(shard)), rev));
            return;
        }
        held.remove(shard);
        delete(shard, createRevision);
    }

    private void delete(int shard, long createRevision) {
        try {
            boolean deleted = ops.release(shard, createRevision);
            toDelete.remove(shard);
            LOG.info("{}: released shard {}{}", description, shard, deleted ? "" : " (its key was already gone)");
        } catch (RuntimeException e) {
            if (Etcd.isClientClosed(Etcd.unwrap(e))) {
                throw e;
            }
            toDelete.put(shard, createRevision);
            LOG.warn("{}: deleting the ownership key of shard {} failed ({}); retrying", description, shard,
                    Etcd.describe(Etcd.unwrap(e)));
        }
    }

    private void beginClose(long deadline) {
        if (closing) {
            return;
        }
        closing = true;
        closeDeadline = deadline;
        try {
            ops.deregister();
        } catch (RuntimeException e) {
            LOG.warn("{}: deleting its membership key failed ({}); the others see it go with the lease", description,
                    Etcd.describe(Etcd.unwrap(e)));
        }
    }

    /** Every token is invalid at once: forget them and tell the listener. */
    private void loseAll(String reason) {
        Set<Integer> lost = new TreeSet<>(held.keySet());
        held.clear();
        releasing.clear();
        toDelete.clear();
        wantedSince.clear();
        assigned = null;
        if (!lost.isEmpty()) {
            LOG.warn("{}: lost shards {}: {}", description, lost, reason);
            notifier.lost(lost, reason);
        }
    }
}
