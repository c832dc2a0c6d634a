package dev.cicd.etcd;

import dev.cicd.core.Action;
import dev.cicd.core.ActionResult;
import dev.cicd.etcd.internal.Checks;
import dev.cicd.etcd.internal.ElectionLoop;
import dev.cicd.etcd.internal.Etcd;
import dev.cicd.etcd.internal.Fence;
import io.etcd.jetcd.Client;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One leader per runner group, decided by etcd's election service: every runner of the group
 * campaigns at {@code <electionPrefix>/<group>} with a lease of its own (TTL 10 s by default, kept alive
 * every TTL/4). Only the leader should process triggers:
 * <ul>
 *   <li>{@link #whileLeader} starts something (a pipeline) when elected and closes it when the
 *       leadership is lost;</li>
 *   <li>{@link #guard} wraps an action so that it refuses to run when this runner is not the leader
 *       (checked right before each action);</li>
 *   <li>{@link EtcdState.Builder#fence(LeaderElection)} makes every state write a transaction that
 *       requires the leader key to be still ours, so a deposed leader cannot write.</li>
 * </ul>
 * A leader that is dropped without resigning (crash, lost network) loses its lease after the TTL; the
 * next candidate is elected then.
 */
public final class LeaderElection implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LeaderElection.class);

    /** Default parent of election keys: {@code /cicd/.election}. */
    public static final String DEFAULT_ELECTION_ROOT = "/cicd/.election";
    /** Default lease TTL: 10 s. */
    public static final Duration DEFAULT_TTL = Duration.ofSeconds(10);

    private final String group;
    private final String electionName;
    private final String candidateId;
    private final Duration ttl;
    private final Duration closeTimeout;
    private final List<LeadershipListener> listeners = new CopyOnWriteArrayList<>();
    private final ElectionLoop loop;
    private final Object leaderLock = new Object();

    private LeaderElection(Builder b) {
        this.group = b.group;
        this.electionName = (b.electionPrefix == null ? DEFAULT_ELECTION_ROOT : b.electionPrefix) + "/" + b.group;
        this.candidateId = b.candidateId == null ? EtcdState.defaultRunnerId() : b.candidateId;
        this.ttl = b.ttl;
        this.closeTimeout = b.requestTimeout.multipliedBy(2).plusSeconds(5);
        String description = "runner " + candidateId + " of group " + group;
        this.loop = new ElectionLoop(b.client, electionName, candidateId, description, ttl, b.requestTimeout,
                this::fireElected, this::fireLost);
    }

    public static Builder builder(Client client) {
        return new Builder(client);
    }

    /** Starts campaigning in the background. Register listeners before. */
    public LeaderElection start() {
        loop.start();
        return this;
    }

    /** Whether this runner is the leader now: elected, leader key present, lease surely alive. */
    public boolean isLeader() {
        return loop.isLeader();
    }

    /** Waits until this runner is the leader; false when the timeout passed first. */
    public boolean awaitLeadership(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (leaderLock) {
            while (!isLeader()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                try {
                    leaderLock.wait(Math.max(1, Math.min(TimeUnit.NANOSECONDS.toMillis(left), 50)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
            return true;
        }
    }

    /** The candidate id of the group's current leader as etcd reports it, if there is one. */
    public Optional<String> leader() {
        return loop.leader();
    }

    public void addListener(LeadershipListener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    public void removeListener(LeadershipListener listener) {
        listeners.remove(listener);
    }

    /**
     * Gives up the leadership now: listeners are told ({@code lost}), then the leader key is deleted so
     * another candidate takes over at once. This runner keeps campaigning, behind the others.
     */
    public void resign() {
        loop.resign();
    }

    /**
     * An action that runs {@code action} only while this runner is the leader, and otherwise returns
     * a {@code FAILED} result saying so without running anything.
     */
    public Action guard(Action action) {
        Objects.requireNonNull(action, "action");
        return new Action() {
            @Override
            public ActionResult execute(dev.cicd.core.Plan plan, dev.cicd.core.ActionContext context) {
                if (!isLeader()) {
                    LOG.warn("runner {} is not the leader of group {}: not running the action for {}", candidateId,
                            group, plan.event());
                    return ActionResult.failed("runner " + candidateId + " is not the leader of group " + group
                            + "; the action was not run", "");
                }
                return action.execute(plan, context);
            }

            @Override
            public java.util.Set<String> targets(dev.cicd.core.Plan plan) {
                return action.targets(plan);
            }

            @Override
            public boolean comparesLiveState() {
                return action.comparesLiveState();
            }

            @Override
            public boolean namesTargets() {
                return action.namesTargets();
            }
        };
    }

    /**
     * Runs {@code onElected} each time this runner is elected and closes what it returned when the
     * leadership ends (before resigning, see {@link LeadershipListener}). When {@code onElected} throws,
     * this runner resigns (and campaigns again after a pause), so a runner that cannot start does not
     * hold the group. Typical use:
     * {@code election.whileLeader(() -> pipelineBuilder.build().start())}. Closing the returned handle
     * stops this (and closes a running instance).
     */
    public AutoCloseable whileLeader(Supplier<? extends AutoCloseable> onElected) {
        Objects.requireNonNull(onElected, "onElected");
        LeadershipListener l = new LeadershipListener() {
            private AutoCloseable running;

            @Override
            public synchronized void elected(LeaderElection election) {
                try {
                    running = onElected.get();
                } catch (RuntimeException e) {
                    // a leader that cannot run must not block the group: step down, campaign again later
                    LOG.error("runner {} of group {}: starting after the election failed; resigning", candidateId, group, e);
                    resign();
                }
            }

            @Override
            public synchronized void lost(LeaderElection election, String reason) {
                closeRunning();
            }

            synchronized void closeRunning() {
                AutoCloseable r = running;
                running = null;
                if (r != null) {
                    try {
                        r.close();
                    } catch (Exception e) {
                        LOG.error("runner {} of group {}: closing what ran while leader failed", candidateId, group, e);
                    }
                }
            }
        };
        addListener(l);
        return () -> {
            removeListener(l);
            l.lost(this, "whileLeader handle closed");
        };
    }

    public String group() {
        return group;
    }

    /** The election key prefix ({@code <electionPrefix>/<group>}); candidates' keys are below it. */
    public String electionName() {
        return electionName;
    }

    public String candidateId() {
        return candidateId;
    }

    public Duration ttl() {
        return ttl;
    }

    /** Stops campaigning; a leader tells its listeners, resigns and revokes its lease. */
    @Override
    public void close() {
        loop.close(closeTimeout);
    }

    Fence fence() {
        return loop;
    }

    private void fireElected() {
        synchronized (leaderLock) {
            leaderLock.notifyAll();
        }
        for (LeadershipListener l : listeners) {
            try {
                l.elected(this);
            } catch (RuntimeException e) {
                LOG.error("runner {} of group {}: a leadership listener failed on elected", candidateId, group, e);
            }
        }
    }

    private void fireLost(String reason) {
        for (LeadershipListener l : listeners) {
            try {
                l.lost(this, reason);
            } catch (RuntimeException e) {
                LOG.error("runner {} of group {}: a leadership listener failed on lost", candidateId, group, e);
            }
        }
    }

    public static final class Builder {
        private final Client client;
        private String group = EtcdState.DEFAULT_GROUP;
        private String electionPrefix;
        private String candidateId;
        private Duration ttl = DEFAULT_TTL;
        private Duration requestTimeout = Duration.ofSeconds(5);

        private Builder(Client client) {
            this.client = Objects.requireNonNull(client, "client");
        }

        /** The runner group; {@code default} by default. */
        public Builder group(String group) {
            this.group = checkGroup(group);
            return this;
        }

        /** Parent of election keys; {@code /cicd/.election} by default. */
        public Builder electionPrefix(String prefix) {
            this.electionPrefix = Etcd.normalizePrefix(prefix, "election prefix");
            return this;
        }

        /** This runner's id, stored as the election value; host name and process id by default. */
        public Builder candidateId(String id) {
            if (id == null || id.isBlank()) {
                throw new IllegalArgumentException("candidate id must not be blank, was '" + id + "'");
            }
            this.candidateId = id.strip();
            return this;
        }

        /** Lease TTL: how long a crashed leader blocks the group; whole seconds, >= 2 s; 10 s by default. */
        public Builder ttl(Duration ttl) {
            Objects.requireNonNull(ttl, "ttl");
            if (ttl.compareTo(Duration.ofSeconds(2)) < 0 || ttl.toMillis() % 1000 != 0) {
                throw new IllegalArgumentException("election ttl must be whole seconds and at least 2 s (etcd's minimum "
                        + "lease TTL), was " + ttl);
            }
            this.ttl = ttl;
            return this;
        }

        /** How long one etcd request may take; 5 s by default. */
        public Builder requestTimeout(Duration timeout) {
            this.requestTimeout = EtcdTriggerSource.positive(timeout, "requestTimeout");
            return this;
        }

        public LeaderElection build() {
            return new LeaderElection(this);
        }
    }

    static String checkGroup(String group) {
        return Checks.group(group);
    }
}
