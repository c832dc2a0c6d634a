package dev.cicd.k8s;

import static dev.cicd.k8s.K8sTestSupport.NS;
import static dev.cicd.k8s.K8sTestSupport.create;
import static dev.cicd.k8s.K8sTestSupport.deployment;
import static dev.cicd.k8s.K8sTestSupport.image;
import static dev.cicd.k8s.K8sTestSupport.plan;
import static dev.cicd.k8s.K8sTestSupport.rolloutPlan;
import static dev.cicd.k8s.K8sTestSupport.verdict;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cicd.core.ActionContext;
import dev.cicd.core.ActionResult;
import dev.cicd.core.Outcome;
import dev.cicd.core.WatchSpec;
import dev.cicd.testkit.KubernetesBackend;
import dev.cicd.testkit.KubernetesFixture;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Progress reports of a running plan, and previews (what a plan would change) that send no write. */
class KubernetesProgressAndPreviewTest {

    static KubernetesFixture k8s;
    static KubernetesClient client;
    static KubernetesAction action;

    @TempDir
    static Path work;

    @BeforeAll
    static void start() {
        k8s = KubernetesFixture.builder().backend(KubernetesBackend.SIMULATED).rolloutDelay(Duration.ofMillis(600)).build();
        client = k8s.client();
        action = KubernetesAction.builder(client).allowedNamespaces(Set.of(NS))
                .pollInterval(Duration.ofMillis(50)).defaultWaitTimeout(Duration.ofSeconds(20)).build();
    }

    @AfterAll
    static void stop() {
        if (k8s != null) {
            k8s.close();
        }
    }

    record Report(String step, String detail) {
    }

    @Test
    void aRolloutReportsEachStepAndTheReplicaCountsAsTheyChange() {
        create(client, action, work, deployment(NS, "progress", "app", image("progress", "v1")));
        List<Report> reports = Collections.synchronizedList(new ArrayList<>());
        ActionContext ctx = new ActionContext(WatchSpec.builder("rollout").prefix("/cicd/rollout").key("/trigger")
                .template("t").action("kubernetes").build(), Duration.ofSeconds(30), work,
                (step, detail) -> reports.add(new Report(step, detail)));
        ActionResult r = action.execute(plan(rolloutPlan(NS, "progress", "app", image("progress", "v2"), null)), ctx);
        assertEquals(Outcome.Kind.APPLIED, verdict(r), r.reason() + "\n" + r.output());

        assertTrue(reports.get(0).step().startsWith("setImage " + NS + "/progress app="), reports.toString());
        assertEquals("step 1 of 2", reports.get(0).detail());
        assertEquals(new Report("waitForRollout " + NS + "/progress", "step 2 of 2"), reports.get(1));
        List<String> counts = reports.subList(2, reports.size()).stream().map(Report::detail).toList();
        assertFalse(counts.isEmpty(), "the wait reports the rollout's counts: " + reports);
        assertTrue(counts.stream().allMatch(c -> c.matches("\\d+/2 replicas updated, \\d+ available.*")), counts.toString());
        assertEquals("2/2 replicas updated, 2 available", counts.get(counts.size() - 1), "the last report is the finished rollout");
        for (int i = 1; i < counts.size(); i++) {
            assertNotEquals(counts.get(i - 1), counts.get(i), "reported only when the counts change: " + counts);
        }
    }

    @Test
    void aPreviewSaysWhichImageWouldChangeAndSendsNoWrite() {
        create(client, action, work, deployment(NS, "preview", "app", image("preview", "v1")));
        k8s.requestLog().clear();
        PlanPreview change = action.preview(plan(rolloutPlan(NS, "preview", "app", image("preview", "v2"), null)), true);
        assertEquals(List.of(), k8s.requestLog().mutating(), "a preview only reads");
        assertTrue(change.rejection().isEmpty() && change.liveState().isEmpty(), change.toString());
        assertEquals("~ deployment " + NS + "/preview container app: image " + image("preview", "v1") + " -> "
                + image("preview", "v2"), change.changes().get(0));
        assertFalse(change.inSync());

        PlanPreview same = action.preview(plan(rolloutPlan(NS, "preview", "app", image("preview", "v1"), null)), true);
        assertTrue(same.inSync(), same.toString());
        assertTrue(same.changes().get(0).startsWith("= deployment " + NS + "/preview container app"), same.toString());
    }

    @Test
    void aPreviewOfAPlanOutsideTheAllowListIsARejectionWithoutAnyRequest() {
        k8s.requestLog().clear();
        PlanPreview p = action.preview(plan(rolloutPlan("other-ns", "preview", "app", image("preview", "v2"), null)), true);
        assertTrue(p.rejection().orElseThrow().contains("allow-list"), p.toString());
        assertEquals(List.of(), k8s.requestLog().requests());
    }

    @Test
    void historyAsValuesListsTheRevisionsAndImages() {
        create(client, action, work, deployment(NS, "hist", "app", image("hist", "v1")));
        ActionResult r = action.execute(plan(rolloutPlan(NS, "hist", "app", image("hist", "v2"), null)),
                K8sTestSupport.context(work));
        assertEquals(Outcome.Kind.APPLIED, verdict(r), r.output());
        DeploymentHistory h = action.history(NS, "hist");
        assertEquals(2, h.revisions().size(), h.toString());
        assertEquals(image("hist", "v2"), h.revisions().get(1).images().get("app"));
        assertEquals(2, h.current().getAsLong());
    }
}
