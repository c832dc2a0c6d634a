package dev.cicd.k8s;

import static dev.cicd.k8s.K8sTestSupport.NS;
import static dev.cicd.k8s.K8sTestSupport.create;
import static dev.cicd.k8s.K8sTestSupport.currentImage;
import static dev.cicd.k8s.K8sTestSupport.deployment;
import static dev.cicd.k8s.K8sTestSupport.image;
import static dev.cicd.k8s.K8sTestSupport.patches;
import static dev.cicd.k8s.K8sTestSupport.rolloutPlan;
import static dev.cicd.k8s.K8sTestSupport.run;
import static dev.cicd.k8s.K8sTestSupport.setImagePlan;
import static dev.cicd.k8s.K8sTestSupport.verdict;
import static dev.cicd.k8s.K8sTestSupport.waitPlan;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cicd.core.ActionResult;
import dev.cicd.core.Outcome;
import dev.cicd.k8s.internal.RolloutStatus;
import dev.cicd.testkit.KubernetesBackend;
import dev.cicd.testkit.KubernetesFixture;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * "In sync" means the cluster is in sync: a plan is in sync only when no step changed anything and the
 * Deployments are at the asked image <em>and</em> rolled out. Rollouts take 1 s here, so a rollout started by
 * the test is still in progress when the next request arrives.
 */
class KubernetesActionInSyncTest {

    static KubernetesFixture k8s;
    static KubernetesClient client;
    static KubernetesAction action;

    @TempDir
    static Path work;

