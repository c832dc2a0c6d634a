package dev.cicd.core;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * What an action gets besides the plan.
 *
 * @param watch   the watch the plan belongs to
 * @param timeout how long the action may take; it must give up (and kill what it started) after it
 * @param workDir a directory the action may write files into (plan files, scratch); it exists
 */
public record ActionContext(WatchSpec watch, Duration timeout, Path workDir) {
    public ActionContext {
        Objects.requireNonNull(watch, "watch");
        Objects.requireNonNull(timeout, "timeout");
        Objects.requireNonNull(workDir, "workDir");
    }
}
