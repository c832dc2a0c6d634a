package dev.cicd.k8s;

import static dev.cicd.k8s.K8sTestSupport.NS;
import static dev.cicd.k8s.K8sTestSupport.create;
import static dev.cicd.k8s.K8sTestSupport.deployment;
import static dev.cicd.k8s.K8sTestSupport.image;
import static dev.cicd.k8s.K8sTestSupport.rolloutPlan;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cicd.core.ActionResult;
import dev.cicd.core.Outcome;
import dev.cicd.core.Plan;
import dev.cicd.core.TriggerEvent;
import dev.cicd.testkit.KubernetesBackend;
import dev.cicd.testkit.KubernetesFixture;
import dev.cicd.testkit.RequestLog;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.Interceptor;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Who changed a Deployment: every patch names field manager {@code cicd}, a setImage's change-cause names the
 * trigger's revision and request id, and each applied or failed plan leaves a Kubernetes Event on the Deployment.
 */
class WhoChangedItTest {

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
        action = KubernetesAction.builder(client).allowedNamespaces(Set.of(NS))
                .pollInterval(Duration.ofMillis(50)).defaultWaitTimeout(Duration.ofSeconds(10)).build();
    }

    @AfterAll
    static void stop() {
        if (k8s != null) {
            k8s.close();
        }
    }

    @BeforeEach
    void clean() {
        k8s.clearFailures();
    }

    private static ActionResult trigger(String planText, long revision, String requestId) {
        String value = "{\"requestId\":\"" + requestId + "\",\"imageTag\":\"x\"}";
        Plan plan = Plan.of(TriggerEvent.put("rollout", "/cicd/rollout/trigger", value, revision), planText);
        return action.execute(plan, K8sTestSupport.context(work));
    }

    private static List<Event> events(String deployment) {
        return client.v1().events().inNamespace(NS).list().getItems().stream()
                .filter(e -> e.getInvolvedObject() != null && deployment.equals(e.getInvolvedObject().getName()))
                .toList();
    }

    private static Deployment get(String name) {
        return client.apps().deployments().inNamespace(NS).withName(name).get();
    }

    @Test
    void anAppliedRolloutPatchesAsFieldManagerCicdNamesTheRequestInTheChangeCauseAndWritesCicdApplied() {
        create(client, action, work, deployment(NS, "who-ok", "app", image("who-ok", "v1")));
        assertEquals(List.of(), events("who-ok"), "an in-sync plan writes no Event");
        k8s.requestLog().clear();

        ActionResult r = trigger(rolloutPlan(NS, "who-ok", "app", image("who-ok", "v2"), null), 4711, "req-42");
        assertEquals(Outcome.Kind.APPLIED, r.kind(), r.reason() + "\n" + r.output());

        List<RequestLog.Request> patches = k8s.requestLog().requests().stream()
                .filter(q -> q.method().equals("PATCH")).toList();
        assertEquals(1, patches.size(), patches.toString());
        assertTrue(patches.get(0).query().contains("fieldManager=cicd"), patches.toString());

        Deployment d = get("who-ok");
        String cause = d.getMetadata().getAnnotations().get("kubernetes.io/change-cause");
        assertTrue(cause.contains("trigger revision 4711") && cause.contains("request req-42"), cause);

        List<Event> events = events("who-ok");
        assertEquals(1, events.size(), events.toString());
        Event e = events.get(0);
        assertEquals("CicdApplied", e.getReason());
        assertEquals("Normal", e.getType());
        assertEquals("cicd", e.getSource().getComponent());
        assertEquals("cicd", e.getReportingComponent());
        assertEquals("Deployment", e.getInvolvedObject().getKind());
        assertEquals("apps/v1", e.getInvolvedObject().getApiVersion());
        assertEquals(d.getMetadata().getUid(), e.getInvolvedObject().getUid(), "kubectl describe matches by uid");
        for (String part : List.of("watch rollout", "trigger revision 4711", "request req-42",
                "image app=" + image("who-ok", "v2"))) {
            assertTrue(e.getMessage().contains(part), part + " in " + e.getMessage());
        }
        assertTrue(k8s.requestLog().requests().stream()
                .anyMatch(q -> q.method().equals("POST") && q.path().equals("/api/v1/namespaces/" + NS + "/events")));
    }

    @Test
    void aFailedRolloutWritesCicdFailedAndWithUndoCicdRolledBack() {
        create(client, action, work, deployment(NS, "who-bad", "app", image("who-bad", "v1")));
        k8s.failImages(Pattern.compile("who-bad:broken$"));

        ActionResult r = trigger("onFailure: undo\n" + rolloutPlan(NS, "who-bad", "app", image("who-bad", "broken"), null),
                815, "req-bad");
        assertEquals(Outcome.Kind.FAILED, r.kind(), r.reason());
        assertTrue(r.reason().contains("rolled back to 1"), r.reason());

        List<Event> events = events("who-bad");
        assertEquals(List.of("CicdFailed", "CicdRolledBack"), events.stream().map(Event::getReason).sorted().toList(),
                events.toString());
        Event failed = events.stream().filter(e -> e.getReason().equals("CicdFailed")).findFirst().orElseThrow();
        assertEquals("Warning", failed.getType());
        for (String part : List.of("watch rollout", "trigger revision 815", "request req-bad",
                "image app=" + image("who-bad", "broken"), "ProgressDeadlineExceeded")) {
            assertTrue(failed.getMessage().contains(part), part + " in " + failed.getMessage());
        }
        Event back = events.stream().filter(e -> e.getReason().equals("CicdRolledBack")).findFirst().orElseThrow();
        assertEquals("Warning", back.getType());
        assertTrue(back.getMessage().contains("rolled back to 1"), back.getMessage());
        assertTrue(back.getMessage().contains("app=" + image("who-bad", "v1")), "the image it is back at: "
                + back.getMessage());
    }

    @Test
    void aFailedRolloutWithoutUndoWritesOnlyCicdFailed() {
        create(client, action, work, deployment(NS, "who-left", "app", image("who-left", "v1")));
        k8s.failImages(Pattern.compile("who-left:broken$"));
        ActionResult r = trigger(rolloutPlan(NS, "who-left", "app", image("who-left", "broken"), null), 9, "req-9");
        assertEquals(Outcome.Kind.FAILED, r.kind(), r.reason());
        assertEquals(List.of("CicdFailed"), events("who-left").stream().map(Event::getReason).toList());
    }

    @Test
    void anEventTheServerRefusesChangesNothingAndEventsFalseWritesNone() {
        create(client, action, work, deployment(NS, "who-quiet", "app", image("who-quiet", "v1")));
        // every Event write of this client goes to a path the API server answers 404
        Interceptor refuseEvents = new Interceptor() {
            @Override
            public void before(BasicBuilder builder, HttpRequest request, RequestTags tags) {
                if (request.uri().getPath().endsWith("/events")) {
                    builder.uri(request.uri().resolve("/no-such-api"));
                }
            }
        };
        try (KubernetesClient refusing = new KubernetesClientBuilder()
                .withConfig(Config.fromKubeconfig(k8s.kubeconfig()))
                .withHttpClientBuilderConsumer(b -> b.addOrReplaceInterceptor("refuse-events", refuseEvents)).build()) {
            KubernetesAction a = KubernetesAction.builder(refusing).allowedNamespaces(Set.of(NS))
                    .pollInterval(Duration.ofMillis(50)).build();
            ActionResult r = a.execute(Plan.of(TriggerEvent.put("rollout", "/k", "{}", 3),
                    rolloutPlan(NS, "who-quiet", "app", image("who-quiet", "v2"), null)), K8sTestSupport.context(work));
            assertEquals(Outcome.Kind.APPLIED, r.kind(), r.reason());
            assertTrue(k8s.requestLog().requests().stream().anyMatch(q -> q.path().equals("/no-such-api")),
                    "the Event write was tried and refused");
            assertEquals(List.of(), events("who-quiet"));

            k8s.requestLog().clear();
            KubernetesAction quiet = KubernetesAction.builder(client).allowedNamespaces(Set.of(NS)).events(false)
                    .pollInterval(Duration.ofMillis(50)).build();
            ActionResult q = quiet.execute(Plan.of(TriggerEvent.put("rollout", "/k", "{}", 4),
                    rolloutPlan(NS, "who-quiet", "app", image("who-quiet", "v3"), null)), K8sTestSupport.context(work));
            assertEquals(Outcome.Kind.APPLIED, q.kind(), q.reason());
            assertFalse(k8s.requestLog().requests().stream().anyMatch(x -> x.path().endsWith("/events")),
                    "events(false) writes none");
        }
    }
}
