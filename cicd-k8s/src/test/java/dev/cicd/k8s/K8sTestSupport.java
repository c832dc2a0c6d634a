package dev.cicd.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cicd.core.ActionContext;
import dev.cicd.core.ActionResult;
import dev.cicd.core.Outcome;
import dev.cicd.core.Plan;
import dev.cicd.core.TriggerEvent;
import dev.cicd.core.WatchSpec;
import dev.cicd.k8s.internal.PlanRunner;
import dev.cicd.testkit.KubernetesFixture;
import dev.cicd.testkit.RequestLog;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/** Shared helpers of the tests against the simulated cluster. */
final class K8sTestSupport {

    static final String NS = "ns-demo1-dev";
    static final String REGISTRY = "registry.example.com/ns-demo";
    private static final AtomicLong REVISION = new AtomicLong();

    private K8sTestSupport() {
    }

    static ActionContext context(Path workDir) {
        return new ActionContext(WatchSpec.builder("rollout").prefix("/cicd/rollout").key("/trigger")
                .template("k8s-rollout.peb").action("kubernetes").build(), Duration.ofSeconds(30), workDir);
    }

    static Plan plan(String text) {
        return Plan.of(TriggerEvent.put("rollout", "/cicd/rollout/trigger", "{}", REVISION.incrementAndGet()), text);
    }

    static ActionResult run(KubernetesAction action, String planText, Path workDir) {
        return action.execute(plan(planText), context(workDir));
    }

    static String image(String app, String tag) {
        return REGISTRY + "/" + app + ":" + tag;
    }

    /** A Deployment {@code name} with one container {@code container} running {@code image}. */
    static Deployment deployment(String namespace, String name, String container, String image) {
        return new DeploymentBuilder()
                .withNewMetadata().withNamespace(namespace).withName(name).endMetadata()
                .withNewSpec().withReplicas(2)
                .withNewSelector().addToMatchLabels("app", name).endSelector()
                .withNewTemplate()
                .withNewMetadata().addToLabels("app", name).endMetadata()
                .withNewSpec()
                .addNewContainer().withName("sidecar").withImage(REGISTRY + "/sidecar:1").endContainer()
                .addNewContainer().withName(container).withImage(image).endContainer()
                .endSpec()
                .endTemplate()
                .endSpec()
                .build();
    }

    /** Creates the Deployment and waits (through the action) until its first rollout is complete. */
    static void create(KubernetesClient client, KubernetesAction action, Path workDir, Deployment d) {
        client.apps().deployments().inNamespace(d.getMetadata().getNamespace()).resource(d).create();
        ActionResult r = run(action, waitPlan(d.getMetadata().getNamespace(), d.getMetadata().getName()), workDir);
        assertEquals(Outcome.Kind.IN_SYNC, verdict(r), r.reason() + "\n" + r.output());
    }

    /** The verdict of a result; an {@code IN_SYNC} one must also say so in its output's last line. */
    static Outcome.Kind verdict(ActionResult r) {
        if (r.kind() == Outcome.Kind.IN_SYNC) {
            assertTrue(r.output().endsWith(PlanRunner.IN_SYNC_LINE + "\n"), r.output());
        }
        return r.kind();
    }

    /** The PATCH requests of the fixture's request log. */
    static List<RequestLog.Request> patches(KubernetesFixture k8s) {
        return k8s.requestLog().requests().stream().filter(q -> q.method().equals("PATCH")).toList();
    }

    static String undoPlan(String ns, String deployment) {
        return "steps:\n  - rolloutUndo: {namespace: \"" + ns + "\", deployment: \"" + deployment + "\"}\n"
                + "  - waitForRollout: {namespace: \"" + ns + "\", deployment: \"" + deployment + "\", timeout: \"10s\"}\n";
    }

    static String setImagePlan(String ns, String deployment, String container, String image, String cause) {
        return "steps:\n  - setImage: {namespace: \"" + ns + "\", deployment: \"" + deployment + "\", container: \""
                + container + "\", image: \"" + image + "\"" + (cause == null ? "" : ", changeCause: \"" + cause + "\"")
                + "}\n";
    }

    static String waitPlan(String ns, String deployment) {
        return "steps:\n  - waitForRollout: {namespace: \"" + ns + "\", deployment: \"" + deployment + "\", timeout: \"10s\"}\n";
    }

    static String rolloutPlan(String ns, String deployment, String container, String image, String cause) {
        return setImagePlan(ns, deployment, container, image, cause)
                + "  - waitForRollout: {namespace: \"" + ns + "\", deployment: \"" + deployment + "\", timeout: \"10s\"}\n";
    }

    static String currentImage(KubernetesClient client, String ns, String name, String container) {
        return client.apps().deployments().inNamespace(ns).withName(name).get().getSpec().getTemplate().getSpec()
                .getContainers().stream().filter(c -> c.getName().equals(container)).findFirst().orElseThrow().getImage();
    }
}
