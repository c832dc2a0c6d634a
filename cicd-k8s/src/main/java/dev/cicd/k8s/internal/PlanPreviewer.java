package dev.cicd.k8s.internal;

import dev.cicd.core.CicdException;
import dev.cicd.k8s.KubernetesPlan;
import dev.cicd.k8s.PlanPreview;
import dev.cicd.k8s.Step;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Previews a plan without acting: parse, check (allow-lists, manifests), then per step a read of the live
 * Deployment to say what would change. Sends only GETs.
 */
public final class PlanPreviewer {

    private final KubernetesClient client;
    private final PlanChecker checker;
    private final Revisions revisions;

    public PlanPreviewer(KubernetesClient client, ActionSettings settings) {
        this.client = client;
        this.checker = new PlanChecker(settings, client.getKubernetesSerialization());
        this.revisions = new Revisions(client, (target, operation) -> {
            throw new IllegalStateException("a preview never patches (" + operation + " " + target + ")");
        });
    }

    /**
     * The Deployment's rollout history (reads only).
     *
     * @throws StepFailure when the Deployment does not exist
     */
    public dev.cicd.k8s.DeploymentHistory history(String ns, String name) {
        return revisions.historyValue(ns, name);
    }

    public PlanPreview preview(String text, boolean readLiveState) {
        KubernetesPlan plan;
        try {
            plan = KubernetesPlan.parse(text);
        } catch (CicdException e) {
            return PlanPreview.rejected(e.getMessage());
        }
        return preview(plan, readLiveState);
    }

    public PlanPreview preview(KubernetesPlan plan, boolean readLiveState) {
        PlanChecker.Checked checked;
        try {
            checked = checker.check(plan);
        } catch (CicdException e) {
            return PlanPreview.rejected(e.getMessage());
        }
        List<Step> steps = checked.plan().steps();
        List<String> out = new ArrayList<>();
        Optional<String> live = readLiveState ? Optional.empty() : Optional.of("no cluster configured");
        for (int i = 0; i < steps.size(); i++) {
            Step step = steps.get(i);
            if (live.isPresent()) {
                out.add("  step " + (i + 1) + ": " + step.describe());
                continue;
            }
            try {
                out.add(compare(step, checked.manifests().getOrDefault(i, List.of()).size()));
            } catch (KubernetesClientException e) {
                live = Optional.of("the cluster did not answer: " + ApiErrors.describe(e));
                out.add("  step " + (i + 1) + ": " + step.describe());
            } catch (StepFailure e) {
                out.add("! " + step.describe() + ": " + e.getMessage());
            }
        }
        return new PlanPreview(Optional.empty(), out, live);
    }

    private String compare(Step step, int manifests) {
        if (step instanceof Step.SetImage s) {
            Deployment d = Rollouts.require(client, s.namespace(), s.deployment());
            List<Container> cs = d.getSpec() == null || d.getSpec().getTemplate() == null
                    || d.getSpec().getTemplate().getSpec() == null ? List.of() : d.getSpec().getTemplate().getSpec().getContainers();
            for (Container c : cs) {
                if (s.container().equals(c.getName())) {
                    if (s.image().equals(c.getImage())) {
                        return "= deployment " + s.target() + " container " + s.container() + ": image " + s.image()
                                + " (in sync)";
                    }
                    return "~ deployment " + s.target() + " container " + s.container() + ": image " + c.getImage()
                            + " -> " + s.image();
                }
            }
            throw new StepFailure("container " + s.container() + " not found in deployment " + s.target());
        }
        if (step instanceof Step.WaitForRollout w) {
            Deployment d = Rollouts.require(client, w.namespace(), w.deployment());
            return "  wait for the rollout of deployment " + w.target() + " (now: " + RolloutStatus.counts(d) + ")";
        }
        if (step instanceof Step.RolloutUndo u) {
            Rollouts.require(client, u.namespace(), u.deployment());
            return "~ deployment " + u.target() + ": roll back to "
                    + (u.toRevision().isPresent() ? "revision " + u.toRevision().getAsLong() : "the previous revision");
        }
        if (step instanceof Step.RolloutHistory h) {
            Rollouts.require(client, h.namespace(), h.deployment());
            return "  read the rollout history of deployment " + h.target();
        }
        return "~ " + step.describe() + " (" + manifests + " object(s), applied server-side)";
    }
}
