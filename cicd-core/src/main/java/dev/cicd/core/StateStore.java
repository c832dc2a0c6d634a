package dev.cicd.core;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Set;

/**
 * The durable state a pipeline keeps: per watch a checkpoint, per target the last applied fingerprint,
 * per event its outcome. Passed once to {@link Pipeline.Builder#state}.
 *
 * <p>The pipeline records outcomes in batches ({@link #commit}); one batch must be written atomically:
 * every outcome's status, the fingerprint of each {@code applied} outcome's targets, each watch's new
 * checkpoint, and the marks that let {@link #load} name the revisions recorded above the checkpoint. A
 * store that can (an etcd transaction) makes "recorded or replayed" exact after a crash: the only
 * events run again are those whose action was in flight.
 */
public interface StateStore extends Deduplicator {

    /**
     * What is stored for a watch, read once when a pipeline starts.
     *
     * @throws CicdException {@link CicdException.Code#SOURCE} when the store cannot be read
     */
    WatchState load(String watch);

    /**
     * Writes one batch atomically.
     *
     * @throws CicdException when nothing could be written (for example a deposed leader, or etcd
     *                       unreachable past the retry budget); the pipeline then halts the batch's watches
     */
    void commit(Batch batch);

    /**
     * Whether this pipeline carries out an event of {@code watch} with these targets (sorted; an event
     * decided before its plan, such as a rejected one, has its key as its only target) at {@code revision}.
     * A store shared by several runners, each owning part of the targets, answers false for the others'
     * events and for events its owner recorded before; the pipeline then passes the event: no outcome, and
     * the watch's checkpoint moves over it. Asked on the watch's feed thread for every event, after its
     * plan is rendered: must be cheap (no I/O). Default: true.
     */
    default boolean owns(String watch, List<String> targets, long revision) {
        return true;
    }

    /** Records a source notice (gap, reset, reconnect); default: nothing. A failure is logged and ignored. */
    default void notice(SourceNotice notice) {
    }

    /**
     * Records that an event's action started or got further (an in-progress status), which its outcome
     * later replaces; default: nothing. Told on the action's thread: an implementation must not block
     * (write asynchronously), must never throw, and must never replace an outcome already recorded.
     */
    default void progress(Progress progress) {
    }

    /**
     * The most write operations one {@link #commit} may hold; the pipeline sizes batches by it, counting
     * per entry 2 + (targets when applied) and per watch in the batch 3. Default: unbounded.
     */
    default int maxOpsPerCommit() {
        return Integer.MAX_VALUE;
    }

    /**
     * How many {@link #commit}s the pipeline may have in flight at once. Above 1, the store must accept
     * concurrent commits; the pipeline then sends at most one batch carrying checkpoints (and
     * {@code latest} records) at a time, and the others carry only outcomes, fingerprints and marks, so
     * a checkpoint never moves backwards and never passes an outcome that is not written. Default: 1.
     */
    default int maxConcurrentCommits() {
        return 1;
    }

    /**
     * The least time between two {@link #commit}s carrying checkpoints (and {@code latest} records), for a
     * store whose checkpoint write costs more than a batch's own: meanwhile batches carry only outcomes,
     * fingerprints and marks, and the checkpoint follows once the interval is over (and when the pipeline
     * stops). Default: zero (whenever no other batch carrying them is in flight).
     */
    default java.time.Duration checkpointInterval() {
        return java.time.Duration.ZERO;
    }

    /**
     * A watch's stored state.
     *
     * @param checkpoint  every revision up to and including it has a recorded outcome; empty when the
     *                    watch never ran
     * @param recordedAbove revisions above the checkpoint whose outcome is recorded too (they finished
     *                    while an older event of another target was still running); a pipeline resuming
     *                    from the checkpoint does not run them again
     */
    record WatchState(OptionalLong checkpoint, Set<Long> recordedAbove) {
        public WatchState {
            Objects.requireNonNull(checkpoint, "checkpoint");
            recordedAbove = Set.copyOf(recordedAbove == null ? Set.of() : recordedAbove);
        }

        /** A watch that never ran. */
        public static WatchState empty() {
            return new WatchState(OptionalLong.empty(), Set.of());
        }
    }

    /**
     * One outcome to record.
     *
     * @param outcome the outcome, with its run-log path when one was written
     * @param targets the targets of its event (for an {@code applied} outcome, the fingerprint is recorded
     *                for each of them)
     */
    record Entry(Outcome outcome, List<String> targets) {
        public Entry {
            Objects.requireNonNull(outcome, "outcome");
            targets = List.copyOf(targets);
        }

        /** Write operations this entry costs in {@link #maxOpsPerCommit()}'s count. */
        public int ops() {
            return 2 + (outcome.kind() == Outcome.Kind.APPLIED ? targets.size() : 0);
        }
    }

    /**
     * What one {@link #commit} writes.
     *
     * @param entries     the outcomes, in the order they were produced (may be empty when the batch
     *                    only moves checkpoints)
     * @param checkpoints per watch, its checkpoint after this batch (never lower than the stored one);
     *                    entries above their watch's checkpoint, or of a watch not named here, are marked
     *                    as recorded
     * @param latest      per watch, the outcome to store as its {@code latest} record
     */
    record Batch(List<Entry> entries, Map<String, Long> checkpoints, Map<String, Outcome> latest) {
        public Batch {
            entries = List.copyOf(entries);
            checkpoints = Map.copyOf(checkpoints);
            latest = Map.copyOf(latest);
        }

        /** A batch whose {@code latest} records are the last entry of each watch. */
        public Batch(List<Entry> entries, Map<String, Long> checkpoints) {
            this(entries, checkpoints, lastPerWatch(entries));
        }

        private static Map<String, Outcome> lastPerWatch(List<Entry> entries) {
            Map<String, Outcome> last = new java.util.LinkedHashMap<>();
            for (Entry e : entries) {
                last.put(e.outcome().watch(), e.outcome());
            }
            return last;
        }
    }
}
