package dev.cicd.k8s;

import static dev.cicd.k8s.K8sTestSupport.NS;
import static dev.cicd.k8s.K8sTestSupport.create;
import static dev.cicd.k8s.K8sTestSupport.currentImage;
import static dev.cicd.k8s.K8sTestSupport.deployment;
import static dev.cicd.k8s.K8sTestSupport.image;
import static dev.cicd.k8s.K8sTestSupport.rolloutPlan;
import static dev.cicd.k8s.K8sTestSupport.run;
import static dev.cicd.k8s.K8sTestSupport.setImagePlan;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cicd.core.ActionResult;
import dev.cicd.core.Outcome;
import dev.cicd.testkit.KubernetesBackend;
import dev.cicd.testkit.KubernetesFixture;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Kubernetes steps against the testkit's simulated cluster. */
class KubernetesActionTest {

    static KubernetesFixture k8s;
    static KubernetesClient client;
    static KubernetesAction action;

    @TempDir
    static Path work;

    @BeforeAll
    static void start() {
        k8s = KubernetesFixture.builder().backend(KubernetesBackend.SIMULATED)
                .rolloutDelay(Duration.ofMillis(100)).failAfter(Duration.ofMillis(600)).build();
        client = k8s.client();
        action = KubernetesAction.builder(client).allowedNamespaces(Set.of(NS, "ns-other"))
                .pollInterval(Duration.ofMillis(50)).defaultWaitTimeout(Duration.ofSeconds(10)).manifestRoot(work).build();
    }

    @AfterAll
    static void stop() {
        if (k8s != null) {
            k8s.close();
        }
    }

    @AfterEach
    void clearFailures() {
        k8s.clearFailures();
    }

    @Test
    void setImageThenWaitIsAppliedAndTheImageAndChangeCauseAreStored() {
        create(client, action, work, deployment(NS, "demo1-gateway", "gateway", image("demo1-gateway", "v1")));
        ActionResult r = run(action, rolloutPlan(NS, "demo1-gateway", "gateway", image("demo1-gateway", "v7"),
                "ci build 7"), work);
        assertEquals(Outcome.Kind.APPLIED, r.kind(), r.reason() + "\n" + r.output());
        Deployment d = client.apps().deployments().inNamespace(NS).withName("demo1-gateway").get();
        assertEquals(image("demo1-gateway", "v7"), currentImage(client, NS, "demo1-gateway", "gateway"));
        assertEquals(image("sidecar", "1"),
                currentImage(client, NS, "demo1-gateway", "sidecar"), "only the named container changes");
        assertEquals("ci build 7", d.getMetadata().getAnnotations().get("kubernetes.io/change-cause"));
        assertEquals("2", d.getMetadata().getAnnotations().get("deployment.kubernetes.io/revision"));
        assertTrue(r.output().contains("[1/2] setImage " + NS + "/demo1-gateway"), r.output());
        assertTrue(r.output().contains("successfully rolled out"), r.output());
    }

    @Test
    void setImageIsOneReadAndOneJsonPatchAsFieldManagerCicdThenTheEvent() {
        create(client, action, work, deployment(NS, "one-patch", "app", image("one-patch", "v1")));
        k8s.requestLog().clear();
        ActionResult r = run(action, setImagePlan(NS, "one-patch", "app", image("one-patch", "v2"), null), work);
        assertEquals(Outcome.Kind.APPLIED, r.kind(), r.reason());
        String path = "/apis/apps/v1/namespaces/" + NS + "/deployments/one-patch";
        assertEquals(List.of("GET " + path, "PATCH " + path + "?fieldManager=cicd (application/json-patch+json)",
                        "GET " + path, "POST /api/v1/namespaces/" + NS + "/events (application/json)"),
                k8s.requestLog().requests().stream().map(Object::toString).toList());
    }

