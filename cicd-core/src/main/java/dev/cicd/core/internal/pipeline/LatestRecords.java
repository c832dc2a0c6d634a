package dev.cicd.core.internal.pipeline;

import dev.cicd.core.Outcome;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which {@code latest} records the recorder's batches carrying checkpoints send: per watch, the newest outcome
 * not sent yet, never one older than a record already sent. Not thread-safe: the recorder calls it under its
 * queue's lock.
 */
final class LatestRecords {

    /** Per watch, the newest outcome written without its latest record. */
    private final Map<WatchProgress, Outcome> unsent = new LinkedHashMap<>();
    /** Per watch, the revision of the latest record sent last. */
    private final Map<WatchProgress, Long> sent = new HashMap<>();

    /** An outcome written without its latest record: the next batch carrying them sends it, unless a newer one was sent. */
    void leftBehind(WatchProgress watch, Outcome o) {
        if (o.revision() > sent.getOrDefault(watch, Long.MIN_VALUE)) {
            newer(unsent, watch, o);
        }
    }

    /** How many watches have a record waiting (each is an operation of the next batch carrying them). */
    int waiting() {
        return unsent.size();
    }

    /**
     * For a batch carrying checkpoints with these outcomes: the records it sends (the newest per watch of those
     * waiting and the batch's own, newer than the one sent last), counted as sent from now on.
     */
    Map<WatchProgress, Outcome> take(List<Map.Entry<WatchProgress, Outcome>> batch) {
        Map<WatchProgress, Outcome> latest = new LinkedHashMap<>(unsent);
        unsent.clear();
        batch.forEach(e -> newer(latest, e.getKey(), e.getValue()));
        latest.entrySet().removeIf(e -> e.getValue().revision() <= sent.getOrDefault(e.getKey(), Long.MIN_VALUE));
        latest.forEach((w, o) -> sent.merge(w, o.revision(), Math::max));
        return latest;
    }

    /** Records {@link #take taken} by a batch that was not written: waiting again. */
    void notSent(Map<WatchProgress, Outcome> latest) {
        latest.forEach((w, o) -> {
            sent.remove(w, o.revision());
            leftBehind(w, o);
        });
    }

    private static void newer(Map<WatchProgress, Outcome> latest, WatchProgress watch, Outcome o) {
        latest.merge(watch, o, (a, b) -> b.revision() >= a.revision() ? b : a);
    }
}
