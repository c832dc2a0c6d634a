package dev.cicd.core;

/**
 * Receives every outcome (status store, run log, metrics). A sink that throws is logged and skipped;
 * it never stops the pipeline or the other sinks.
 */
public interface OutcomeSink {

    void onOutcome(Outcome outcome);

    /** Source notices (gaps, resets, reconnects). */
    default void onNotice(SourceNotice notice) {
    }
}
