package dev.cicd.etcd;

import dev.cicd.etcd.internal.StatusJson;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * The in-progress status record of an event whose action runs, stored at the same key as its final
 * {@link StatusRecord} ({@code <statusPrefix>/<watch>/<revision>}), which replaces it. JSON:
 * {@code {"watch","key","revision","requestId","outcome":"in-progress","step","detail","started","updated","runnerId"}}.
 * Written by the leader only (fenced), asynchronously and best-effort, and never over a final record.
 *
 * @param watch     the watch name
 * @param key       the trigger key
 * @param revision  the trigger's revision
 * @param requestId the payload's {@code requestId}, when present
 * @param step      what the action does now ({@code started}, {@code waitForRollout ns/app}, ...)
 * @param detail    one short line ({@code "2/3 replicas updated"}), may be empty
 * @param started   when the action started
 * @param updated   when this record was made
 * @param runnerId  the runner running the action
 */
public record ProgressRecord(String watch, String key, long revision, Optional<String> requestId, String step,
                             String detail, Instant started, Instant updated, String runnerId) {

    /** The {@code outcome} field of an in-progress record. */
    public static final String OUTCOME = "in-progress";

    public ProgressRecord {
        Objects.requireNonNull(watch, "watch");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(step, "step");
        Objects.requireNonNull(started, "started");
        Objects.requireNonNull(updated, "updated");
        Objects.requireNonNull(runnerId, "runnerId");
        requestId = requestId == null ? Optional.empty() : requestId;
        detail = detail == null ? "" : detail;
        if (revision <= 0) {
            throw new IllegalArgumentException("revision must be > 0, was " + revision + " (key " + key + ")");
        }
    }

    /** One line for people: {@code in-progress: waitForRollout ns/app: 2/3 replicas updated (runner r1)}. */
    public String describe() {
        return OUTCOME + ": " + step + (detail.isEmpty() ? "" : ": " + detail) + " (runner " + runnerId + ")";
    }

    public String toJson() {
        return StatusJson.write(this);
    }

    /**
     * Parses a stored in-progress record.
     *
     * @throws IllegalArgumentException when the text is not one
     */
    public static ProgressRecord fromJson(String json) {
        return StatusJson.readProgress(json);
    }

    /** Whether a stored status value is an in-progress record (not a final one). */
    public static boolean isProgress(String json) {
        return StatusJson.isProgress(json);
    }
}