    @BeforeAll
    static void start() {
        k8s = KubernetesFixture.builder().backend(KubernetesBackend.SIMULATED).rolloutDelay(Duration.ofSeconds(1)).build();
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
    void setImageToTheImageAlreadyRolledOutIsInSyncAndSendsNoPatch() {
        create(client, action, work, deployment(NS, "steady", "app", image("steady", "v1")));
        k8s.requestLog().clear();
        ActionResult r = run(action, rolloutPlan(NS, "steady", "app", image("steady", "v1"), null), work);
        assertEquals(Outcome.Kind.IN_SYNC, verdict(r), r.reason() + "\n" + r.output());
        assertEquals(List.of(), patches(k8s));
        assertEquals(List.of(), k8s.requestLog().mutating());
        assertTrue(r.output().contains("already " + image("steady", "v1") + " and rolled out"), r.output());

        k8s.requestLog().clear();
        ActionResult alone = run(action, setImagePlan(NS, "steady", "app", image("steady", "v1"), null), work);
        assertEquals(Outcome.Kind.IN_SYNC, verdict(alone), alone.output());
        assertEquals(List.of("GET /apis/apps/v1/namespaces/" + NS + "/deployments/steady"),
                k8s.requestLog().requests().stream().map(Object::toString).toList(), "one read, no write");
    }

    @Test
    void setImageToTheCurrentImageWhileItsRolloutIsInProgressIsNotInSync() {
        create(client, action, work, deployment(NS, "moving", "app", image("moving", "v1")));
        startRolloutOutsideTheAction("moving", image("moving", "v2"));
        ActionResult r = run(action, setImagePlan(NS, "moving", "app", image("moving", "v2"), null), work);
        assertEquals(Outcome.Kind.APPLIED, verdict(r), "no wait in the plan, so the rollout was not seen complete: "
                + r.output());
        assertTrue(r.output().contains("rollout not complete"), r.output());
        assertEquals(List.of(), patches(k8s), "the image is already set; nothing to send");
    }

    @Test
    void setImageToTheImageBeingRolledOutWaitsWithItsPlanAndIsInSyncOnceRolledOutWithoutAPatch() {
        create(client, action, work, deployment(NS, "catching-up", "app", image("catching-up", "v1")));
        startRolloutOutsideTheAction("catching-up", image("catching-up", "v2"));
        ActionResult r = run(action, rolloutPlan(NS, "catching-up", "app", image("catching-up", "v2"), null), work);
        assertEquals(Outcome.Kind.IN_SYNC, verdict(r), r.reason() + "\n" + r.output());
        assertTrue(r.output().contains("rollout not complete"), "it found the rollout in progress: " + r.output());
        assertTrue(r.output().contains("successfully rolled out"), "and waited for it: " + r.output());
        assertEquals(List.of(), patches(k8s));
        assertEquals(RolloutStatus.State.DONE,
                RolloutStatus.of(client.apps().deployments().inNamespace(NS).withName("catching-up").get()).state());
    }

    @Test
    void aPlanThatOnlyReadsHistoryAndWaitsForACompleteRolloutIsInSync() {
        create(client, action, work, deployment(NS, "reader", "app", image("reader", "v1")));
        k8s.requestLog().clear();
        ActionResult r = run(action, "steps:\n  - rolloutHistory: {namespace: \"" + NS + "\", deployment: \"reader\"}\n"
                + waitPlan(NS, "reader").substring("steps:\n".length()), work);
        assertEquals(Outcome.Kind.IN_SYNC, verdict(r), r.reason() + "\n" + r.output());
        assertEquals(List.of(), k8s.requestLog().mutating());
    }

    @Test
    void onePatchedStepMakesThePlanAppliedAndOnlyThatDeploymentIsPatched() {
        create(client, action, work, deployment(NS, "pair-a", "app", image("pair-a", "v1")));
        create(client, action, work, deployment(NS, "pair-b", "app", image("pair-b", "v1")));
        k8s.requestLog().clear();
        ActionResult r = run(action, rolloutPlan(NS, "pair-a", "app", image("pair-a", "v1"), null)
                + rolloutPlan(NS, "pair-b", "app", image("pair-b", "v2"), null).substring("steps:\n".length()), work);
        assertEquals(Outcome.Kind.APPLIED, verdict(r), r.reason() + "\n" + r.output());
        assertEquals(List.of("/apis/apps/v1/namespaces/" + NS + "/deployments/pair-b"),
                patches(k8s).stream().map(p -> p.path()).toList());
        assertEquals(image("pair-b", "v2"), currentImage(client, NS, "pair-b", "app"));
    }

    @Test
    void applyThatReportsEveryObjectUnchangedIsInSync() {
        String plan = """
                steps:
                  - apply:
                      namespace: "ns-demo1-dev"
                      manifest: |
                        apiVersion: v1
                        kind: ConfigMap
                        metadata: {name: in-sync-config}
                        data: {greeting: hello}
                        ---
                        apiVersion: apps/v1
                        kind: Deployment
                        metadata: {name: in-sync-web}
                        spec:
                          replicas: 1
                          selector: {matchLabels: {app: in-sync-web}}
                          template:
                            metadata: {labels: {app: in-sync-web}}
                            spec:
                              containers: [{name: web, image: "registry.example.com/ns-demo/in-sync-web:v1"}]
                  - waitForRollout: {namespace: "ns-demo1-dev", deployment: "in-sync-web", timeout: "10s"}
                """;
        ActionResult first = run(action, plan, work);
        assertEquals(Outcome.Kind.APPLIED, verdict(first), first.reason() + "\n" + first.output());
        ActionResult again = run(action, plan, work);
        assertEquals(Outcome.Kind.IN_SYNC, verdict(again), again.reason() + "\n" + again.output());
        ActionResult changed = run(action, plan.replace("hello", "bonjour"), work);
        assertEquals(Outcome.Kind.APPLIED, verdict(changed), changed.output());
        assertTrue(changed.output().contains("configured ConfigMap " + NS + "/in-sync-config"), changed.output());
    }

    /** Sets the image with a JSON patch of the test's own (as kubectl would) and forgets the request log. */
    private static void startRolloutOutsideTheAction(String name, String image) {
        client.apps().deployments().inNamespace(NS).withName(name).patch(PatchContext.of(PatchType.JSON),
                "[{\"op\":\"replace\",\"path\":\"/spec/template/spec/containers/1/image\",\"value\":\"" + image + "\"}]");
        k8s.requestLog().clear();
    }
}
