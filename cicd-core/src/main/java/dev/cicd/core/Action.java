package dev.cicd.core;

import java.util.Set;

/**
 * Carries out a plan. Implementations return a result value for every expected failure (bad input ->
 * {@link ActionResult#rejected}, a failing command or API call -> {@link ActionResult#failed}); an
 * exception thrown anyway is turned into a {@code FAILED} outcome by the pipeline.
 */
@FunctionalInterface
public interface Action {

    ActionResult execute(Plan plan, ActionContext context);

    /**
     * The targets the plan changes, when the action can tell them from the plan itself (a Kubernetes
     * plan names its {@code namespace/deployment}s). Events of one target run one at a time in
     * revision order; events of different targets run in parallel. Empty (the default) means "use
     * {@link Plan#targets()}", which the renderer filled from the watch's target expression or the key.
     *
     * @throws CicdException {@link CicdException.Code#BAD_PAYLOAD} when the plan cannot be read; the
     *                       event is then {@code rejected} without running
     */
    default Set<String> targets(Plan plan) {
        return Set.of();
    }

    /**
     * Whether {@link #targets} may name targets of its own. False for an action that never does (its
     * events' targets are then the watch's target expression or the key): a sharded runner can tell an
     * event of such a watch without a target expression is another runner's from its key alone, without
     * rendering it. Default: true (always render). A wrapping action must pass its delegate's answer on.
     */
    default boolean namesTargets() {
        return true;
    }

    /**
     * Whether the action decides "in sync" itself by comparing with the live state of its targets
     * (a Kubernetes {@code setImage} whose image is already rolled out). When true the pipeline does not
     * skip a plan because an earlier plan had the same text: the action is always asked.
     */
    default boolean comparesLiveState() {
        return false;
    }
}
