package dev.cicd.core;

import java.util.Objects;

/**
 * The one unchecked exception of the SDK. {@link #code()} is machine-readable; the message names the
 * context (watch, key, revision, template name and line, field and value).
 */
public class CicdException extends RuntimeException {

    /** What went wrong, for callers that branch on it. */
    public enum Code {
        /** A trigger value is not the JSON the template or action expects. */
        BAD_PAYLOAD,
        /** A template is missing, does not parse, or uses an undefined variable. */
        TEMPLATE,
        /** A field failed validation (name, image reference, allow-list). */
        INVALID_FIELD,
        /** Configuration is wrong (unknown action, missing watch, bad option). */
        CONFIG,
        /** An action could not be carried out. */
        ACTION,
        /** The trigger store (etcd) failed or is unreachable. */
        SOURCE,
        /** This runner no longer owns what it tried to write (a deposed leader): another runner does now. */
        FENCED,
        /** The current thread was interrupted while waiting. */
        INTERRUPTED,
        /** Anything else. */
        INTERNAL
    }

    private final Code code;

    public CicdException(Code code, String message) {
        super(message);
        this.code = Objects.requireNonNull(code, "code");
    }

    public CicdException(Code code, String message, Throwable cause) {
        super(message, cause);
        this.code = Objects.requireNonNull(code, "code");
    }

    public Code code() {
        return code;
    }

    /** Wraps an interrupt, restoring the thread's interrupt flag. */
    public static CicdException interrupted(String what, InterruptedException e) {
        Thread.currentThread().interrupt();
        return new CicdException(Code.INTERRUPTED, "interrupted while " + what, e);
    }
}
