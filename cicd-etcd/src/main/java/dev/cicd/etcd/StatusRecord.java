package dev.cicd.etcd;

import dev.cicd.core.Outcome;
import dev.cicd.etcd.internal.StatusJson;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The status record of one event, as stored at {@code <statusPrefix>/<watch>/<revision>} and
 * {@code <statusPrefix>/<watch>/latest} (JSON; absent values are JSON {@code null}; {@code outcome} is the
 * lower-case label {@code applied}, {@code in-sync}, {@code rejected} or {@code failed}; times are
 * ISO-8601).
 *
 * @param watch       the watch name
 * @param key         the trigger key
 * @param revision    the trigger's revision
 * @param requestId   the payload's {@code requestId}, when present
 * @param outcome     what happened
 * @param reason      empty when applied or in sync
 * @param fingerprint the plan's fingerprint, when a plan was rendered
 * @param exitCode    the process exit code, when there was a process
 * @param started     when processing started
 * @param finished    when it ended
 * @param runnerId    the runner that processed the event
 * @param runLog      the run-log file, when one was written
 */
public record StatusRecord(
        String watch,
        String key,
        long revision,
        Optional<String> requestId,
        Outcome.Kind outcome,
        String reason,
        Optional<String> fingerprint,
        OptionalInt exitCode,
        Instant started,
        Instant finished,
        String runnerId,
        Optional<String> runLog) {

    public StatusRecord {
        Objects.requireNonNull(watch, "watch");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(outcome, "outcome");
        Objects.requireNonNull(started, "started");
        Objects.requireNonNull(finished, "finished");
        Objects.requireNonNull(runnerId, "runnerId");
        requestId = requestId == null ? Optional.empty() : requestId;
        reason = reason == null ? "" : reason;
        fingerprint = fingerprint == null ? Optional.empty() : fingerprint;
        exitCode = exitCode == null ? OptionalInt.empty() : exitCode;
        runLog = runLog == null ? Optional.empty() : runLog;
        if (revision <= 0) {
            throw new IllegalArgumentException("revision must be > 0, was " + revision + " (key " + key + ")");
        }
    }

    /** The record of an outcome. */
    public static StatusRecord of(Outcome outcome, String runnerId) {
        return new StatusRecord(outcome.watch(), outcome.event().key(), outcome.revision(), outcome.requestId(),
                outcome.kind(), outcome.reason(), outcome.fingerprint(), outcome.exitCode(), outcome.started(),
                outcome.finished(), runnerId, outcome.runLog().map(Object::toString));
    }

    /** The JSON form stored in etcd. */
    public String toJson() {
        return StatusJson.write(this);
    }

    /**
     * Parses a stored record.
     *
     * @throws IllegalArgumentException when the text is not a status record
     */
    public static StatusRecord fromJson(String json) {
        return StatusJson.read(json);
    }
}
