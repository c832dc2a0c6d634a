package dev.cicd.k8s;

import dev.cicd.core.CicdException;
import dev.cicd.k8s.internal.PlanParser;
import java.util.List;
import java.util.Optional;

/**
 * A parsed Kubernetes plan: the steps a {@link KubernetesAction} carries out, in order.
 *
 * <p>The text form is YAML:
 * <pre>
 * onFailure: undo            # optional: none | undo (overrides the action's default)
 * steps:
 *   - setImage: {namespace: "ns", deployment: "demo1-gateway", container: "gateway",
 *                image: "registry.example.com/demo1-gateway:v7", changeCause: "..."}
 *   - waitForRollout: {namespace: "ns", deployment: "demo1-gateway", timeout: "5m"}
 * </pre>
 * A bare list of steps is accepted too. Unknown keys, duplicate keys and non-scalar values where a
 * scalar is expected are errors.
 *
 * @param steps     at least one step
 * @param onFailure the plan's own choice, overriding the action's default
 */
public record KubernetesPlan(List<Step> steps, Optional<OnFailure> onFailure) {

    public KubernetesPlan {
        steps = List.copyOf(steps);
        onFailure = onFailure == null ? Optional.empty() : onFailure;
        if (steps.isEmpty()) {
            throw new CicdException(CicdException.Code.INVALID_FIELD, "steps must list at least one step, was empty");
        }
    }

    public static KubernetesPlan of(Step... steps) {
        return new KubernetesPlan(List.of(steps), Optional.empty());
    }

    /**
     * Parses plan text.
     *
     * @throws CicdException {@link CicdException.Code#BAD_PAYLOAD} when the text is not the YAML shape of a
     *                       plan; {@link CicdException.Code#INVALID_FIELD} when a field is invalid (the
     *                       message names the step, the field and the value)
     */
    public static KubernetesPlan parse(String text) {
        return PlanParser.parse(text);
    }
}
