package dev.cicd.k8s;

import static dev.cicd.k8s.K8sTestSupport.NS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cicd.core.ActionResult;
import dev.cicd.core.Outcome;
import dev.cicd.core.Plan;
import dev.cicd.core.WatchSpec;
import dev.cicd.testkit.KubernetesBackend;
import dev.cicd.testkit.KubernetesFixture;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code builtin:k8s-apply}: the recipe's {@code kubectl apply -f NS/APP/} as an {@code apply} of {@code NS/APP/}
 * below the manifest root that waits for every Deployment it applied. Run against the manifests shipped in
 * {@code examples/manifests} with the allow-lists of {@code examples/recipe.yaml}.
 */
class BuiltInApplyTemplateTest {

    static final WatchSpec DEPLOY = WatchSpec.builder("deploy").prefix("/cicd/deploy").key("/trigger")
            .template(KubernetesTemplates.APPLY).action("kubernetes").build();
    static final Path EXAMPLE_MANIFESTS = Path.of("..", "examples", "manifests");

    static KubernetesFixture k8s;

    @TempDir
    static Path work;

    @BeforeAll
    static void start() {
        k8s = KubernetesFixture.builder().backend(KubernetesBackend.SIMULATED)
                .rolloutDelay(Duration.ofMillis(100)).failAfter(Duration.ofMillis(600)).build();
    }

    @AfterAll
    static void stop() {
        if (k8s != null) {
            k8s.close();
        }
    }

    static String trigger(String ns, String app) {
        return "{\"action\":\"apply\",\"k8sNamespace\":" + KubernetesPlanTest.jsonString(ns)
                + ",\"appName\":" + KubernetesPlanTest.jsonString(app) + "}";
    }

    static KubernetesAction action(Path root) {
        return KubernetesAction.builder(k8s.client()).allowedNamespaces(Set.of(NS))
                .allowedRegistries(Set.of("registry.cn-hangzhou.aliyuncs.com", "registry.example.com"))
                .manifestRoot(root).pollInterval(Duration.ofMillis(50)).defaultWaitTimeout(Duration.ofSeconds(10)).build();
    }

    @Test
    void applyTriggerRendersAnApplyOfNamespaceSlashAppThatWaits() {
        Plan plan = BuiltInTemplatesTest.render(DEPLOY, trigger(NS, "demoproject"), 3);
        assertEquals(List.of(new Step.Apply(Optional.of(NS + "/demoproject/"), Optional.empty(), Optional.of(NS), true)),
                KubernetesPlan.parse(plan.text()).steps());
    }

    @Test
    void theRecipesApplyTriggerAppliesTheExampleManifestsAndWaitsForTheDeployment() {
        KubernetesAction action = action(EXAMPLE_MANIFESTS);
        Plan plan = BuiltInTemplatesTest.render(DEPLOY, trigger(NS, "demoproject"), 4);
        assertEquals(Set.of(NS), action.targets(plan), "the directory is not read for targets");

        ActionResult r = action.execute(plan, K8sTestSupport.context(work));

        assertEquals(Outcome.Kind.APPLIED, r.kind(), r.reason() + "\n" + r.output());
        assertTrue(r.output().contains("created Deployment " + NS + "/demoproject"), r.output());
        assertTrue(r.output().contains("created Service " + NS + "/demoproject"), r.output());
        assertTrue(r.output().contains("rollout " + NS + "/demoproject: "), r.output());
        Deployment d = k8s.client().apps().deployments().inNamespace(NS).withName("demoproject").get();
        assertNotNull(d);
        assertEquals(d.getSpec().getReplicas(), d.getStatus().getAvailableReplicas(), "rolled out before the verdict");

        ActionResult again = action.execute(BuiltInTemplatesTest.render(DEPLOY, trigger(NS, "demoproject"), 5),
                K8sTestSupport.context(work));
        assertEquals(Outcome.Kind.IN_SYNC, K8sTestSupport.verdict(again), again.output());
    }

    @Test
    void anApplyWhoseDeploymentNeverBecomesAvailableFailsNamingIt() throws IOException {
        Path root = work.resolve("failing-root");
        Path dir = Files.createDirectories(root.resolve(NS + "/doomed"));
        Files.writeString(dir.resolve("deployment.yaml"), Files.readString(
                EXAMPLE_MANIFESTS.resolve(NS + "/demoproject/deployment.yaml")).replace("demoproject", "doomed-app"));
        k8s.failImages(Pattern.compile("doomed-app:v1$"));
        ActionResult r = action(root).execute(BuiltInTemplatesTest.render(DEPLOY, trigger(NS, "doomed"), 6),
                K8sTestSupport.context(work));
        assertEquals(Outcome.Kind.FAILED, r.kind(), r.output());
        assertTrue(r.reason().contains("created Deployment " + NS + "/doomed-app; then the rollout of deployment "
                + NS + "/doomed-app did not complete"), r.reason());
        assertTrue(r.reason().contains("ProgressDeadlineExceeded"), r.reason());
    }

    @Test
    void payloadsCannotLeaveTheRootOrAddStructure() throws Exception {
        KubernetesAction action = action(EXAMPLE_MANIFESTS);
        k8s.requestLog().clear();
        for (String app : List.of("../../etc", "..", "demoproject\"\n    wait: false\n  - apply: {path: \"/")) {
            Plan plan = BuiltInTemplatesTest.render(DEPLOY, trigger(NS, app), 7);
            JsonNode tree = BuiltInTemplatesTest.YAML.readTree(plan.text());
            assertEquals(1, tree.get("steps").size(), plan.text());
            assertEquals(NS + "/" + app + "/", tree.get("steps").get(0).get("apply").get("path").asText());
            ActionResult r = action.execute(plan, K8sTestSupport.context(work));
            assertEquals(Outcome.Kind.REJECTED, r.kind(), app + ": " + r.reason());
        }
        ActionResult ns = action.execute(BuiltInTemplatesTest.render(DEPLOY, trigger("kube-system", "demoproject"), 8),
                K8sTestSupport.context(work));
        assertEquals(Outcome.Kind.REJECTED, ns.kind(), ns.reason());
        assertEquals(0, k8s.requestLog().requests().size(), k8s.requestLog().requests().toString());
    }
}
