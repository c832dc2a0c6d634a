package dev.cicd.core;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * How far the action of one event got, while it runs: the first report when the action starts
 * ({@link #STARTED}), then whatever the action reports ({@code "2/3 replicas updated"}). Told to
 * {@link StateStore#progress} and {@link OutcomeSink#onProgress}; informational and best-effort: a lost
 * report changes nothing, and the event's {@link Outcome} always follows.
 *
 * @param event     the event whose action runs
 * @param requestId the payload's {@code requestId}, when present
 * @param step      what the action is doing now (e.g. {@code started}, {@code setImage ns/app},
 *                  {@code waitForRollout ns/app})
 * @param detail    one short line, empty when there is nothing more to say
 * @param started   when the action started
 * @param time      when this report was made
 */
public record Progress(TriggerEvent event, Optional<String> requestId, String step, String detail, Instant started,
                       Instant time) {

    /** The step of the first report of every event. */
    public static final String STARTED = "started";

    public Progress {
        Objects.requireNonNull(event, "event");
        Objects.requireNonNull(step, "step");
        Objects.requireNonNull(started, "started");
        Objects.requireNonNull(time, "time");
        requestId = requestId == null ? Optional.empty() : requestId;
        detail = detail == null ? "" : detail;
    }

    public String watch() {
        return event.watch();
    }

    public long revision() {
        return event.modRevision();
    }
}
