package dev.cicd.etcd;

import dev.cicd.core.TriggerListener;
import dev.cicd.core.TriggerSource;
import dev.cicd.core.WatchSpec;
import dev.cicd.core.CicdException;
import dev.cicd.etcd.internal.Checks;
import dev.cicd.etcd.internal.Etcd;
import dev.cicd.etcd.internal.KeyRange;
import dev.cicd.etcd.internal.WatchLoop;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.GetOption;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link TriggerSource} on etcd: every PUT of a watched key is delivered once, in revision order,
 * across bursts, reconnects, etcd restarts, compactions and restarts of the runner.
 *
 * <ul>
 *   <li>Each watch starts from an explicit revision: its checkpoint + 1; without a checkpoint the
 *       watch's keys are read, each current value is delivered once, and watching starts at the read's
 *       revision + 1.</li>
 *   <li>Events at or below the last delivered revision are dropped (jetcd can replay one after a
 *       reconnect).</li>
 *   <li>DELETEs are delivered too (an empty value): the pipeline removes the key from the watch's key
 *       map, and runs nothing unless the watch {@link WatchSpec#includeDeletes() includes deletes}.</li>
 *   <li>Compaction past the last delivered revision: a {@link dev.cicd.core.SourceNotice.Kind#GAP} notice
 *       whose {@code lostRevisions} counts the revisions in (last delivered, compact revision] of which
 *       no change survives in the store (see the module README), then the values current at the compact
 *       revision that are newer than the last delivered one, then live changes.</li>
 *   <li>Lost connection: {@code DISCONNECTED}, retries with back-off, {@code RECONNECTED}. A store whose
 *       cluster id changed or whose revision went backwards is reported as {@code RESET}: the current
 *       values are delivered and watching resumes at the store's current revision + 1.</li>
 * </ul>
 * Keys under the ignored prefixes (by default the state, status and election prefixes of this module)
 * are never delivered, so a watch on a parent directory does not see the runner's own writes.
 *
 * <p>Each watch has its own thread; listener calls of one watch never overlap.
 */
public final class EtcdTriggerSource implements TriggerSource {

    /**
     * Prefixes never delivered by default: {@code /cicd/.state/}, {@code /cicd/.status/},
     * {@code /cicd/.election/}, {@code /cicd/.shards/}.
     */
    public static final List<String> DEFAULT_IGNORED_PREFIXES =
            List.of(EtcdState.DEFAULT_STATE_ROOT + "/", EtcdState.DEFAULT_STATUS_PREFIX + "/",
                    LeaderElection.DEFAULT_ELECTION_ROOT + "/", ShardMembership.DEFAULT_ROOT + "/");

    private static final Logger LOG = LoggerFactory.getLogger(EtcdTriggerSource.class);

    private final Client client;
    private final Duration requestTimeout;
    private final Duration closeTimeout;
    private final List<String> ignoredPrefixes;

    private EtcdTriggerSource(Builder b) {
        this.client = b.client;
        this.requestTimeout = b.requestTimeout;
        this.closeTimeout = b.closeTimeout;
        this.ignoredPrefixes = List.copyOf(b.ignoredPrefixes);
    }

    public static Builder builder(Client client) {
        return new Builder(client);
    }

    @Override
    public Subscription start(List<WatchSpec> watches, Map<String, Long> checkpoints, TriggerListener listener) {
        Objects.requireNonNull(watches, "watches");
        Objects.requireNonNull(checkpoints, "checkpoints");
        Objects.requireNonNull(listener, "listener");
        Set<String> names = new HashSet<>();
        for (WatchSpec w : watches) {
            if (!names.add(w.name())) {
                throw new IllegalArgumentException("watch name " + w.name() + " is used twice");
            }
        }
        List<WatchLoop> loops = new ArrayList<>();
        for (WatchSpec w : watches) {
            loops.add(new WatchLoop(w, client, listener, checkpoints.get(w.name()), ignoredPrefixes, requestTimeout));
        }
        Subscription s = new Subscription(loops, closeTimeout);
        loops.forEach(WatchLoop::start);
        return s;
    }

    /** What {@link #start} returns: closing it stops every watch it started. */
    public static final class Subscription implements AutoCloseable, TriggerSource.FlowControl {
        private final List<WatchLoop> loops;
        private final Duration closeTimeout;

        private Subscription(List<WatchLoop> loops, Duration closeTimeout) {
            this.loops = List.copyOf(loops);
            this.closeTimeout = closeTimeout;
        }

        /**
         * Waits until etcd has created the first watch of every watch of this subscription (after the
         * initial reads). Changes made before are not lost either way; this only helps measurements.
         */
        public boolean awaitWatching(Duration timeout) {
            long deadline = System.nanoTime() + timeout.toNanos();
            for (WatchLoop l : loops) {
                long left = deadline - System.nanoTime();
                if (!l.awaitWatching(Duration.ofNanos(Math.max(0, left)))) {
                    return false;
                }
            }
            return true;
        }

        @Override
        public void pause(String watch) {
            loops.stream().filter(l -> l.name().equals(watch)).forEach(WatchLoop::pause);
        }

        @Override
        public void resume(String watch) {
            loops.stream().filter(l -> l.name().equals(watch)).forEach(WatchLoop::resume);
        }

        /**
         * Stops every watch. When called from another thread than a listener call, no listener call is
         * running or starts after this returns (a listener still busy after the close timeout is
         * interrupted).
         */
        @Override
        public void close() {
            for (WatchLoop l : loops) {
                l.close(closeTimeout);
            }
        }
    }

    /**
     * The watch's keys at {@code revision} (one range read at that revision); when etcd compacted that
     * revision, the current values, with a warning.
     */
    @Override
    public SortedMap<String, String> snapshot(WatchSpec watch, long revision) {
        KeyRange range = KeyRange.of(watch);
        GetResponse read;
        try {
            read = get(range, revision, watch);
        } catch (CicdException e) {
            if (!Etcd.isCompacted(e)) {
                throw e;
            }
            LOG.warn("watch {}: revision {} is compacted; templates start from the current values of its keys",
                    watch.name(), revision);
            read = get(range, 0, watch);
        }
        SortedMap<String, String> out = new TreeMap<>();
        for (KeyValue kv : read.getKvs()) {
            String key = Etcd.text(kv.getKey());
            if (watch.matches(key) && ignoredPrefixes.stream().noneMatch(key::startsWith)) {
                out.put(watch.relativeKey(key), kv.getValue().toString(StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    private GetResponse get(KeyRange range, long revision, WatchSpec watch) {
        GetOption.Builder b = GetOption.builder().withRange(range.end());
        if (revision > 0) {
            b.withRevision(revision);
        }
        return Etcd.await(client.getKVClient().get(range.start(), b.build()), requestTimeout,
                () -> "reading the keys of watch " + watch.name() + " " + range.describe()
                        + (revision > 0 ? " at revision " + revision : ""));
    }

    public static final class Builder {
        private final Client client;
        private Duration requestTimeout = Duration.ofSeconds(5);
        private Duration closeTimeout = Duration.ofSeconds(30);
        private final List<String> ignoredPrefixes = new ArrayList<>(DEFAULT_IGNORED_PREFIXES);

        private Builder(Client client) {
            this.client = Objects.requireNonNull(client, "client");
        }

        /** How long one read may take before the attempt counts as failed and is retried; 5 s by default. */
        public Builder requestTimeout(Duration timeout) {
            this.requestTimeout = positive(timeout, "requestTimeout");
            return this;
        }

        /** How long {@code close()} waits for a listener call in progress; 30 s by default. */
        public Builder closeTimeout(Duration timeout) {
            this.closeTimeout = positive(timeout, "closeTimeout");
            return this;
        }

        /** Adds a key prefix whose keys are never delivered (for state written into a watched directory). */
        public Builder ignorePrefix(String prefix) {
            this.ignoredPrefixes.add(Etcd.normalizePrefix(prefix, "ignored prefix") + "/");
            return this;
        }

        /** Replaces the ignored prefixes (default {@link #DEFAULT_IGNORED_PREFIXES}). */
        public Builder ignorePrefixes(List<String> prefixes) {
            this.ignoredPrefixes.clear();
            for (String p : prefixes) {
                ignorePrefix(p);
            }
            return this;
        }

        public EtcdTriggerSource build() {
            return new EtcdTriggerSource(this);
        }
    }

    static Duration positive(Duration d, String what) {
        return Checks.positive(d, what);
    }
}
