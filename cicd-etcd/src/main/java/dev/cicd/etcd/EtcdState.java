package dev.cicd.etcd;

import dev.cicd.core.CicdException;
import dev.cicd.etcd.internal.Etcd;
import dev.cicd.etcd.internal.Fence;
import dev.cicd.etcd.internal.ShardedState;
import dev.cicd.etcd.internal.StateKeys;
import dev.cicd.etcd.internal.StateOps;
import dev.cicd.etcd.internal.StatusJson;
import dev.cicd.etcd.internal.StatusPruner;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.GetOption;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The durable state of one runner group in etcd, and the one way to build the stores on it.
 *
 * <pre>
 *   EtcdState state = EtcdState.builder(client).group("prod").runnerId("runner-a")
 *           .fence(election).build();
 *   Pipeline.builder().state(state.store())...
 * </pre>
 *
 * Keys (defaults): {@code /cicd/.state/<group>/checkpoint/<watch>},
 * {@code /cicd/.state/<group>/recorded/<watch>/<revision>}, {@code /cicd/.state/<group>/applied/<target>},
 * {@code /cicd/.status/<watch>/<revision>} (lease, 7 days), {@code /cicd/.status/<watch>/latest},
 * {@code /cicd/.status/<watch>/notice}.
 *
 * <p>What grows with the number of events is only the per-revision status records: the writing runner
 * keeps the newest {@linkplain Builder#statusMaxPerWatch(int) 1000 per watch} (a background round after
 * commits, never above the checkpoint) and their lease removes them after the {@linkplain Builder#statusTtl
 * status TTL}. The rest is one key per watch (checkpoint, {@code latest}, {@code notice}), one per target
 * (fingerprint) and the marks of events recorded above the checkpoint (removed when it passes them).
 */
public final class EtcdState {

    /** Parent of the default state prefix: {@code /cicd/.state} (the prefix is {@code /cicd/.state/<group>}). */
    public static final String DEFAULT_STATE_ROOT = "/cicd/.state";
    /** Default status prefix: {@code /cicd/.status}. */
    public static final String DEFAULT_STATUS_PREFIX = "/cicd/.status";
    /** Default group: {@code default}. */
    public static final String DEFAULT_GROUP = "default";
    /** Default lifetime of per-revision status records: 7 days. */
    public static final Duration DEFAULT_STATUS_TTL = Duration.ofDays(7);
    /** Default number of per-revision status records kept per watch: 1000. */
    public static final int DEFAULT_STATUS_MAX_PER_WATCH = 1000;

    private final StateOps ops;
    private final Client client;
    private final Duration requestTimeout;
    private final EtcdStateStore store;
    private final StatusPruner pruner;
    private final ShardMembership membership;
    private final int maxTxnOps;

    private EtcdState(Builder b) {
        String statePrefix = b.statePrefix != null ? b.statePrefix : DEFAULT_STATE_ROOT + "/" + b.group;
        String runnerId = b.runnerId != null ? b.runnerId : defaultRunnerId();
        this.client = b.client;
        this.requestTimeout = b.requestTimeout;
        StateKeys keys = new StateKeys(statePrefix, b.statusPrefix);
        Fence fence = b.fence == null ? null : b.fence.fence();
        this.membership = b.membership;
        this.maxTxnOps = b.maxTxnOps;
        this.pruner = new StatusPruner(b.client, keys, b.statusMaxPerWatch, b.maxTxnOps, fence, b.requestTimeout,
                b.pruneDelay, membership == null ? 0 : membership.shards());
        this.ops = new StateOps(b.client, b.group, keys, runnerId, b.statusTtl, b.requestTimeout, b.retryFor, fence,
                b.clock, pruner, b.maxTxnOps);
        this.store = membership == null ? new EtcdStateStore(ops, b.maxTxnOps, null) : null;
    }

    public static Builder builder(Client client) {
        return new Builder(client);
    }

    /**
     * The group's state store: give it to a pipeline with {@code Pipeline.builder().state(..)}.
     *
     * @throws IllegalStateException for a sharded group's state (use {@link #store(Set)})
     */
    public EtcdStateStore store() {
        if (store == null) {
            throw new IllegalStateException("the state of sharded group " + group() + " has a store per set of shards: "
                    + "use store(shards)");
        }
        return store;
    }

    /**
     * Of a sharded group: makes sure each watch has its origin (where shards without a checkpoint start),
     * writing it when missing. Call before joining the group, so that a value put once this runner is up is
     * never below the origin.
     *
     * @throws CicdException {@code SOURCE} when etcd cannot be read or written
     */
    public void prepareShards(java.util.Collection<String> watches) {
        if (membership == null) {
            throw new IllegalStateException("the state of group " + group() + " is not sharded");
        }
        watches.forEach(w -> ShardedState.ensureOrigin(ops, w));
    }

