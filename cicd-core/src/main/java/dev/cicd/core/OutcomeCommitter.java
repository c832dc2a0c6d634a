package dev.cicd.core;

import java.util.Optional;

/**
 * Records the durable effect of one outcome in a single step: the applied fingerprint (only when the
 * outcome is {@code APPLIED}), the status record and the checkpoint. A store that can do this
 * atomically (an etcd transaction) makes a crash between the three impossible: after a restart an event
 * is either fully recorded or replayed.
 *
 * <p>When a pipeline has a committer it calls {@link #commit} instead of
 * {@link Deduplicator#recordApplied} and {@link CheckpointStore#save}.
 */
public interface OutcomeCommitter {

    /**
     * @param outcome the outcome, with its run-log path when one was written
     * @param plan    the plan, when one was rendered
     * @throws CicdException when the state could not be written (for example a deposed leader); the
     *                       pipeline logs it and stops acting on the watch
     */
    void commit(Outcome outcome, Optional<Plan> plan);
}
