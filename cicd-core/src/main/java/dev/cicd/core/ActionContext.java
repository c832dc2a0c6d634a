package dev.cicd.core;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * What an action gets besides the plan.
 *
 * @param watch   the watch the plan belongs to
 * @param timeout how long the action may take; it must give up (and kill what it started) after it
 * @param workDir  a directory the action may write files into (plan files, scratch); it exists
 * @param progress where the action reports how far it got ({@link #report}); the pipeline records it as
 *                 the event's in-progress status
 */
public record ActionContext(WatchSpec watch, Duration timeout, Path workDir, ProgressListener progress) {
    public ActionContext {
        Objects.requireNonNull(watch, "watch");
        Objects.requireNonNull(timeout, "timeout");
        Objects.requireNonNull(workDir, "workDir");
        progress = progress == null ? ProgressListener.NONE : progress;
    }

    /** A context whose progress reports go nowhere. */
    public ActionContext(WatchSpec watch, Duration timeout, Path workDir) {
        this(watch, timeout, workDir, ProgressListener.NONE);
    }

    /**
     * Reports how far the action got: {@code step} what it does now, {@code detail} one short line (e.g.
     * {@code "2/3 replicas updated"}). Cheap and never blocks or throws: report whenever it changes.
     */
    public void report(String step, String detail) {
        try {
            progress.onProgress(step, detail);
        } catch (RuntimeException e) {
            // best-effort: a failing listener never fails the action
        }
    }

    /** Receives an action's progress reports. */
    @FunctionalInterface
    public interface ProgressListener {
        /** Ignores every report. */
        ProgressListener NONE = (step, detail) -> { };

        void onProgress(String step, String detail);
    }
}
