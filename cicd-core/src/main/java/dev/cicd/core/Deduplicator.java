package dev.cicd.core;

import java.util.Optional;

/**
 * Remembers the fingerprint of the last plan successfully applied per watch. A plan is in sync only
 * when its fingerprint equals that one: a failed run never blocks a retry of the same value.
 */
public interface Deduplicator {

    /** The fingerprint last applied successfully for the watch, if any. */
    Optional<String> lastApplied(String watch);

    /** Records a successful application of the plan. */
    void recordApplied(Plan plan);

    /** Whether the plan equals the last one applied for its watch. */
    default boolean inSync(Plan plan) {
        return lastApplied(plan.watch()).map(plan.fingerprint()::equals).orElse(false);
    }
}
