package dev.cicd.core.internal.pipeline;

import dev.cicd.core.Outcome;
import dev.cicd.core.Pipeline;
import java.util.Collection;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Where one watch stands: the revisions handed to lanes and not yet recorded, from which the
 * checkpoint follows (the highest revision with every event at or below it recorded), and the counters.
 *
 * <p>The feed opens revisions in increasing order; the recorder asks what the checkpoint would be once a
 * batch is recorded, and then marks the batch recorded. Both happen under this object's lock, so a
 * checkpoint never passes a revision that is still open.
 */
final class WatchProgress {

    private final String watch;
    private final TreeSet<Long> open = new TreeSet<>();
    private long highestSeen;
    private long checkpoint;
    final AtomicLong received = new AtomicLong();
    final AtomicLong dropped = new AtomicLong();
    final AtomicLongArray outcomes = new AtomicLongArray(Outcome.Kind.values().length);
    volatile boolean halted;
    /** Events delivered and not yet done (recorded or dropped): what backpressure counts. */
    final AtomicLong backlog = new AtomicLong();
    /** Whether the source was asked to pause this watch. Guarded by this object's lock. */
    boolean paused;

    WatchProgress(String watch) {
        this.watch = watch;
    }

    String watch() {
        return watch;
    }

    /** Before start: resume at the stored checkpoint. */
    synchronized void resume(long stored) {
        checkpoint = stored;
        highestSeen = stored;
    }

    /** A revision handed to a lane: the checkpoint stays below it until it is recorded. */
    synchronized void opened(long revision) {
        open.add(revision);
        highestSeen = Math.max(highestSeen, revision);
    }

    /** A revision the feed finished without an outcome (ignored delete, already recorded). */
    synchronized void passed(long revision) {
        highestSeen = Math.max(highestSeen, revision);
    }

    /** The checkpoint once every revision of {@code recording} is recorded. */
    synchronized long checkpointWith(Collection<Long> recording) {
        for (long r : open) {
            if (!recording.contains(r)) {
                return Math.max(checkpoint, r - 1);
            }
        }
        return Math.max(checkpoint, highestSeen);
    }

    /**
     * Whether the checkpoint could move past what was last written without a new outcome: events passed
     * (another runner's, ignored deletes, replays) since. False for a halted watch.
     */
    synchronized boolean advanced() {
        return !halted && checkpointWith(List.of()) > checkpoint;
    }

    /** The revisions were written with checkpoint {@code cp}. */
    synchronized void recorded(Collection<Long> revisions, long cp) {
        open.removeAll(revisions);
        checkpoint = Math.max(checkpoint, cp);
    }

    /** The store's revision went backwards (a new etcd): forget everything known of the old one. */
    synchronized void reset() {
        open.clear();
        highestSeen = 0;
        checkpoint = 0;
    }

    void count(Outcome.Kind kind) {
        outcomes.incrementAndGet(kind.ordinal());
    }

    Pipeline.WatchStats stats() {
        Map<Outcome.Kind, Long> byKind = new EnumMap<>(Outcome.Kind.class);
        for (Outcome.Kind k : Outcome.Kind.values()) {
            byKind.put(k, outcomes.get(k.ordinal()));
        }
        return new Pipeline.WatchStats(watch, received.get(), dropped.get(), byKind, checkpointWith(List.of()), halted);
    }
}
