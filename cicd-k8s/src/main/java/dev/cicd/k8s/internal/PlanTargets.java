package dev.cicd.k8s.internal;

import dev.cicd.core.CicdException;
import dev.cicd.core.Plan;
import dev.cicd.k8s.KubernetesPlan;
import dev.cicd.k8s.Step;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * The targets a Kubernetes plan changes, read from the plan text alone (no request, no file read):
 * <ul>
 *   <li>{@code setImage}, {@code rolloutHistory}, {@code rolloutUndo}, {@code waitForRollout}: their
 *       {@code namespace/deployment};</li>
 *   <li>{@code apply} with an inline {@code manifest}: {@code namespace/name} of each Deployment in it
 *       (namespace from the object, else {@code apply.namespace}); when it holds no Deployment, its
 *       {@code apply.namespace};</li>
 *   <li>{@code apply} of a {@code path}: the files are not read here (they are read when the plan runs,
 *       and may change until then), so the target is the bare {@code apply.namespace}.</li>
 * </ul>
 * An {@code apply} whose target cannot be told this way (no namespace given) contributes the rendered
 * plan's own {@link Plan#targets()}. The action still locks every Deployment found in the manifests
 * when it runs; targets only decide which events run one at a time.
 */
public final class PlanTargets {

    private PlanTargets() {
    }

    /**
     * @throws CicdException {@link CicdException.Code#BAD_PAYLOAD} with the parser's message when the text
     *                       is not a valid plan (bad YAML, an unknown step or field, an invalid field, a
     *                       bad inline manifest)
     */
    public static SortedSet<String> of(Plan plan, KubernetesSerialization serialization) {
        KubernetesPlan parsed;
        try {
            parsed = KubernetesPlan.parse(plan.text());
        } catch (CicdException e) {
            throw badPayload(e);
        }
        SortedSet<String> out = new TreeSet<>();
        for (Step step : parsed.steps()) {
            if (step instanceof Step.OnDeployment d) {
                out.add(d.target());
            } else if (step instanceof Step.Apply a) {
                Set<String> found = a.manifest().isPresent()
                        ? inlineDeployments(a, a.manifest().get(), serialization) : Set.of();
                if (!found.isEmpty()) {
                    out.addAll(found);
                } else if (a.namespace().isPresent()) {
                    out.add(a.namespace().get());
                } else {
                    out.addAll(plan.targets());
                }
            }
        }
        return out;
    }

    private static Set<String> inlineDeployments(Step.Apply a, String manifest, KubernetesSerialization serialization) {
        Set<String> out = new TreeSet<>();
        try {
            for (Manifests.Item item : Manifests.parse("apply.manifest", manifest, serialization)) {
                if (item.object() instanceof Deployment d) {
                    String ns = d.getMetadata().getNamespace();
                    if (ns == null || ns.isEmpty()) {
                        ns = a.namespace().orElse(null);
                    }
                    if (ns == null) {
                        return Set.of(); // the checker rejects it when the plan runs
                    }
                    out.add(ns + "/" + d.getMetadata().getName());
                }
            }
        } catch (CicdException e) {
            throw badPayload(e);
        }
        return out;
    }

    private static CicdException badPayload(CicdException e) {
        return e.code() == CicdException.Code.BAD_PAYLOAD
                ? e : new CicdException(CicdException.Code.BAD_PAYLOAD, e.getMessage(), e);
    }
}
