package dev.cicd.core;

import java.util.Optional;

/**
 * Remembers, per target, the fingerprint of the last plan applied to it (by any watch). A plan is in
 * sync only when its fingerprint equals that one for every target it changes: a failed run never
 * blocks a retry of the same value, and any applied change to a target (by another watch, another
 * value) clears it, so a later plan with old text runs again.
 *
 * <p>The fingerprint is written by {@link StateStore#commit} with the {@code applied} outcome, in the
 * same atomic step as the status record and the checkpoint.
 */
public interface Deduplicator {

    /** The fingerprint of the plan last applied to the target, if any. */
    Optional<String> lastApplied(String target);

    /** Whether the plan was the last one applied to each of {@code targets}. */
    default boolean inSync(Plan plan, Iterable<String> targets) {
        boolean any = false;
        for (String t : targets) {
            any = true;
            if (!lastApplied(t).map(plan.fingerprint()::equals).orElse(false)) {
                return false;
            }
        }
        return any;
    }
}
