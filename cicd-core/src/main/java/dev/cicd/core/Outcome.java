package dev.cicd.core;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The one recorded result of one event.
 *
 * @param event       the event
 * @param kind        applied, in-sync, rejected, failed or superseded
 * @param reason      empty when applied or in sync; otherwise a sentence naming the cause
 * @param fingerprint the plan's fingerprint, or empty when no plan was rendered
 * @param exitCode    a process exit code, when there was a process
 * @param output      what the action printed or logged
 * @param requestId   the payload's {@code requestId} field, when present
 * @param started     when processing of the event started
 * @param finished    when it ended
 * @param runLog      the run-log file written for this event, when one was
 */
public record Outcome(
        TriggerEvent event,
        Kind kind,
        String reason,
        Optional<String> fingerprint,
        OptionalInt exitCode,
        String output,
        Optional<String> requestId,
        Instant started,
        Instant finished,
        Optional<Path> runLog) {

    /** The outcomes. {@link #label()} gives the lower-case name used in status records and metrics. */
    public enum Kind {
        APPLIED("applied"),
        IN_SYNC("in-sync"),
        REJECTED("rejected"),
        FAILED("failed"),
        /** Coalescing on: a newer value for the same target was queued, and only that one ran. */
        SUPERSEDED("superseded");

        private final String label;

        Kind(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }

        /** The kind for a label ({@code in-sync}) or a constant name ({@code IN_SYNC}). */
        public static Kind parse(String s) {
            for (Kind k : values()) {
                if (k.label.equalsIgnoreCase(s) || k.name().equalsIgnoreCase(s)) {
                    return k;
                }
            }
            throw new IllegalArgumentException("outcome must be one of applied, in-sync, rejected, failed, superseded; was '" + s + "'");
        }
    }

    /** The longest reason kept: 2,000 characters (a payload can end up in a reason; it is stored and logged). */
    public static final int MAX_REASON = 2_000;
    /** The longest output kept: the last 64 Ki characters. */
    public static final int MAX_OUTPUT = 64 * 1024;
    /** The longest request id kept: 128 characters. */
    public static final int MAX_REQUEST_ID = 128;

    /**
     * Payload-derived text is capped ({@link #MAX_REASON}, {@link #MAX_OUTPUT}, {@link #MAX_REQUEST_ID}), so
     * no input can make a status record too large for the store or flood a log.
     */
    public Outcome {
        Objects.requireNonNull(event, "event");
        Objects.requireNonNull(kind, "kind");
        reason = head(reason == null ? "" : reason, MAX_REASON);
        fingerprint = fingerprint == null ? Optional.empty() : fingerprint;
        exitCode = exitCode == null ? OptionalInt.empty() : exitCode;
        output = tail(output == null ? "" : output, MAX_OUTPUT);
        requestId = requestId == null ? Optional.empty() : requestId.map(id -> head(id, MAX_REQUEST_ID));
        Objects.requireNonNull(started, "started");
        Objects.requireNonNull(finished, "finished");
        runLog = runLog == null ? Optional.empty() : runLog;
        if ((kind == Kind.REJECTED || kind == Kind.FAILED || kind == Kind.SUPERSEDED) && reason.isBlank()) {
            throw new IllegalArgumentException(kind + " outcome needs a reason (event " + event + ")");
        }
    }

    private static String head(String s, int max) {
        if (s.length() <= max) {
            return s;
        }
        String more = "... (" + (s.length() - max) + " more characters)";
        return s.substring(0, max - more.length()) + more;
    }

    private static String tail(String s, int max) {
        if (s.length() <= max) {
            return s;
        }
        String cut = "(" + (s.length() - max) + " earlier characters cut) ...";
        return cut + s.substring(s.length() - max + cut.length());
    }

    /** The watch name. */
    public String watch() {
        return event.watch();
    }

    /** The event's revision. */
    public long revision() {
        return event.modRevision();
    }

    /** Whether the deployment is where the trigger asked (applied or already in sync). */
    public boolean succeeded() {
        return kind == Kind.APPLIED || kind == Kind.IN_SYNC;
    }

    /** A copy with the run-log path set. */
    public Outcome withRunLog(Path path) {
        return new Outcome(event, kind, reason, fingerprint, exitCode, output, requestId, started, finished,
                Optional.of(path));
    }
}