    /**
     * The store of one pipeline of a sharded group ({@link Builder#shards}), carrying out the events of
     * {@code shards} (those the membership holds as the pipeline starts; when they change, build a new
     * pipeline with a new store). Its writes compare the ownership keys of the shards they touch.
     *
     * @throws IllegalStateException when the state was built without a membership
     */
    public EtcdStateStore store(Set<Integer> shards) {
        if (membership == null) {
            throw new IllegalStateException("the state of group " + group() + " is not sharded: use store()");
        }
        return new EtcdStateStore(ops, maxTxnOps, new ShardedState(ops, membership.shards(), shards, membership::token));
    }

    public String group() {
        return ops.group();
    }

    /** The state prefix, without trailing '/'. */
    public String statePrefix() {
        return ops.keys().statePrefix();
    }

    /** The status prefix, without trailing '/'. */
    public String statusPrefix() {
        return ops.keys().statusPrefix();
    }

    public String runnerId() {
        return ops.runnerId();
    }

    /** Per-revision status records this runner deleted so far to keep the newest per watch. */
    public long prunedStatusRecords() {
        return pruner.pruned();
    }

    /**
     * Runs one prune round for {@code watch} now, on the calling thread (the runner does this by itself in
     * the background after commits): deletes the oldest-written per-revision records over the limit, at or
     * below the checkpoint, at most 1024.
     *
     * @return how many records were deleted
     * @throws NotLeaderException when fenced and this runner does not lead
     */
    public int pruneStatus(String watch) {
        return pruner.round(watch).deleted();
    }

    /**
     * The status record of one event, if it was recorded (and has not expired); empty while its action
     * runs (see {@link #progress}).
     */
    public Optional<StatusRecord> status(String watch, long revision) {
        return read(ops.keys().status(watch, revision));
    }

    /** The in-progress record of one event whose action runs now (or ran, when its runner died). */
    public Optional<ProgressRecord> progress(String watch, long revision) {
        return value(ops.keys().status(watch, revision)).filter(ProgressRecord::isProgress).map(ProgressRecord::fromJson);
    }

    /** The newest status record of a watch. */
    public Optional<StatusRecord> latest(String watch) {
        return read(ops.keys().latest(watch));
    }

    /** The status records of a watch still stored, oldest first, at most {@code limit} (the newest ones). */
    public List<StatusRecord> history(String watch, int limit) {
        if (limit <= 0) {
            throw new IllegalArgumentException("limit must be > 0, was " + limit);
        }
        var dir = Etcd.bytes(ops.keys().statusPrefix() + "/" + watch + "/");
        GetResponse r = Etcd.await(client.getKVClient().get(dir, GetOption.builder().isPrefix(true).build()),
                requestTimeout, () -> "reading the status history of watch " + watch);
        List<StatusRecord> out = new ArrayList<>();
        for (KeyValue kv : r.getKvs()) {
            String key = Etcd.text(kv.getKey());
            String last = key.substring(key.lastIndexOf('/') + 1);
            if (!last.chars().allMatch(Character::isDigit) || last.isEmpty()) {
                continue;
            }
            try {
                out.add(StatusRecord.fromJson(Etcd.text(kv.getValue())));
            } catch (IllegalArgumentException e) {
                // not one of ours: skip
            }
        }
        out.sort(Comparator.comparingLong(StatusRecord::revision));
        return out.size() <= limit ? out : List.copyOf(out.subList(out.size() - limit, out.size()));
    }

    private Optional<StatusRecord> read(String key) {
        return value(key).filter(v -> !ProgressRecord.isProgress(v)).map(StatusJson::read);
    }

    private Optional<String> value(String key) {
        GetResponse r = Etcd.await(client.getKVClient().get(Etcd.bytes(key)), requestTimeout,
                () -> "reading status record " + key);
        return r.getKvs().isEmpty() ? Optional.empty() : Optional.of(Etcd.text(r.getKvs().get(0).getValue()));
    }

