package dev.cicd.k8s;

import java.util.Locale;

/** What a {@link KubernetesAction} does when a {@code waitForRollout} step fails. */
public enum OnFailure {
    /** Report {@code FAILED} and leave the Deployment as it is. */
    NONE,
    /**
     * Undo to exactly the revision recorded before this plan's {@code setImage} of that Deployment, wait
     * for that rollout, and report {@code FAILED} with "rolled back to N" in the reason.
     */
    UNDO;

    /** {@code none} or {@code undo}, in any case. */
    public static OnFailure parse(String s) {
        if (s != null) {
            String t = s.trim().toUpperCase(Locale.ROOT);
            for (OnFailure f : values()) {
                if (f.name().equals(t)) {
                    return f;
                }
            }
        }
        throw new IllegalArgumentException("onFailure must be 'none' or 'undo', was '" + s + "'");
    }
}
