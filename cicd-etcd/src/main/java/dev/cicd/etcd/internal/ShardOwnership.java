package dev.cicd.etcd.internal;

import io.etcd.jetcd.Client;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The shards a runner holds and the steps that change them, run on the membership loop's thread after
 * every change of its {@link ShardView}: compute the assignment from the live members and the owners
 * seen (sticky: see {@link ShardAssignment}), take a shard assigned here whose key is free (create-only
 * transaction), send a shard assigned elsewhere through the listener's {@code revoking} gate and then
 * delete its key (transaction comparing its create revision), forget keys that went without a handover.
 * Only {@link #token} and {@link #owned} are called from other threads.
 */
final class ShardOwnership {

    private static final Logger LOG = LoggerFactory.getLogger(ShardOwnership.class);

    /** Called (from any thread) when the listener let go of a shard whose key had {@code createRevision}. */
    interface ReleaseSignal {
        void released(int shard, long createRevision);
    }

    private final Client client;
    private final ShardKeys keys;
    private final String runnerId;
    private final int shards;
    private final Duration requestTimeout;
    private final String memberValue;
    private final String description;
    private final ShardOwnerOps ops;
    private final ShardNotifier notifier;
    private final ShardCounters counters;
    private final ReleaseSignal releaseSignal;
    /** Shard to the create revision of the ownership key this runner holds: the fencing tokens. */
    private final Map<Integer, Long> held = new ConcurrentHashMap<>();
    private volatile ElectionLease lease;

    // loop thread only
    private ShardView view;
    private String[] assigned;
    /** The member set {@link #assigned} was computed for. */
    private Set<String> assignedTo;
    /** The owners {@link #assigned} was computed from. */
    private String[] assignedFrom;
    private final Map<Integer, Long> wantedSince = new HashMap<>();
    private final Set<Integer> releasing = new HashSet<>();
    private final Map<Integer, Long> toDelete = new HashMap<>();
    private boolean closing;
    /** Set when etcd says the session's lease is gone: the session ends and every token is lost. */
    private String leaseGone;

    ShardOwnership(Client client, ShardKeys keys, String runnerId, int shards, Duration requestTimeout,
            String memberValue, ShardNotifier notifier, ShardCounters counters, ReleaseSignal releaseSignal) {
        this.client = client;
        this.keys = keys;
        this.runnerId = runnerId;
        this.shards = shards;
        this.requestTimeout = requestTimeout;
        this.memberValue = memberValue;
        this.description = "runner " + runnerId + " of group " + keys.group();
        this.ops = new ShardOwnerOps(client, keys, runnerId, requestTimeout);
        this.notifier = notifier;
        this.counters = counters;
        this.releaseSignal = releaseSignal;
    }

    /** A new session: {@code lease} holds the membership key, {@code view} is read anew. */
    void begin(ElectionLease lease, ShardView view) {
        this.lease = lease;
        this.view = view;
        this.assigned = null;
        this.assignedTo = null;
        this.assignedFrom = null;
        this.leaseGone = null;
    }

    /** The session ended: no token is valid without a lease. */
    void end() {
        if (!held.isEmpty()) {
            loseAll("the membership is closing before the shards were released");
        }
        lease = null;
    }

    /** The fencing token of {@code shard} while this runner holds it and its lease is surely alive. */
    Optional<Fence.Token> token(int shard) {
        Long rev = held.get(shard);
        ElectionLease l = lease;
        if (rev == null || l == null || !l.valid()) {
            return Optional.empty();
        }
        return Optional.of(new Fence.Token(Etcd.bytes(keys.owner(shard)), rev));
    }

    Set<Integer> owned() {
        return new TreeSet<>(held.keySet());
    }

    /** Why the session's lease is gone, if etcd said so. */
    Optional<String> leaseGone() {
        return Optional.ofNullable(leaseGone);
    }

    /** Whether a closing runner has nothing left to release. */
    boolean allReleased() {
        return held.isEmpty() && toDelete.isEmpty();
    }

    /**
     * Forgets held shards whose keys the view says are gone or replaced, and tells the listener. When
     * keys went because the lease went (expired, revoked), every token is lost at once instead.
     */
    void dropLost() {
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

    void reconcile() {
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
        refreshAssignment(members);
        for (Map.Entry<Integer, Long> d : Map.copyOf(toDelete).entrySet()) {
            delete(d.getKey(), d.getValue());
        }
        List<Integer> free = new ArrayList<>();
        for (int s = 0; s < shards; s++) {
            boolean mine = runnerId.equals(assigned[s]);
            if (mine && !held.containsKey(s) && view.owner(s) == null && leaseGone == null) {
                free.add(s);
            } else if (!mine && held.containsKey(s) && !releasing.contains(s)) {
                long rev = held.get(s);
                releasing.add(s);
                LOG.info("{}: shard {} is assigned to {} now; revoking", description, s, assigned[s]);
                int shard = s;
                notifier.revoking(shard, () -> releaseSignal.released(shard, rev));
            }
        }
        if (!free.isEmpty()) {
            for (ShardOwnerOps.Attempt a : ops.takeAll(free, lease.id())) {
                if (a.failure() != null) {
                    writeFailed(a.failure(), "taking shard " + a.shard());
                } else {
                    took(a.shard(), a.taken());
                }
            }
        }
    }

    /**
     * Recomputes the assignment when the members or the owners changed since the last time. The owners
     * are the view's, except this runner's own: the shards it holds (releasing ones included) are its,
     * and a key the view still shows as its but that it no longer holds (deleted, the event not yet
     * here) counts as free, so its own count is never stale.
     */
    private void refreshAssignment(Set<String> members) {
        String[] owners = new String[shards];
        for (int s = 0; s < shards; s++) {
            ShardView.Owner o = view.owner(s);
            if (held.containsKey(s)) {
                owners[s] = runnerId;
            } else if (o != null && !runnerId.equals(o.runnerId())) {
                owners[s] = o.runnerId();
            }
        }
        if (members.equals(assignedTo) && Arrays.equals(owners, assignedFrom)) {
            return;
        }
        boolean rebalance = assignedTo != null && !members.equals(assignedTo);
        assignedTo = members;
        assignedFrom = owners;
        changeAssignment(ShardAssignment.assign(members, owners, shards), rebalance);
    }

    /** A new owner per shard: counts the rebalance and notes since when each newly won shard is wanted. */
    private void changeAssignment(String[] next, boolean rebalance) {
        if (rebalance) {
            counters.rebalanced();
        }
        if (Arrays.equals(next, assigned)) {
            return;
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

    /** What trying to take {@code shard} found: taken, or held by another (whose key it now knows). */
    private void took(int shard, ShardOwnerOps.Taken t) {
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

    void released(int shard, long createRevision) {
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

    /** Leaving: the membership key goes now (the others rebalance at once); every shard is then released. */
    void beginClose() {
        if (closing) {
            return;
        }
        closing = true;
        try {
            ops.deregister();
        } catch (RuntimeException e) {
            LOG.warn("{}: deleting its membership key failed ({}); the others see it go with the lease", description,
                    Etcd.describe(Etcd.unwrap(e)));
        }
    }

    /** Every token is invalid at once: forget them and tell the listener. */
    void loseAll(String reason) {
        Set<Integer> lost = new TreeSet<>(held.keySet());
        held.clear();
        releasing.clear();
        toDelete.clear();
        wantedSince.clear();
        assigned = null;
        assignedTo = null;
        assignedFrom = null;
        if (!lost.isEmpty()) {
            LOG.warn("{}: lost shards {}: {}", description, lost, reason);
            notifier.lost(lost, reason);
        }
    }
}