    /** Host name and process id, e.g. {@code build-7-12345}. */
    static String defaultRunnerId() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            host = "runner";
        }
        return host + "-" + ProcessHandle.current().pid();
    }

    public static final class Builder {
        private final Client client;
        private String group = DEFAULT_GROUP;
        private String statePrefix;
        private String statusPrefix = DEFAULT_STATUS_PREFIX;
        private String runnerId;
        private Duration statusTtl = DEFAULT_STATUS_TTL;
        private int statusMaxPerWatch = DEFAULT_STATUS_MAX_PER_WATCH;
        private Duration pruneDelay = Duration.ofSeconds(2);
        private Duration requestTimeout = Duration.ofSeconds(5);
        private Duration retryFor = Duration.ofSeconds(30);
        private LeaderElection fence;
        private ShardMembership membership;
        private int maxTxnOps = 128;
        private Clock clock = Clock.systemUTC();

        private Builder(Client client) {
            this.client = Objects.requireNonNull(client, "client");
        }

        /** The runner group; {@code default} by default. Part of the default state prefix. */
        public Builder group(String group) {
            this.group = LeaderElection.checkGroup(group);
            return this;
        }

        /** Where checkpoints and fingerprints live; {@code /cicd/.state/<group>} by default. */
        public Builder statePrefix(String prefix) {
            this.statePrefix = Etcd.normalizePrefix(prefix, "state prefix");
            return this;
        }

        /** Where status records live; {@code /cicd/.status} by default. */
        public Builder statusPrefix(String prefix) {
            this.statusPrefix = Etcd.normalizePrefix(prefix, "status prefix");
            return this;
        }

        /** This runner's id in status records; host name and process id by default. */
        public Builder runnerId(String runnerId) {
            if (runnerId == null || runnerId.isBlank()) {
                throw new IllegalArgumentException("runner id must not be blank, was '" + runnerId + "'");
            }
            this.runnerId = runnerId.strip();
            return this;
        }

        /**
         * How long per-revision status records are kept: a lease shared by the records of a tenth of it (at
         * most an hour), so each is deleted by etcd between TTL - that window and TTL after it was written,
         * even while no runner runs; 7 days by default, at least 10 s.
         */
        public Builder statusTtl(Duration ttl) {
            Objects.requireNonNull(ttl, "statusTtl");
            if (ttl.compareTo(Duration.ofSeconds(10)) < 0) {
                throw new IllegalArgumentException("status TTL must be at least 10 s, was " + ttl);
            }
            this.statusTtl = ttl;
            return this;
        }

        /**
         * How many per-revision status records are kept per watch (the newest written); 1000 by default,
         * at least 1. The oldest over it are deleted in the background after commits, except those above
         * the watch's checkpoint (an event in flight keeps its record).
         */
        public Builder statusMaxPerWatch(int max) {
            if (max < 1) {
                throw new IllegalArgumentException("statusMaxPerWatch must be >= 1, was " + max);
            }
            this.statusMaxPerWatch = max;
            return this;
        }

        /** How long after a commit its watch's prune round runs (commits meanwhile share it); 2 s by default. */
        public Builder pruneDelay(Duration delay) {
            Objects.requireNonNull(delay, "pruneDelay");
            if (delay.isNegative()) {
                throw new IllegalArgumentException("pruneDelay must be >= 0, was " + delay);
            }
            this.pruneDelay = delay;
            return this;
        }

        /** How long one etcd request may take; 5 s by default. */
        public Builder requestTimeout(Duration timeout) {
            this.requestTimeout = EtcdTriggerSource.positive(timeout, "requestTimeout");
            return this;
        }

        /**
         * How long a state read or write keeps retrying while etcd is unreachable (restarting, no raft
         * leader) before it fails; 30 s by default. A refused fence is never retried.
         */
        public Builder retryFor(Duration budget) {
            Objects.requireNonNull(budget, "retryFor");
            if (budget.isNegative()) {
                throw new IllegalArgumentException("retryFor must be >= 0, was " + budget);
            }
            this.retryFor = budget;
            return this;
        }

        /**
         * Makes every write a transaction that requires {@code election}'s leader key to be still ours; a
         * write by a runner that is not (or no longer) the leader throws {@link NotLeaderException}.
         */
        public Builder fence(LeaderElection election) {
            this.fence = Objects.requireNonNull(election, "election");
            return this;
        }

        /**
         * Makes the state a sharded group's: positions per shard, each pipeline's store from {@link
         * #store(Set)}, writes fenced by the ownership keys of {@code membership}. Excludes {@link #fence}.
         */
        public Builder shards(ShardMembership membership) {
            this.membership = Objects.requireNonNull(membership, "membership");
            return this;
        }

        /**
         * The most operations one transaction may hold: etcd's {@code --max-txn-ops} (128 by default).
         * The pipeline sizes its batches of outcomes by it.
         */
        public Builder maxTxnOps(int maxTxnOps) {
            if (maxTxnOps < 8) {
                throw new IllegalArgumentException("maxTxnOps must be >= 8, was " + maxTxnOps);
            }
            this.maxTxnOps = maxTxnOps;
            return this;
        }

        /** The clock for the time stamps this state writes itself (applied-at, notices). */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        public EtcdState build() {
            if (fence != null && membership != null) {
                throw new IllegalStateException("a state is fenced by a leader election or by shard ownership, not both");
            }
            return new EtcdState(this);
        }
    }
}
