package dev.cicd.etcd.internal;

import dev.cicd.core.CicdException;
import dev.cicd.core.EventType;
import dev.cicd.core.SourceNotice;
import dev.cicd.core.TriggerEvent;
import dev.cicd.core.TriggerListener;
import dev.cicd.core.WatchSpec;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Response;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.common.exception.CompactedException;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Delivers one watch's changes to a listener, each revision once and in order, across reconnects,
 * compactions and data resets. All state lives on one thread per watch, which is also the thread
 * that calls the listener, so listener calls for a watch never overlap.
 *
 * <p>Life of a watch:
 * <ol>
 *   <li>Position: with a checkpoint, "last delivered" = the checkpoint. Without one, the watch's keys
 *       are read, each current value is delivered (in revision order) and "last delivered" = the read's
 *       header revision.</li>
 *   <li>Watch from last delivered + 1 with jetcd. Events at or below last delivered are dropped.</li>
 *   <li>Compaction ({@link CompactedException} with compact revision C): read the keys at C (or at the
 *       current revision when C is gone too), report a {@link SourceNotice.Kind#GAP}, deliver the
 *       values newer than last delivered, watch from the read revision + 1.</li>
 *   <li>Any other watch failure: report {@link SourceNotice.Kind#DISCONNECTED} once, then retry with
 *       back-off (100 ms doubling to 1 s). Each attempt first reads the store's header: a cluster id
 *       that changed, or a revision lower than one already seen, is a data reset
 *       ({@link SourceNotice.Kind#RESET}): the current values are delivered and watching resumes at the
 *       store's current revision + 1. {@link SourceNotice.Kind#RECONNECTED} once the watch is created.</li>
 * </ol>
 * jetcd's own watch retry is not used: a failed jetcd watcher is closed and a new one is created
 * from this loop's own position.
 */
public final class WatchLoop {

    private static final Logger LOG = LoggerFactory.getLogger(WatchLoop.class);
    private static final long MIN_BACKOFF_MS = 100;
    private static final long MAX_BACKOFF_MS = 1000;

    private final WatchSpec spec;
    private final KeyRange range;
    private final Client client;
    private final TriggerListener listener;
    private final List<String> ignoredPrefixes;
    private final Duration requestTimeout;
    private final ScheduledThreadPoolExecutor exec;
    private final CountDownLatch watching = new CountDownLatch(1);
    private volatile boolean closed;
    private volatile Thread thread;

    // confined to the loop's thread
    private boolean positioned;
    private long lastDelivered;
    private long maxSeenRevision;
    private long clusterId;
    private Watch.Watcher watcher;
    private long generation;
    private boolean disconnected;
    private int failures;

    /**
     * @param checkpoint the last revision already processed, or null to start from the current values
     */
    public WatchLoop(WatchSpec spec, Client client, TriggerListener listener, Long checkpoint,
            List<String> ignoredPrefixes, Duration requestTimeout) {
        this.spec = spec;
        this.range = KeyRange.of(spec);
        this.client = client;
        this.listener = listener;
        this.ignoredPrefixes = List.copyOf(ignoredPrefixes);
        this.requestTimeout = requestTimeout;
        if (checkpoint != null) {
            if (checkpoint < 0) {
                throw new IllegalArgumentException("checkpoint of watch " + spec.name() + " must be >= 0, was " + checkpoint);
            }
            this.positioned = true;
            this.lastDelivered = checkpoint;
            this.maxSeenRevision = checkpoint;
        }
        this.exec = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "cicd-etcd-watch-" + spec.name());
            t.setDaemon(true);
            thread = t;
            return t;
        });
        this.exec.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        this.exec.setRemoveOnCancelPolicy(true);
    }

    public String name() {
        return spec.name();
    }

    /**
     * Starts the loop. Without a checkpoint the watch's keys are read here, on the caller's thread, so
     * that every change made after this returns is delivered; when that read fails the loop retries it
     * in the background (reporting {@code DISCONNECTED}).
     */
    public void start() {
        if (!positioned) {
            try {
                GetResponse r = read(0);
                submit(() -> {
                    if (!positioned) {
                        position(r);
                    }
                    try {
                        openWatch(lastDelivered + 1);
                    } catch (RuntimeException e) {
                        connectionFailed(e);
                    }
                });
                return;
            } catch (RuntimeException e) {
                LOG.warn("watch {}: cannot read its keys at start ({}); retrying in the background", spec.name(),
                        e.getMessage());
            }
        }
        submit(this::connect);
    }

    /** No checkpoint: deliver the current values of a read, then continue after the read's revision. */
    private void position(GetResponse r) {
        Response.Header h = r.getHeader();
        clusterId = h.getClusterId();
        LOG.info("watch {}: no checkpoint; delivering the current values of {} at revision {}, then watching from {}",
                spec.name(), range.describe(), h.getRevision(), h.getRevision() + 1);
        deliverValues(r.getKvs(), 0);
        lastDelivered = Math.max(lastDelivered, h.getRevision());
        maxSeenRevision = Math.max(maxSeenRevision, h.getRevision());
        positioned = true;
    }

    /** Waits until the first jetcd watch of this loop was created by etcd. */
    public boolean awaitWatching(Duration timeout) {
        try {
            return watching.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Stops the loop; no listener call starts after this returns (when called from another thread). */
    public void close(Duration wait) {
        closed = true;
        try {
            exec.execute(this::closeWatcher);
        } catch (RejectedExecutionException ignored) {
            // already shut down
        }
        exec.shutdown();
        if (Thread.currentThread() == thread) {
            return; // called from our own listener: the current call is the last one
        }
        try {
            if (!exec.awaitTermination(wait.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warn("watch {}: listener still busy {} ms after close; interrupting it", spec.name(), wait.toMillis());
                exec.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            exec.shutdownNow();
        }
    }

    // ---------------------------------------------------------------- connection

    private void connect() {
        if (closed) {
            return;
        }
        try {
            if (!positioned) {
                position(read(0));
            } else {
                Response.Header h = readHeader();
                String reset = resetReason(h);
                if (reset != null) {
                    handleReset(reset);
                } else {
                    clusterId = h.getClusterId();
                    maxSeenRevision = Math.max(maxSeenRevision, h.getRevision());
                }
            }
            openWatch(lastDelivered + 1);
        } catch (RuntimeException e) {
            connectionFailed(e);
        }
    }

    private String resetReason(Response.Header h) {
        if (clusterId != 0 && h.getClusterId() != clusterId) {
            return "the cluster id changed from " + Long.toHexString(clusterId) + " to " + Long.toHexString(h.getClusterId());
        }
        if (h.getRevision() < maxSeenRevision) {
            return "the store's revision went back from " + maxSeenRevision + " to " + h.getRevision();
        }
        return null;
    }

    /** A data reset: deliver every current value, continue at the store's current revision + 1. */
    private void handleReset(String reason) {
        GetResponse r = read(0);
        Response.Header h = r.getHeader();
        notice(SourceNotice.Kind.RESET, h.getRevision(), 0, "etcd data reset detected for watch " + spec.name() + ": "
                + reason + "; delivering the current values of its keys and resuming at revision " + (h.getRevision() + 1));
        clusterId = h.getClusterId();
        maxSeenRevision = h.getRevision();
        lastDelivered = 0;
        deliverValues(r.getKvs(), 0);
        lastDelivered = h.getRevision();
    }

    private void openWatch(long from) {
        closeWatcher();
        long gen = ++generation;
        WatchOption option = WatchOption.builder()
                .withRevision(from)
                .withRange(range.end())
                .withCreateNotify(true)
                .build();
        LOG.debug("watch {}: watching {} from revision {}", spec.name(), range.describe(), from);
        watcher = client.getWatchClient().watch(range.start(), option, Watch.listener(
                response -> submit(() -> onResponse(gen, response)),
                error -> submit(() -> onWatchError(gen, error)),
                () -> { }));
    }

    private void closeWatcher() {
        Watch.Watcher w = watcher;
        watcher = null;
        generation++;
        if (w != null) {
            try {
                w.close();
            } catch (RuntimeException e) {
                LOG.debug("watch {}: closing the jetcd watcher failed: {}", spec.name(), e.toString());
            }
        }
    }

    private void connectionFailed(Throwable t) {
        closeWatcher();
        if (closed) {
            return;
        }
        Throwable cause = Etcd.unwrap(t);
        failures++;
        if (!disconnected) {
            disconnected = true;
            notice(SourceNotice.Kind.DISCONNECTED, lastDelivered, 0, "watch " + spec.name()
                    + " lost its connection to etcd (" + Etcd.describe(cause) + "); retrying from revision "
                    + (lastDelivered + 1));
        } else {
            LOG.debug("watch {}: attempt {} to reconnect failed: {}", spec.name(), failures, Etcd.describe(cause));
        }
        if (Etcd.isClientClosed(cause)) {
            LOG.error("watch {}: the etcd client was closed; the watch stops (close and restart the source with a new client)",
                    spec.name());
            return;
        }
        long delay = Math.min(MAX_BACKOFF_MS, MIN_BACKOFF_MS << Math.min(failures - 1, 4));
        try {
            exec.schedule(this::connect, delay, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException ignored) {
            // closing
        }
    }

    // ---------------------------------------------------------------- watch callbacks (on the loop thread)

    private void onResponse(long gen, WatchResponse response) {
        if (closed || gen != generation) {
            return;
        }
        Response.Header h = response.getHeader();
        if (response.isCreatedNotify()) {
            if (clusterId != 0 && h.getClusterId() != 0 && h.getClusterId() != clusterId) {
                // a member of another cluster answered: same as a reset found on reconnect
                try {
                    handleReset("the cluster id changed from " + Long.toHexString(clusterId) + " to "
                            + Long.toHexString(h.getClusterId()));
                    openWatch(lastDelivered + 1);
                } catch (RuntimeException e) {
                    connectionFailed(e);
                }
                return;
            }
            if (h.getClusterId() != 0) {
                clusterId = h.getClusterId();
            }
            watching.countDown();
            failures = 0;
            if (disconnected) {
                disconnected = false;
                notice(SourceNotice.Kind.RECONNECTED, lastDelivered, 0, "watch " + spec.name()
                        + " is watching again from revision " + (lastDelivered + 1));
            }
            return;
        }
        maxSeenRevision = Math.max(maxSeenRevision, h.getRevision());
        long floor = lastDelivered;
        for (WatchEvent event : response.getEvents()) {
            if (closed) {
                return;
            }
            KeyValue kv = event.getKeyValue();
            long rev = kv.getModRevision();
            if (rev <= floor) {
                LOG.debug("watch {}: dropping event of {} at revision {}: already delivered up to revision {}",
                        spec.name(), Etcd.text(kv.getKey()), rev, floor);
                continue;
            }
            lastDelivered = Math.max(lastDelivered, rev);
            String key = Etcd.text(kv.getKey());
            if (!wanted(key)) {
                continue;
            }
            switch (event.getEventType()) {
                case PUT -> deliver(toEvent(kv, EventType.PUT));
                case DELETE -> {
                    if (spec.includeDeletes()) {
                        deliver(new TriggerEvent(spec.name(), key, new byte[0], EventType.DELETE, rev, 0, 0));
                    } else {
                        LOG.debug("watch {}: ignoring DELETE of {} at revision {}: the watch does not include deletes",
                                spec.name(), key, rev);
                    }
                }
                default -> LOG.debug("watch {}: ignoring event of unknown type for {} at revision {}",
                        spec.name(), key, rev);
            }
        }
    }

    private void onWatchError(long gen, Throwable error) {
        if (closed || gen != generation) {
            return;
        }
        Throwable cause = Etcd.unwrap(error);
        closeWatcher();
        if (cause instanceof CompactedException compacted) {
            try {
                recoverFromCompaction(compacted.getCompactedRevision());
                openWatch(lastDelivered + 1);
            } catch (RuntimeException e) {
                connectionFailed(e);
            }
            return;
        }
        connectionFailed(cause);
    }

    /**
     * The revisions after {@code lastDelivered} were compacted up to {@code compactRevision}: deliver the
     * values current at the compact revision (or later, if that one is gone too) and report what could
     * not be replayed.
     */
    private void recoverFromCompaction(long compactRevision) {
        long last = lastDelivered;
        long readAt = compactRevision;
        GetResponse r;
        try {
            r = read(compactRevision);
        } catch (CicdException e) {
            if (!Etcd.isCompacted(e)) {
                throw e;
            }
            r = read(0);
            readAt = r.getHeader().getRevision();
        }
        List<KeyValue> fresh = new ArrayList<>();
        for (KeyValue kv : r.getKvs()) {
            if (kv.getModRevision() > last && wanted(Etcd.text(kv.getKey()))) {
                fresh.add(kv);
            }
        }
        Lost lost = countLost(last, readAt, fresh);
        notice(SourceNotice.Kind.GAP, readAt, lost.count, "history of watch " + spec.name() + " after revision " + last
                + " was compacted up to revision " + compactRevision + ": " + lost.count + " revision(s) in (" + last
                + ", " + readAt + "] could not be replayed" + lost.note + "; delivering the " + fresh.size()
                + " value(s) current at revision " + readAt + " and watching from " + (readAt + 1));
        deliverValues(fresh, last);
        lastDelivered = Math.max(last, readAt);
        maxSeenRevision = Math.max(maxSeenRevision, r.getHeader().getRevision());
    }

    private record Lost(long count, String note) {
    }

    /**
     * Revisions in (last, readAt] of which no change survives in the store at {@code readAt}: every key
     * written at such a revision was overwritten or deleted before the compaction, so the change cannot
     * be replayed. Revisions are store-wide; when only this watch's keys were written in the range the
     * count is exactly the number of this watch's changes that were not delivered.
     */
    private Lost countLost(long last, long readAt, List<KeyValue> fresh) {
        if (readAt <= last) {
            return new Lost(0, "");
        }
        Set<Long> surviving = new HashSet<>();
        try {
            GetResponse all = Etcd.await(client.getKVClient().get(Etcd.ALL_KEYS, GetOption.builder()
                            .withRange(Etcd.ALL_KEYS)
                            .withRevision(readAt)
                            .withKeysOnly(true)
                            .withMinModRevision(last + 1)
                            .withMaxModRevision(readAt)
                            .build()),
                    requestTimeout, () -> "counting surviving revisions for watch " + spec.name());
            for (KeyValue kv : all.getKvs()) {
                surviving.add(kv.getModRevision());
            }
            return new Lost(Math.max(0, readAt - last - surviving.size()), "");
        } catch (CicdException e) {
            LOG.debug("watch {}: cannot read the whole key space to count lost revisions: {}", spec.name(), e.getMessage());
            for (KeyValue kv : fresh) {
                surviving.add(kv.getModRevision());
            }
            return new Lost(Math.max(0, readAt - last - surviving.size()),
                    " (an upper bound: the key space outside the watch could not be read)");
        }
    }

    // ---------------------------------------------------------------- reads

    private GetResponse read(long revision) {
        GetOption.Builder b = GetOption.builder().withRange(range.end());
        if (revision > 0) {
            b.withRevision(revision);
        }
        return Etcd.await(client.getKVClient().get(range.start(), b.build()), requestTimeout,
                () -> "reading the keys of watch " + spec.name() + " " + range.describe()
                        + (revision > 0 ? " at revision " + revision : ""));
    }

    private Response.Header readHeader() {
        return Etcd.await(client.getKVClient().get(range.start(), GetOption.builder()
                        .withRange(range.end()).withCountOnly(true).build()), requestTimeout,
                () -> "reading the revision of etcd for watch " + spec.name()).getHeader();
    }

    // ---------------------------------------------------------------- delivery

    private boolean wanted(String key) {
        if (!spec.matches(key)) {
            return false;
        }
        for (String p : ignoredPrefixes) {
            if (key.startsWith(p)) {
                return false;
            }
        }
        return true;
    }

    /** Delivers the values newer than {@code after}, in revision order. */
    private void deliverValues(List<KeyValue> kvs, long after) {
        List<KeyValue> sorted = new ArrayList<>();
        for (KeyValue kv : kvs) {
            if (kv.getModRevision() > after && wanted(Etcd.text(kv.getKey()))) {
                sorted.add(kv);
            }
        }
        sorted.sort(Comparator.comparingLong(KeyValue::getModRevision));
        for (KeyValue kv : sorted) {
            if (closed) {
                return;
            }
            deliver(toEvent(kv, EventType.PUT));
        }
    }

    private TriggerEvent toEvent(KeyValue kv, EventType type) {
        return new TriggerEvent(spec.name(), Etcd.text(kv.getKey()), kv.getValue().getBytes(), type,
                kv.getModRevision(), kv.getCreateRevision(), kv.getVersion());
    }

    private void deliver(TriggerEvent event) {
        if (closed) {
            return;
        }
        MDC.put("watch", event.watch());
        MDC.put("key", event.key());
        MDC.put("revision", Long.toString(event.modRevision()));
        try {
            listener.onEvent(event);
        } catch (RuntimeException e) {
            LOG.error("watch {}: the listener failed on {}; continuing with the next event", spec.name(), event, e);
        } finally {
            MDC.remove("watch");
            MDC.remove("key");
            MDC.remove("revision");
        }
    }

    private void notice(SourceNotice.Kind kind, long revision, long lost, String message) {
        if (closed) {
            return;
        }
        switch (kind) {
            case RECONNECTED -> LOG.info(message);
            default -> LOG.warn(message);
        }
        MDC.put("watch", spec.name());
        try {
            listener.onNotice(new SourceNotice(spec.name(), kind, revision, lost, message));
        } catch (RuntimeException e) {
            LOG.error("watch {}: the listener failed on a {} notice; continuing", spec.name(), kind, e);
        } finally {
            MDC.remove("watch");
        }
    }

    private void submit(Runnable task) {
        if (closed) {
            return;
        }
        try {
            exec.execute(task);
        } catch (RejectedExecutionException ignored) {
            // closing
        }
    }
}
