package dev.cicd.etcd.internal;

import dev.cicd.core.SourceNotice;
import dev.cicd.core.TriggerListener;
import dev.cicd.core.WatchSpec;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.common.exception.CompactedException;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one watch's connection to etcd: opens a jetcd watcher from the watch's position and opens a new
 * one after every failure, with back-off, so that the listener gets each revision once and in order
 * across reconnects, compactions and data resets. All state lives on one thread per watch, which is also
 * the thread that calls the listener, so listener calls for a watch never overlap.
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
 * This class does the connecting and the retrying; {@link WatchPosition} keeps the position (replay drop,
 * GAP, RESET), {@link WatchDelivery} calls the listener and {@link WatchReads} makes the range reads.
 * jetcd's own watch retry is not used: a failed jetcd watcher is closed and a new one is created
 * from this loop's own position.
 */
public final class WatchLoop {

    private static final Logger LOG = LoggerFactory.getLogger(WatchLoop.class);
    private static final long MIN_BACKOFF_MS = 100;
    private static final long MAX_BACKOFF_MS = 1000;

    private final WatchSpec spec;
    private final Client client;
    private final WatchReads reads;
    private final WatchDelivery delivery;
    private final WatchPosition position;
    private final ScheduledThreadPoolExecutor exec;
    private final CountDownLatch watching = new CountDownLatch(1);
    private volatile boolean closed;
    private volatile Thread thread;

    // confined to the loop's thread
    private Watch.Watcher watcher;
    private long generation;
    private boolean paused;
    private boolean disconnected;
    private int failures;

    /**
     * @param checkpoint the last revision already processed, or null to start from the current values
     */
    public WatchLoop(WatchSpec spec, Client client, TriggerListener listener, Long checkpoint,
            List<String> ignoredPrefixes, Duration requestTimeout) {
        this.spec = spec;
        this.client = client;
        this.reads = new WatchReads(spec, KeyRange.of(spec), client, requestTimeout);
        this.delivery = new WatchDelivery(spec, listener, ignoredPrefixes, () -> closed);
        this.position = new WatchPosition(spec, reads, delivery, checkpoint);
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
        if (!position.positioned()) {
            try {
                GetResponse r = reads.read(0);
                submit(() -> {
                    if (!position.positioned()) {
                        position.position(r);
                    }
                    if (paused) {
                        return;
                    }
                    try {
                        openWatch(position.lastDelivered() + 1);
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

    /**
     * Stops reading: the jetcd watch is closed (responses already queued are dropped, their events were not
     * delivered) until {@link #resume()} opens a new one after the last delivered revision.
     */
    public void pause() {
        submit(() -> {
            if (!paused) {
                paused = true;
                closeWatcher();
                LOG.info("watch {}: paused after revision {} (the pipeline has too many of its events waiting)",
                        spec.name(), position.lastDelivered());
            }
        });
    }

    /** Reads again, from the revision after the last delivered. */
    public void resume() {
        submit(() -> {
            if (paused) {
                paused = false;
                LOG.info("watch {}: resumed from revision {}", spec.name(), position.lastDelivered() + 1);
                connect();
            }
        });
    }

    private void connect() {
        if (closed || paused) {
            return;
        }
        try {
            position.resume();
            openWatch(position.lastDelivered() + 1);
        } catch (RuntimeException e) {
            connectionFailed(e);
        }
    }

    private void openWatch(long from) {
        closeWatcher();
        long gen = ++generation;
        KeyRange range = reads.range();
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
        long lastDelivered = position.lastDelivered();
        if (!disconnected) {
            disconnected = true;
            delivery.notice(SourceNotice.Kind.DISCONNECTED, lastDelivered, 0, "watch " + spec.name()
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
        if (!response.isCreatedNotify()) {
            position.onEvents(response);
            return;
        }
        try {
            if (position.created(response.getHeader())) {
                openWatch(position.lastDelivered() + 1);
                return;
            }
        } catch (RuntimeException e) {
            connectionFailed(e);
            return;
        }
        watching.countDown();
        failures = 0;
        if (disconnected) {
            disconnected = false;
            delivery.notice(SourceNotice.Kind.RECONNECTED, position.lastDelivered(), 0, "watch " + spec.name()
                    + " is watching again from revision " + (position.lastDelivered() + 1));
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
                position.recoverFromCompaction(compacted.getCompactedRevision());
                openWatch(position.lastDelivered() + 1);
            } catch (RuntimeException e) {
                connectionFailed(e);
            }
            return;
        }
        connectionFailed(cause);
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
