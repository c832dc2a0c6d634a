package dev.cicd.etcd;

import dev.cicd.core.CicdException;
import dev.cicd.etcd.internal.Etcd;
import dev.cicd.etcd.internal.Fence;
import dev.cicd.etcd.internal.ShardAssignment;
import dev.cicd.etcd.internal.ShardCounters;
import dev.cicd.etcd.internal.ShardKeys;
import dev.cicd.etcd.internal.ShardLoop;
import dev.cicd.etcd.internal.ShardNotifier;
import io.etcd.jetcd.Client;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The runners of a group share its shards through etcd; this is one runner's part. A group has a fixed
 * number of shards (64 by default, stored at {@code <root>/<group>/config} by the first runner; a runner
 * configured with another count refuses to start). Each runner holds a membership key
 * {@code <root>/<group>/members/<runnerId>} on a lease of its own (TTL 10 s by default, kept alive every
 * TTL/4) and watches the group. Every runner computes the same assignment of shards from the live members
 * and the current owners it sees (sticky, exactly balanced rendezvous hashing: a join moves only the
 * joiner's ⌊S/(N+1)⌋ shards, a leave only the leaver's; see {@code dev.cicd.etcd.internal.ShardAssignment})
 * and takes the shards
 * assigned to it by creating {@code <root>/<group>/owners/<shard>} on its lease, only when that key does
 * not exist. The ownership key's create revision is the shard's fencing token ({@link #token}): a state
 * write of the shard made in a transaction that compares it fails once the shard has moved on.
 *
 * <p>When the members change, a runner gives up a shard assigned elsewhere only after its listener's
 * {@link ShardListener#revoking} completes (the in-flight event committed or interrupted), by deleting its
 * own key; the new owner, waiting for that delete, takes it then. A runner that dies keeps its shards
 * until its lease expires (TTL); a runner that closes releases them at once. A runner that loses its
 * lease loses every token at once ({@link ShardListener#lost}) and joins again with a new lease.
 */
public final class ShardMembership implements AutoCloseable {

    /** Default parent of the groups' shard keys: {@code /cicd/.shards}. */
    public static final String DEFAULT_ROOT = "/cicd/.shards";
    /** Default number of shards of a group: 64. */
    public static final int DEFAULT_SHARDS = 64;
    /** Default lease TTL: 10 s. */
    public static final Duration DEFAULT_TTL = Duration.ofSeconds(10);

    private final Client client;
    private final ShardKeys keys;
    private final String runnerId;
    private final int shards;
    private final Duration ttl;
    private final Duration requestTimeout;
    private final Duration closeTimeout;
    private final ShardLoop loop;
    private final AtomicBoolean started = new AtomicBoolean();

    /**
     * What a runner's membership counts, for its metrics.
     *
     * @param rebalances   how many times the group's live members changed while this runner was a member
     *                     (each change rebalances the shards)
     * @param lastHandover for the last shard taken: from its assignment to this runner to holding its key
     * @param owned        how many shards this runner owns now
     */
    public record Stats(long rebalances, Optional<Duration> lastHandover, int owned) {
    }

    private ShardMembership(Builder b) {
        this.client = b.client;
        this.keys = new ShardKeys(b.root, b.group);
        this.runnerId = b.runnerId == null ? EtcdState.defaultRunnerId() : b.runnerId;
        this.shards = b.shards;
        this.ttl = b.ttl;
        this.requestTimeout = b.requestTimeout;
        this.closeTimeout = b.closeTimeout;
        String description = "runner " + runnerId + " of group " + b.group;
        String memberValue = ShardKeys.memberValue(runnerId, hostName(), ProcessHandle.current().pid(), Instant.now());
        this.loop = new ShardLoop(client, keys, runnerId, shards, ttl, requestTimeout, memberValue,
                new ShardNotifier(b.listener, runnerId, description));
    }

    public static Builder builder(Client client) {
        return new Builder(client);
    }

    /**
     * Checks the group's shard count and joins the group in the background.
     *
     * @throws CicdException {@link CicdException.Code#CONFIG} when the group was created with another
     *                       shard count (the message names both and the key); {@code SOURCE} when etcd fails
     */
    public ShardMembership start() {
        if (started.compareAndSet(false, true)) {
            keys.checkConfig(client, shards, requestTimeout);
            loop.start();
        }
        return this;
    }

    /**
     * The fencing token of {@code shard}: its ownership key and that key's create revision, while this
     * runner holds the key and its lease is surely alive; empty otherwise.
     */
    public Optional<Fence.Token> token(int shard) {
        return loop.token(shard);
    }

    /** The shards this runner holds now. */
    public Set<Integer> owned() {
        return loop.owned();
    }

    /** Counters for metrics: rebalances, last handover time, shards owned. */
    public Stats stats() {
        ShardCounters c = loop.counters();
        return new Stats(c.rebalances(), c.lastHandover(), loop.owned().size());
    }

    public String group() {
        return keys.group();
    }

    public String runnerId() {
        return runnerId;
    }

    public int shards() {
        return shards;
    }

    public Duration ttl() {
        return ttl;
    }

    /**
     * Leaves the group: deletes the membership key (the others rebalance at once), releases every owned
     * shard through {@link ShardListener#revoking} like a rebalance, then revokes the lease. Waits at
     * most the close timeout; shards not released by then expire with the lease.
     */
    @Override
    public void close() {
        loop.close(closeTimeout);
    }

    /** The shard of {@code target} in a group of {@code shards} shards: a stable hash of its UTF-8. */
    public static int shardOf(String target, int shards) {
        return ShardAssignment.shardOf(target, shards);
    }

    /** The group's shards as etcd has them now, under the default root. */
    public static ShardSnapshot snapshot(Client client, String group) {
        return snapshot(client, group, DEFAULT_ROOT);
    }

    /** The group's shards as etcd has them now: count, live members, owner of each shard. Read-only. */
    public static ShardSnapshot snapshot(Client client, String group, String root) {
        Objects.requireNonNull(client, "client");
        return new ShardKeys(Etcd.normalizePrefix(root, "shard root"), LeaderElection.checkGroup(group))
                .snapshot(client, Duration.ofSeconds(5));
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "unknown";
        }
    }

    /** Options of a membership. */
    public static final class Builder {
        private final Client client;
        private String group = EtcdState.DEFAULT_GROUP;
        private String root = DEFAULT_ROOT;
        private String runnerId;
        private int shards = DEFAULT_SHARDS;
        private Duration ttl = DEFAULT_TTL;
        private Duration requestTimeout = Duration.ofSeconds(5);
        private Duration closeTimeout = Duration.ofSeconds(30);
        private ShardListener listener = new ShardListener() {
            @Override
            public void assigned(int shard, Fence.Token token) {
            }

            @Override
            public java.util.concurrent.CompletionStage<Void> revoking(int shard) {
                return java.util.concurrent.CompletableFuture.completedFuture(null);
            }

            @Override
            public void lost(Set<Integer> lost, String reason) {
            }
        };

        private Builder(Client client) {
            this.client = Objects.requireNonNull(client, "client");
        }

        /** The runner group; {@code default} by default. Same rules as {@link LeaderElection.Builder#group}. */
        public Builder group(String group) {
            this.group = LeaderElection.checkGroup(group);
            return this;
        }

        /** Parent of the groups' shard keys; {@code /cicd/.shards} by default. */
        public Builder keyRoot(String root) {
            this.root = Etcd.normalizePrefix(root, "shard key root");
            return this;
        }

        /** This runner's id (its membership key's name); host name and process id by default. */
        public Builder runnerId(String id) {
            if (id == null || id.isBlank() || id.strip().contains("/")) {
                throw new IllegalArgumentException("runner id must be non-blank and contain no '/', was '" + id + "'");
            }
            this.runnerId = id.strip();
            return this;
        }

        /** The group's shard count, 1..4096, fixed for the group's life; 64 by default. */
        public Builder shards(int shards) {
            this.shards = ShardAssignment.checkShards(shards);
            return this;
        }

        /** Lease TTL: how long a crashed runner keeps its shards; whole seconds, >= 2 s; 10 s by default. */
        public Builder ttl(Duration ttl) {
            Objects.requireNonNull(ttl, "ttl");
            if (ttl.compareTo(Duration.ofSeconds(2)) < 0 || ttl.toMillis() % 1000 != 0) {
                throw new IllegalArgumentException("shard lease ttl must be whole seconds and at least 2 s, was " + ttl);
            }
            this.ttl = ttl;
            return this;
        }

        /** How long one etcd request may take; 5 s by default. */
        public Builder requestTimeout(Duration timeout) {
            this.requestTimeout = EtcdTriggerSource.positive(timeout, "requestTimeout");
            return this;
        }

        /** How long {@link #close} waits for the shards to be released; 30 s by default. */
        public Builder closeTimeout(Duration timeout) {
            this.closeTimeout = EtcdTriggerSource.positive(timeout, "closeTimeout");
            return this;
        }

        /** Told when shards are assigned, revoked and lost; by default nothing is told. */
        public Builder listener(ShardListener listener) {
            this.listener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        public ShardMembership build() {
            return new ShardMembership(this);
        }
    }
}