    @Test
    void kubectlSeesTheImageSetThroughTheApi() throws Exception {
        Path kubectl = Path.of("/usr/bin/kubectl");
        Assumptions.assumeTrue(Files.isExecutable(kubectl), "kubectl is not installed at /usr/bin/kubectl");
        create(client, action, work, deployment(NS, "kubectl-view", "app", image("kubectl-view", "v1")));
        ActionResult r = run(action, rolloutPlan(NS, "kubectl-view", "app", image("kubectl-view", "v2"), null), work);
        assertEquals(Outcome.Kind.APPLIED, r.kind(), r.reason());
        Process p = new ProcessBuilder(kubectl.toString(), "--kubeconfig", k8s.kubeconfigFile().toString(),
                "-n", NS, "get", "deploy", "kubectl-view", "-o", "jsonpath={..image}")
                .redirectErrorStream(true).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "kubectl did not finish");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains(image("kubectl-view", "v2")), out);
    }

    @Test
    void setImageOfAMissingDeploymentOrContainerFailsNamingIt() {
        ActionResult missing = run(action, setImagePlan(NS, "no-such-app", "app", image("x", "v1"), null), work);
        assertEquals(Outcome.Kind.FAILED, missing.kind());
        assertTrue(missing.reason().contains("deployment " + NS + "/no-such-app not found"), missing.reason());

        create(client, action, work, deployment(NS, "one-container", "app", image("one", "v1")));
        ActionResult noContainer = run(action, setImagePlan(NS, "one-container", "web", image("one", "v2"), null), work);
        assertEquals(Outcome.Kind.FAILED, noContainer.kind());
        assertTrue(noContainer.reason().contains("container web not found in deployment " + NS + "/one-container"),
                noContainer.reason());
        assertTrue(noContainer.reason().contains("containers: sidecar, app"), noContainer.reason());
    }

    @Test
    void historyListsOnlyOwnedRevisionsWithTheirChangeCause() {
        create(client, action, work, deployment(NS, "hist", "app", image("hist", "v1")));
        assertEquals(Outcome.Kind.APPLIED, run(action, rolloutPlan(NS, "hist", "app", image("hist", "v2"), "build two"), work).kind());
        assertEquals(Outcome.Kind.APPLIED, run(action, rolloutPlan(NS, "hist", "app", image("hist", "v3"), "build three"), work).kind());
        // a ReplicaSet with matching labels and a higher revision that the Deployment does not own
        ReplicaSet stranger = new ReplicaSetBuilder()
                .withNewMetadata().withNamespace(NS).withName("hist-stranger").addToLabels("app", "hist")
                .addToAnnotations("deployment.kubernetes.io/revision", "99")
                .addToAnnotations("kubernetes.io/change-cause", "not mine").endMetadata()
                .withNewSpec().withReplicas(0).withNewSelector().addToMatchLabels("app", "hist").endSelector()
                .withNewTemplate().withNewMetadata().addToLabels("app", "hist").endMetadata()
                .withNewSpec().addNewContainer().withName("app").withImage(image("hist", "evil")).endContainer().endSpec()
                .endTemplate().endSpec().build();
        client.apps().replicaSets().inNamespace(NS).resource(stranger).create();

        ActionResult r = run(action, "steps:\n  - rolloutHistory: {namespace: \"" + NS + "\", deployment: \"hist\"}\n", work);
        assertEquals(Outcome.Kind.IN_SYNC, r.kind(), "a history plan only reads: " + r.reason());
        String out = r.output();
        assertTrue(out.contains("revisions (current 3)"), out);
        List<String> rows = out.lines().filter(l -> l.matches("\\s+\\d+\\s+.*")).map(String::trim).toList();
        assertEquals(3, rows.size(), out);
        assertTrue(rows.get(0).startsWith("1 ") && rows.get(0).contains("app=" + image("hist", "v1")), out);
        assertTrue(rows.get(1).startsWith("2 ") && rows.get(1).contains("build two")
                && rows.get(1).contains("app=" + image("hist", "v2")), out);
        assertTrue(rows.get(2).startsWith("3 ") && rows.get(2).contains("build three"), out);
        assertFalse(out.contains("not mine") || out.contains("evil") || out.contains("99"), out);
    }

    @Test
    void undoGoesBackToThePreviousRevisionAndThenToAGivenOne() {
        create(client, action, work, deployment(NS, "undo-me", "app", image("undo-me", "v1")));
        assertEquals(Outcome.Kind.APPLIED, run(action, rolloutPlan(NS, "undo-me", "app", image("undo-me", "v2"), "two"), work).kind());
        assertEquals(Outcome.Kind.APPLIED, run(action, rolloutPlan(NS, "undo-me", "app", image("undo-me", "v3"), "three"), work).kind());

        ActionResult back = run(action, undoPlan("undo-me", null), work);
        assertEquals(Outcome.Kind.APPLIED, back.kind(), back.reason() + "\n" + back.output());
        assertTrue(back.output().contains("rolled back to revision 2"), back.output());
        assertEquals(image("undo-me", "v2"), currentImage(client, NS, "undo-me", "app"));
        Deployment d = client.apps().deployments().inNamespace(NS).withName("undo-me").get();
        assertEquals("two", d.getMetadata().getAnnotations().get("kubernetes.io/change-cause"),
                "the change-cause of the revision rolled back to, as kubectl copies it");
        assertFalse(d.getSpec().getTemplate().getMetadata().getLabels().containsKey("pod-template-hash"));
        assertEquals("4", d.getMetadata().getAnnotations().get("deployment.kubernetes.io/revision"));

        ActionResult toFirst = run(action, undoPlan("undo-me", 1L), work);
        assertEquals(Outcome.Kind.APPLIED, toFirst.kind(), toFirst.reason());
        assertEquals(image("undo-me", "v1"), currentImage(client, NS, "undo-me", "app"));
    }

    @Test
    void undoWithoutAnEarlierRevisionFailsSayingSo() {
        create(client, action, work, deployment(NS, "fresh", "app", image("fresh", "v1")));
        ActionResult none = run(action, undoPlan("fresh", null), work);
        assertEquals(Outcome.Kind.FAILED, none.kind());
        assertTrue(none.reason().contains("no previous revision of deployment " + NS + "/fresh"), none.reason());

        ActionResult missing = run(action, undoPlan("fresh", 7L), work);
        assertEquals(Outcome.Kind.FAILED, missing.kind());
        assertTrue(missing.reason().contains("no revision 7 of deployment " + NS + "/fresh"), missing.reason());
        assertEquals(image("fresh", "v1"), currentImage(client, NS, "fresh", "app"));
    }

    @Test
    void aRolloutThatNeverBecomesAvailableFailsWithProgressDeadlineExceeded() {
        create(client, action, work, deployment(NS, "doomed", "app", image("doomed", "v1")));
        k8s.failImages(Pattern.compile("doomed:broken$"));
        ActionResult r = run(action, rolloutPlan(NS, "doomed", "app", image("doomed", "broken"), null), work);
        assertEquals(Outcome.Kind.FAILED, r.kind());
        assertTrue(r.reason().contains("ProgressDeadlineExceeded"), r.reason());
        assertTrue(r.reason().startsWith("step 2 waitForRollout"), r.reason());
        assertFalse(r.reason().contains("rolled back"), r.reason());
        assertEquals(image("doomed", "broken"), currentImage(client, NS, "doomed", "app"), "onFailure none leaves it");
    }

    @Test
    void withOnFailureUndoTheRecordedRevisionIsBackAndTheReasonSaysSo() {
        create(client, action, work, deployment(NS, "saved", "app", image("saved", "v1")));
        assertEquals(Outcome.Kind.APPLIED, run(action, rolloutPlan(NS, "saved", "app", image("saved", "v2"), null), work).kind());
        k8s.failImages(Pattern.compile("saved:broken$"));
        ActionResult r = run(action, "onFailure: undo\n"
                + rolloutPlan(NS, "saved", "app", image("saved", "broken"), null), work);
        assertEquals(Outcome.Kind.FAILED, r.kind());
        assertTrue(r.reason().contains("ProgressDeadlineExceeded"), r.reason());
        assertTrue(r.reason().contains("rolled back to 2"), r.reason());
        assertFalse(r.reason().contains("did not complete"), r.reason());
        assertEquals(image("saved", "v2"), currentImage(client, NS, "saved", "app"));
        assertTrue(r.output().contains("successfully rolled out"), r.output());
    }

    @Test
    void onFailureUndoFromTheBuilderAppliesToPlansThatDoNotSay() {
        KubernetesAction undoing = KubernetesAction.builder(client).allowedNamespaces(Set.of(NS))
                .onFailure(OnFailure.UNDO).pollInterval(Duration.ofMillis(50)).build();
        create(client, undoing, work, deployment(NS, "saved-too", "app", image("saved-too", "v1")));
        k8s.failImages(Pattern.compile("saved-too:broken$"));
        ActionResult r = run(undoing, rolloutPlan(NS, "saved-too", "app", image("saved-too", "broken"), null), work);
        assertEquals(Outcome.Kind.FAILED, r.kind());
        assertTrue(r.reason().contains("rolled back to 1"), r.reason());
        assertEquals(image("saved-too", "v1"), currentImage(client, NS, "saved-too", "app"));
    }

    @Test
    void aWaitThatOutlastsItsTimeoutFails() {
        create(client, action, work, deployment(NS, "slow", "app", image("slow", "v1")));
        k8s.failImages(Pattern.compile("slow:never$"));
        ActionResult r = run(action, setImagePlan(NS, "slow", "app", image("slow", "never"), null)
                + "  - waitForRollout: {namespace: \"" + NS + "\", deployment: \"slow\", timeout: \"200ms\"}\n", work);
        assertEquals(Outcome.Kind.FAILED, r.kind());
        assertTrue(r.reason().contains("timed out after 200ms"), r.reason());
    }

    @Test
    void applyOfADirectoryCreatesEveryObjectThenReportsThemUnchanged() throws IOException {
        Path dir = Files.createDirectories(work.resolve("manifests/demo1"));
        Files.createDirectories(dir.resolve("app"));
        Files.writeString(dir.resolve("app/deployment.yaml"), """
                apiVersion: apps/v1
                kind: Deployment
                metadata:
                  name: applied-web
                spec:
                  replicas: 1
                  selector:
                    matchLabels: {app: applied-web}
                  template:
                    metadata:
                      labels: {app: applied-web}
                    spec:
                      containers:
                        - name: web
                          image: registry.example.com/ns-demo/applied-web:v1
                ---
                apiVersion: v1
                kind: Service
                metadata:
                  name: applied-web
                spec:
                  selector: {app: applied-web}
                  ports:
                    - port: 80
                      targetPort: 8080
                """);
        Files.writeString(dir.resolve("config.yml"), """
                apiVersion: v1
                kind: ConfigMap
                metadata:
                  name: applied-config
                data:
                  greeting: hello
                """);
        Files.writeString(dir.resolve("zz-namespace.yaml"), """
                apiVersion: v1
                kind: Namespace
                metadata:
                  name: ns-other
                """);
        Files.writeString(dir.resolve("README.md"), "not a manifest");
        String plan = "steps:\n  - apply: {path: \"" + dir + "\", namespace: \"ns-other\"}\n";

        ActionResult first = run(action, plan, work);
        assertEquals(Outcome.Kind.APPLIED, first.kind(), first.reason() + "\n" + first.output());
        List<String> lines = first.output().lines().filter(l -> l.matches("  (created|configured|unchanged) .*")).map(String::trim).toList();
        assertEquals(List.of("created Namespace ns-other", "created Deployment ns-other/applied-web",
                "created Service ns-other/applied-web", "created ConfigMap ns-other/applied-config"), lines);
        assertTrue(client.namespaces().withName("ns-other").get() != null);
        assertTrue(client.apps().deployments().inNamespace("ns-other").withName("applied-web").get() != null);
        assertTrue(client.services().inNamespace("ns-other").withName("applied-web").get() != null);
        assertEquals("hello", client.configMaps().inNamespace("ns-other").withName("applied-config").get()
                .getData().get("greeting"));

        // once the Deployment's first rollout is complete, applying the same files again changes nothing: in sync
        // (before it completes the verdict would be applied: see KubernetesAction; the wait makes it deterministic)
        assertEquals(Outcome.Kind.IN_SYNC, run(action, K8sTestSupport.waitPlan("ns-other", "applied-web"), work).kind());
        ActionResult again = run(action, plan, work);
        assertEquals(Outcome.Kind.IN_SYNC, again.kind(), again.reason() + "\n" + again.output());
        assertEquals(List.of("unchanged Namespace ns-other", "unchanged Deployment ns-other/applied-web",
                "unchanged Service ns-other/applied-web", "unchanged ConfigMap ns-other/applied-config"),
                again.output().lines().filter(l -> l.matches("  (created|configured|unchanged) .*")).map(String::trim).toList());

        Files.writeString(dir.resolve("config.yml"), Files.readString(dir.resolve("config.yml")).replace("hello", "bonjour"));
        ActionResult changed = run(action, plan, work);
        assertTrue(changed.output().contains("configured ConfigMap ns-other/applied-config"), changed.output());
        assertTrue(changed.output().contains("unchanged Service ns-other/applied-web"), changed.output());
        assertEquals("bonjour", client.configMaps().inNamespace("ns-other").withName("applied-config").get()
                .getData().get("greeting"));
    }

    @Test
    void applySendsServerSideApplyPatchesWithTheCicdFieldManager() {
        k8s.requestLog().clear();
        ActionResult r = run(action, """
                steps:
                  - apply:
                      namespace: "ns-demo1-dev"
                      manifest: |
                        apiVersion: v1
                        kind: ConfigMap
                        metadata: {name: inline-config}
                        data: {a: "1"}
                """, work);
        assertEquals(Outcome.Kind.APPLIED, r.kind(), r.reason());
        var patches = k8s.requestLog().mutating();
        assertEquals(1, patches.size(), patches.toString());
        assertEquals("PATCH", patches.get(0).method());
        assertTrue(patches.get(0).contentType().startsWith("application/apply-patch+yaml"), patches.toString());
        assertTrue(patches.get(0).query().contains("fieldManager=cicd"), patches.toString());
        assertTrue(patches.get(0).query().contains("force=true"), patches.toString());
    }

    @Test
    void recipeTriggersRenderedByTheBuiltInTemplatesRollOutAndUndo() {
        create(client, action, work, deployment(NS, "demo1-api", "api", image("demo1-api", "v1")));
        String rollout = "{\"action\":\"deploy\",\"k8sNamespace\":\"" + NS
                + "\",\"appName\":\"demo1\",\"svcName\":\"api\",\"imageTag\":\"v7\"}";
        dev.cicd.core.Plan plan = BuiltInTemplatesTest.render(BuiltInTemplatesTest.ROLLOUT, rollout, 11);
        ActionResult r = action.execute(plan, K8sTestSupport.context(work));
        assertEquals(Outcome.Kind.APPLIED, r.kind(), r.reason() + "\n" + r.output());
        assertEquals(image("demo1-api", "v7"), currentImage(client, NS, "demo1-api", "api"));
        assertTrue(client.apps().deployments().inNamespace(NS).withName("demo1-api").get().getMetadata()
                .getAnnotations().get("kubernetes.io/change-cause").contains("trigger revision 11"));

        String undo = rollout.replace("deploy", "undo");
        ActionResult u = action.execute(BuiltInTemplatesTest.render(BuiltInTemplatesTest.UNDO, undo, 12),
                K8sTestSupport.context(work));
        assertEquals(Outcome.Kind.APPLIED, u.kind(), u.reason() + "\n" + u.output());
        assertEquals(image("demo1-api", "v1"), currentImage(client, NS, "demo1-api", "api"));
        assertTrue(u.output().contains("revisions (current 2)") && u.output().contains("revisions (current 3)"),
                u.output());
    }

    private static String undoPlan(String deployment, Long toRevision) {
        return "steps:\n  - rolloutUndo: {namespace: \"" + NS + "\", deployment: \"" + deployment + "\""
                + (toRevision == null ? "" : ", toRevision: " + toRevision) + "}\n"
                + "  - waitForRollout: {namespace: \"" + NS + "\", deployment: \"" + deployment + "\", timeout: \"10s\"}\n";
    }
}
