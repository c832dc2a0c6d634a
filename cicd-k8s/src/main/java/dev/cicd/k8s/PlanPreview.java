package dev.cicd.k8s;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What a kubernetes plan would do, found without acting ({@link KubernetesAction#preview}): the plan is
 * parsed and checked against the action's allow-lists; when the cluster answers, each step is compared
 * with the live objects ({@code kubectl diff} style lines).
 *
 * @param rejection   why the plan would be rejected (nothing would run); empty when it passes the checks
 * @param changes     per step, what it would change ({@code ~ deployment ns/app container c: image OLD -> NEW}),
 *                    or that it is in sync; empty when rejected
 * @param liveState   empty when the live objects were read, else why they could not be (no cluster configured,
 *                    unreachable): the changes then only restate the steps
 */
public record PlanPreview(Optional<String> rejection, List<String> changes, Optional<String> liveState) {

    public PlanPreview {
        Objects.requireNonNull(rejection, "rejection");
        changes = List.copyOf(changes);
        Objects.requireNonNull(liveState, "liveState");
    }

    public static PlanPreview rejected(String reason) {
        return new PlanPreview(Optional.of(reason), List.of(), Optional.empty());
    }

    /** Whether the live state was read and no step would change it. */
    public boolean inSync() {
        return rejection.isEmpty() && liveState.isEmpty() && changes.stream().noneMatch(c -> c.startsWith("~")
                || c.startsWith("+") || c.startsWith("!"));
    }
}
