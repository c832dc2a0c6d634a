package dev.cicd.k8s.internal;

/** A step could not be carried out; the message is the reason reported in the {@code FAILED} outcome. */
public final class StepFailure extends RuntimeException {

    private final boolean rolloutFailed;

    public StepFailure(String message) {
        this(message, false, null);
    }

    public StepFailure(String message, Throwable cause) {
        this(message, false, cause);
    }

    private StepFailure(String message, boolean rolloutFailed, Throwable cause) {
        super(message, cause);
        this.rolloutFailed = rolloutFailed;
    }

    /** A wait that ended without a complete rollout (deadline exceeded or timed out). */
    public static StepFailure rollout(String message) {
        return new StepFailure(message, true, null);
    }

    /** Whether a rollout was waited for and did not complete (the case {@code onFailure: undo} handles). */
    public boolean rolloutFailed() {
        return rolloutFailed;
    }
}
