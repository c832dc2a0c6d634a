package dev.cicd.k8s;

import static dev.cicd.k8s.K8sTestSupport.NS;
import static dev.cicd.k8s.K8sTestSupport.create;
import static dev.cicd.k8s.K8sTestSupport.currentImage;
import static dev.cicd.k8s.K8sTestSupport.deployment;
import static dev.cicd.k8s.K8sTestSupport.image;
import static dev.cicd.k8s.K8sTestSupport.patches;
import static dev.cicd.k8s.K8sTestSupport.rolloutPlan;
import static dev.cicd.k8s.K8sTestSupport.run;
import static dev.cicd.k8s.K8sTestSupport.undoPlan;
import static dev.cicd.k8s.K8sTestSupport.verdict;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cicd.core.ActionResult;
import dev.cicd.core.Outcome;
import dev.cicd.core.Plan;
import dev.cicd.testkit.KubernetesBackend;
import dev.cicd.testkit.KubernetesFixture;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code rolloutUndo} always acts, like {@code kubectl rollout undo}, and a redeploy after an undo is not in sync. */
class KubernetesActionUndoTest {

    static KubernetesFixture k8s;
    static KubernetesClient client;
    static KubernetesAction action;

    @TempDir
    static Path work;

    @BeforeAll
    static void start() {
        k8s = KubernetesFixture.builder().backend(KubernetesBackend.SIMULATED).rolloutDelay(Duration.ofMillis(100)).build();
        client = k8s.client();
        action = KubernetesAction.builder(client).allowedNamespaces(Set.of(NS))
                .pollInterval(Duration.ofMillis(50)).defaultWaitTimeout(Duration.ofSeconds(10)).build();
    }

    @AfterAll
    static void stop() {
        if (k8s != null) {
            k8s.close();
        }
    }

    @Test
    void deployV1V2V3ThenUndoGoesToV2AndUndoAgainGoesBackToTheNewerV3() {
        String name = "undo-twice";
        create(client, action, work, deployment(NS, name, "app", image(name, "v1")));
        assertEquals(Outcome.Kind.APPLIED, verdict(run(action, rolloutPlan(NS, name, "app", image(name, "v2"), null), work)));
        assertEquals(Outcome.Kind.APPLIED, verdict(run(action, rolloutPlan(NS, name, "app", image(name, "v3"), null), work)));

        k8s.requestLog().clear();
        ActionResult first = run(action, undoPlan(NS, name), work);
        assertEquals(Outcome.Kind.APPLIED, verdict(first), first.reason() + "\n" + first.output());
        assertEquals(image(name, "v2"), currentImage(client, NS, name, "app"));
        assertEquals("4", revision(name), "the reused ReplicaSet of v2 moves to the next revision");
        assertEquals(1, patches(k8s).size(), patches(k8s).toString());

        k8s.requestLog().clear();
        ActionResult second = run(action, undoPlan(NS, name), work);
        assertEquals(Outcome.Kind.APPLIED, verdict(second), second.reason() + "\n" + second.output());
        assertTrue(second.output().contains("rolled back to revision 3"), second.output());
        assertEquals(image(name, "v3"), currentImage(client, NS, name, "app"), "undo twice returns to the newer image");
        assertEquals("5", revision(name));
        assertEquals(1, patches(k8s).size(), "the same undo plan acts again: " + patches(k8s));
    }

    @Test
    void deployV7ThenUndoThenDeployV7AgainIsAppliedAndEndsAtV7() {
        create(client, action, work, deployment(NS, "demo1-web", "web", image("demo1-web", "v6")));
        String payload = BuiltInTemplatesTest.trigger("deploy", NS, "demo1", "web", "v7");
        Plan deploy1 = BuiltInTemplatesTest.render(BuiltInTemplatesTest.ROLLOUT, payload, 21);
        ActionResult first = action.execute(deploy1, K8sTestSupport.context(work));
        assertEquals(Outcome.Kind.APPLIED, verdict(first), first.reason() + "\n" + first.output());
        assertEquals(image("demo1-web", "v7"), currentImage(client, NS, "demo1-web", "web"));

        Plan undo = BuiltInTemplatesTest.render(BuiltInTemplatesTest.UNDO, payload.replace("deploy", "undo"), 22);
        ActionResult undone = action.execute(undo, K8sTestSupport.context(work));
        assertEquals(Outcome.Kind.APPLIED, verdict(undone), undone.reason() + "\n" + undone.output());
        assertEquals(image("demo1-web", "v6"), currentImage(client, NS, "demo1-web", "web"));

        Plan deploy2 = BuiltInTemplatesTest.render(BuiltInTemplatesTest.ROLLOUT, payload, 23);
        assertEquals(deploy1.fingerprint(), deploy2.fingerprint(), "the plan text cannot tell the two deploys apart");
        assertTrue(action.comparesLiveState(), "so the pipeline must ask the action");
        k8s.requestLog().clear();
        ActionResult second = action.execute(deploy2, K8sTestSupport.context(work));
        assertEquals(Outcome.Kind.APPLIED, verdict(second), "the cluster runs v6, so v7 is not in sync: "
                + second.output());
        assertEquals(image("demo1-web", "v7"), currentImage(client, NS, "demo1-web", "web"));
        assertEquals(1, patches(k8s).size(), patches(k8s).toString());
    }

    private static String revision(String name) {
        return client.apps().deployments().inNamespace(NS).withName(name).get().getMetadata().getAnnotations()
                .get("deployment.kubernetes.io/revision");
    }
}
