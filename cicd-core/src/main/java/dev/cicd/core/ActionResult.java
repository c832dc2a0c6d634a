package dev.cicd.core;

import java.util.Objects;
import java.util.OptionalInt;

/**
 * What an action reports. Build one with {@link #applied}, {@link #inSync}, {@link #rejected} or {@link #failed}.
 *
 * @param kind     {@code APPLIED}, {@code IN_SYNC} (only an action that {@link Action#comparesLiveState()
 *                 compares with the live state} and found nothing to change), {@code REJECTED} or
 *                 {@code FAILED}; {@code SUPERSEDED} is the pipeline's
 * @param reason   empty when applied; otherwise a sentence naming the cause
 * @param exitCode a process exit code, when there was a process
 * @param output   what the action printed or logged (combined output, API results)
 */
public record ActionResult(Outcome.Kind kind, String reason, OptionalInt exitCode, String output) {

    public ActionResult {
        Objects.requireNonNull(kind, "kind");
        if (kind == Outcome.Kind.SUPERSEDED) {
            throw new IllegalArgumentException("an action cannot report SUPERSEDED; the pipeline decides that");
        }
        reason = reason == null ? "" : reason;
        exitCode = exitCode == null ? OptionalInt.empty() : exitCode;
        output = output == null ? "" : output;
        if ((kind == Outcome.Kind.REJECTED || kind == Outcome.Kind.FAILED) && reason.isBlank()) {
            throw new IllegalArgumentException(kind + " needs a reason");
        }
    }

    public static ActionResult applied(String output) {
        return new ActionResult(Outcome.Kind.APPLIED, "", OptionalInt.empty(), output);
    }

    public static ActionResult applied(int exitCode, String output) {
        return new ActionResult(Outcome.Kind.APPLIED, "", OptionalInt.of(exitCode), output);
    }

    /** The live state already is what the plan asks for: nothing was changed. */
    public static ActionResult inSync(String output) {
        return new ActionResult(Outcome.Kind.IN_SYNC, "", OptionalInt.empty(), output);
    }

    /** Bad input: nothing was executed. */
    public static ActionResult rejected(String reason) {
        return new ActionResult(Outcome.Kind.REJECTED, reason, OptionalInt.empty(), "");
    }

    public static ActionResult failed(String reason, String output) {
        return new ActionResult(Outcome.Kind.FAILED, reason, OptionalInt.empty(), output);
    }

    public static ActionResult failed(String reason, int exitCode, String output) {
        return new ActionResult(Outcome.Kind.FAILED, reason, OptionalInt.of(exitCode), output);
    }
}
