package dev.cicd.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cicd.core.CicdException;
import dev.cicd.core.Plan;
import dev.cicd.core.TriggerEvent;
import dev.cicd.testkit.KubernetesBackend;
import dev.cicd.testkit.KubernetesFixture;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@link KubernetesAction#targets}: the {@code namespace/deployment}s a plan touches, read from the plan alone. */
class KubernetesActionTargetsTest {

    static KubernetesFixture k8s;
    static KubernetesAction action;

    @BeforeAll
    static void start() {
        k8s = KubernetesFixture.builder().backend(KubernetesBackend.SIMULATED).build();
        action = KubernetesAction.builder(k8s.client()).allowedNamespaces(Set.of("ns-demo1-dev")).build();
    }

    @AfterAll
    static void stop() {
        if (k8s != null) {
            k8s.close();
        }
    }

    @Test
    void theBuiltInRolloutAndUndoPlansTargetTheirNamespaceSlashAppSvcDeployment() {
        String payload = BuiltInTemplatesTest.trigger("deploy", "ns-demo1-dev", "demo1", "gateway", "v7");
        k8s.requestLog().clear();
        assertEquals(Set.of("ns-demo1-dev/demo1-gateway"),
                action.targets(BuiltInTemplatesTest.render(BuiltInTemplatesTest.ROLLOUT, payload, 5)));
        assertEquals(Set.of("ns-demo1-dev/demo1-gateway"), action.targets(BuiltInTemplatesTest.render(
                BuiltInTemplatesTest.UNDO, payload.replace("deploy", "undo"), 6)));
        assertEquals(List.of(), k8s.requestLog().requests(), "targets are read from the plan, not the cluster");
    }

    @Test
    void everyStepOfAPlanContributesItsDeployment() {
        Plan plan = plan("""
                steps:
                  - rolloutHistory: {namespace: "ns-a", deployment: "one"}
                  - setImage: {namespace: "ns-b", deployment: "two", container: "c", image: "r.example.com/two:v2"}
                  - waitForRollout: {namespace: "ns-b", deployment: "two"}
                  - rolloutUndo: {namespace: "ns-a", deployment: "three"}
                """);
        assertEquals(Set.of("ns-a/one", "ns-b/two", "ns-a/three"), action.targets(plan));
    }

    @Test
    void applyTargetsTheInlineDeploymentsElseTheApplyNamespaceElseThePlansOwnTargets() {
        assertEquals(Set.of("ns-a/web", "ns-b/api"), action.targets(plan("""
                steps:
                  - apply:
                      namespace: "ns-a"
                      manifest: |
                        {apiVersion: apps/v1, kind: Deployment, metadata: {name: web}}
                        ---
                        {apiVersion: apps/v1, kind: Deployment, metadata: {name: api, namespace: ns-b}}
                        ---
                        {apiVersion: v1, kind: ConfigMap, metadata: {name: settings}}
                """)));
        assertEquals(Set.of("ns-a"), action.targets(plan("""
                steps:
                  - apply: {path: "manifests/demo1", namespace: "ns-a"}
                """)), "a path is not read: its namespace");
        Plan unknown = plan("steps:\n  - apply: {path: \"manifests/demo1\"}\n");
        assertEquals(Set.copyOf(unknown.targets()), action.targets(unknown), "nothing known: the plan's own targets");
        assertEquals(List.of("/cicd/rollout/trigger"), unknown.targets());
    }

    @Test
    void aPlanThatDoesNotParseIsBadPayloadWithTheParsersMessage() {
        for (String text : List.of("steps: [", "steps:\n  - deleteEverything: {}\n", "just text",
                "steps:\n  - setImage: {namespace: \"ns\", deployment: \"d\", container: \"c\", image: \"v1; rm -rf /\"}\n",
                "steps:\n  - apply: {namespace: \"ns\", manifest: \"kind: [\"}\n")) {
            CicdException e = assertThrows(CicdException.class, () -> action.targets(plan(text)), text);
            assertEquals(CicdException.Code.BAD_PAYLOAD, e.code(), text);
            assertTrue(!e.getMessage().isBlank(), text);
            if (!text.contains("apply")) {
                CicdException parser = assertThrows(CicdException.class, () -> KubernetesPlan.parse(text));
                assertEquals(parser.getMessage(), e.getMessage(), text);
            }
        }
    }

    @Test
    void theActionComparesLiveStateSoThePipelineNeverSkipsItsPlansByFingerprint() {
        assertTrue(action.comparesLiveState());
    }

    private static Plan plan(String text) {
        return Plan.of(TriggerEvent.put("rollout", "/cicd/rollout/trigger", "{}", 1), text);
    }
}
