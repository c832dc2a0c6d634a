package dev.cicd.core;

import java.util.List;

/**
 * Receives every outcome (status store, run log, metrics). A sink that throws is logged and skipped;
 * it never stops the pipeline or the other sinks.
 */
public interface OutcomeSink {

    void onOutcome(Outcome outcome);

    /**
     * The outcome with the targets its event changed (or would have: {@code namespace/deployment}s, the
     * watch's target expression, or the key), as the pipeline tells it. Default: {@link #onOutcome(Outcome)}.
     */
    default void onOutcome(Outcome outcome, List<String> targets) {
        onOutcome(outcome);
    }

    /** An event arrived from the source (before it is rendered); for arrival times and counts. Keep it cheap. */
    default void onReceived(TriggerEvent event) {
    }

    /**
     * The action of an event started ({@link Progress#STARTED}) or reported progress; told on the action's
     * thread, so keep it cheap and hand anything slow to another thread.
     */
    default void onProgress(Progress progress) {
    }

    /** Source notices (gaps, resets, reconnects). */
    default void onNotice(SourceNotice notice) {
    }
}
