package dev.cicd.testkit;

import static dev.cicd.testkit.K8sTestObjects.awaitRolledOut;
import static dev.cicd.testkit.K8sTestObjects.deployment;
import static dev.cicd.testkit.K8sTestObjects.namespace;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@WithKubernetes(backend = KubernetesBackend.SIMULATED, rolloutDelayMillis = 50)
@Timeout(60)
class SimulatedApiServerTest {

    KubernetesFixture k8s;
    KubernetesClient client;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void discoveryDocumentsAreServedAsJson() throws Exception {
        Map<String, String> expected = Map.of(
                "/version", "\"gitVersion\"",
                "/api", "\"APIVersions\"",
                "/apis", "\"APIGroupList\"",
                "/api/v1", "\"ConfigMap\"",
                "/apis/apps/v1", "\"Deployment\"");
        for (var e : expected.entrySet()) {
            HttpResponse<String> response = get(e.getKey());
            assertEquals(200, response.statusCode(), e.getKey());
            assertEquals("application/json", response.headers().firstValue("Content-Type").orElse(""), e.getKey());
            assertTrue(response.body().contains(e.getValue()), e.getKey() + ": " + response.body());
        }
        assertTrue(get("/apis").body().contains("\"apps/v1\""));
        assertTrue(get("/apis/apps/v1").body().contains("\"deploy\""));
        assertEquals(404, get("/openapi/v2").statusCode());
        assertEquals(404, get("/no/such/path").statusCode());
    }

    @Test
    void objectsAndListsAreJsonWithTypedListKinds() throws Exception {
        String ns = namespace();
        client.apps().deployments().inNamespace(ns).resource(deployment(ns, "web", "registry.test/web:v1", 1)).create();

        HttpResponse<String> list = get("/apis/apps/v1/namespaces/" + ns + "/deployments");
        HttpResponse<String> one = get("/apis/apps/v1/namespaces/" + ns + "/deployments/web");

        assertEquals("application/json", list.headers().firstValue("Content-Type").orElse(""));
        assertTrue(list.body().contains("\"kind\":\"DeploymentList\""), list.body());
        assertTrue(list.body().contains("\"apiVersion\":\"apps/v1\""), list.body());
        assertEquals("application/json", one.headers().firstValue("Content-Type").orElse(""));
        assertEquals(404, get("/apis/apps/v1/namespaces/" + ns + "/deployments/nope").statusCode());
    }

    @Test
    void theRequestLogRecordsMethodPathAndContentTypeButNotTheController() {
        String ns = namespace();
        k8s.requestLog().clear();
        client.apps().deployments().inNamespace(ns).resource(deployment(ns, "log", "registry.test/log:v1", 1)).create();
        // fabric8's updateImage patches with the resourceVersion of an earlier GET: let the controller settle
        awaitRolledOut(client, ns, "log");
        client.apps().deployments().inNamespace(ns).withName("log").updateImage("registry.test/log:v2");
        awaitRolledOut(client, ns, "log");

        List<RequestLog.Request> requests = k8s.requestLog().requests();
        String collection = "/apis/apps/v1/namespaces/" + ns + "/deployments";
        assertTrue(requests.stream().anyMatch(r -> r.method().equals("POST") && r.path().equals(collection)
                && r.contentType().startsWith("application/json")), requests.toString());
        assertTrue(requests.stream().anyMatch(r -> r.method().equals("PATCH") && r.path().equals(collection + "/log")
                && r.contentType().startsWith("application/json-patch+json")), requests.toString());
        assertTrue(requests.stream().anyMatch(r -> r.method().equals("GET") && r.path().equals(collection + "/log")));
        assertTrue(requests.stream().noneMatch(r -> r.path().endsWith("/status")),
                "the controller's status writes are not logged: " + requests);
        assertTrue(requests.stream().noneMatch(r -> r.path().contains("/replicasets")),
                "the controller's replica set calls are not logged: " + requests);
        assertEquals(2, k8s.requestLog().mutating().size(), k8s.requestLog().mutating().toString());

        k8s.requestLog().clear();
        assertTrue(k8s.requestLog().requests().isEmpty());
    }

    @Test
    void readingMakesNoMutatingCall() {
        String ns = namespace();
        client.apps().deployments().inNamespace(ns).resource(deployment(ns, "ro", "registry.test/ro:v1", 1)).create();
        k8s.requestLog().clear();

        client.apps().deployments().inNamespace(ns).withName("ro").get();
        client.apps().deployments().inNamespace(ns).list();

        assertEquals(2, k8s.requestLog().requests().size());
        assertTrue(k8s.requestLog().mutating().isEmpty());
    }

    @Test
    void serverSideApplyCreatesThenUpdatesTheObject() {
        String ns = namespace();
        k8s.requestLog().clear();
        Deployment applied = client.apps().deployments().inNamespace(ns)
                .resource(deployment(ns, "ssa", "registry.test/ssa:v1", 1)).serverSideApply();
        assertEquals(1L, applied.getMetadata().getGeneration());
        awaitRolledOut(client, ns, "ssa");

        Deployment changed = deployment(ns, "ssa", "registry.test/ssa:v2", 2);
        changed.getMetadata().setLabels(Map.of("team", "a"));
        Deployment updated = client.apps().deployments().inNamespace(ns).resource(changed).serverSideApply();

        assertEquals(2L, updated.getMetadata().getGeneration());
        assertEquals("registry.test/ssa:v2", updated.getSpec().getTemplate().getSpec().getContainers().get(0).getImage());
        assertEquals(2, updated.getSpec().getReplicas());
        assertEquals("a", updated.getMetadata().getLabels().get("team"));
        assertEquals("1", updated.getMetadata().getAnnotations().get(K8sTestObjects.REVISION),
                "annotations set by others are kept");
        assertNotNull(updated.getStatus(), "the status is not replaced by an apply");
        Deployment done = awaitRolledOut(client, ns, "ssa");
        assertEquals("2", K8sTestObjects.revision(done));
        assertTrue(k8s.requestLog().mutating().stream()
                .allMatch(r -> r.method().equals("PATCH") && r.contentType().startsWith("application/apply-patch+yaml")),
                k8s.requestLog().mutating().toString());
    }

    @Test
    void serverSideApplyAcceptsYaml() throws Exception {
        String ns = namespace();
        String path = "/api/v1/namespaces/" + ns + "/configmaps/settings?fieldManager=test";
        String yaml = """
                apiVersion: v1
                kind: ConfigMap
                metadata:
                  name: settings
                  labels:
                    a: "1"
                data:
                  colour: blue
                """;
        HttpResponse<String> created = patch(path, "application/apply-patch+yaml", yaml);
        assertEquals(201, created.statusCode(), created.body());

        HttpResponse<String> updated = patch(path, "application/apply-patch+yaml",
                yaml.replace("blue", "green").replace("a: \"1\"", "b: \"2\""));
        assertEquals(200, updated.statusCode(), updated.body());

        ConfigMap cm = client.configMaps().inNamespace(ns).withName("settings").get();
        assertEquals(Map.of("colour", "green"), cm.getData());
        assertEquals(Map.of("a", "1", "b", "2"), cm.getMetadata().getLabels());
    }

    @Test
    void mergePatchReplacesListsAndKeepsTheStatus() {
        String ns = namespace();
        client.apps().deployments().inNamespace(ns).resource(deployment(ns, "mp", "registry.test/mp:v1", 1)).create();
        Deployment before = awaitRolledOut(client, ns, "mp");

        Deployment after = client.apps().deployments().inNamespace(ns).withName("mp").patch(
                PatchContext.of(PatchType.JSON_MERGE),
                "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"mp\",\"image\":\"registry.test/mp:v2\"}]}}},"
                        + "\"status\":{\"replicas\":99}}");

        assertEquals(1, after.getSpec().getTemplate().getSpec().getContainers().size());
        assertEquals("registry.test/mp:v2", after.getSpec().getTemplate().getSpec().getContainers().get(0).getImage());
        assertEquals(2L, after.getMetadata().getGeneration());
        assertEquals(before.getStatus().getReplicas(), after.getStatus().getReplicas());
    }

    @Test
    void strategicMergePatchMergesContainersByName() {
        String ns = namespace();
        Deployment d = deployment(ns, "smp", "registry.test/smp:v1", 1);
        d.getSpec().getTemplate().getSpec().getContainers().add(new io.fabric8.kubernetes.api.model.ContainerBuilder()
                .withName("sidecar").withImage("registry.test/sidecar:v1").build());
        client.apps().deployments().inNamespace(ns).resource(d).create();

        Deployment after = client.apps().deployments().inNamespace(ns).withName("smp").patch(
                PatchContext.of(PatchType.STRATEGIC_MERGE),
                "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"smp\",\"image\":\"registry.test/smp:v2\"}]}}}}");

        var containers = after.getSpec().getTemplate().getSpec().getContainers();
        assertEquals(2, containers.size());
        assertEquals("registry.test/smp:v2", containers.get(0).getImage());
        assertEquals("registry.test/sidecar:v1", containers.get(1).getImage());
    }

    @Test
    void replacingTheMainResourceKeepsTheStatus() {
        String ns = namespace();
        client.apps().deployments().inNamespace(ns).resource(deployment(ns, "put", "registry.test/put:v1", 1)).create();
        Deployment rolled = awaitRolledOut(client, ns, "put");

        Deployment copy = client.getKubernetesSerialization().clone(rolled);
        copy.setStatus(null);
        copy.getMetadata().setLabels(Map.of("x", "y"));
        Deployment replaced = client.apps().deployments().inNamespace(ns).resource(copy).update();

        assertEquals(rolled.getStatus().getObservedGeneration(), replaced.getStatus().getObservedGeneration());
        assertEquals(rolled.getStatus().getConditions().size(), replaced.getStatus().getConditions().size());
    }

    @Test
    void dryRunWritesNothing() {
        String ns = namespace();
        var deployments = client.apps().deployments().inNamespace(ns);
        deployments.resource(deployment(ns, "dry", "registry.test/dry:v1", 1)).dryRun().create();
        assertEquals(null, deployments.withName("dry").get());

        deployments.resource(deployment(ns, "dry", "registry.test/dry:v1", 1)).create();
        Deployment answered = deployments.withName("dry").dryRun().patch(PatchContext.of(PatchType.JSON_MERGE),
                "{\"spec\":{\"replicas\":5}}");
        deployments.withName("dry").dryRun().delete();

        assertEquals(5, answered.getSpec().getReplicas());
        Deployment stored = deployments.withName("dry").get();
        assertEquals(1, stored.getSpec().getReplicas());
        assertEquals(1L, stored.getMetadata().getGeneration());
    }

    @Test
    void aJsonPatchThatCannotApplyIsRejectedWith422() throws Exception {
        String ns = namespace();
        client.apps().deployments().inNamespace(ns).resource(deployment(ns, "jp", "registry.test/jp:v1", 1)).create();

        HttpResponse<String> response = patch("/apis/apps/v1/namespaces/" + ns + "/deployments/jp",
                "application/json-patch+json", "[{\"op\":\"test\",\"path\":\"/spec/replicas\",\"value\":7}]");

        assertEquals(422, response.statusCode(), response.body());
        assertTrue(response.body().contains("\"kind\":\"Status\""));
    }

    @Test
    void equalityLabelSelectorsFilterLists() {
        String ns = namespace();
        client.apps().deployments().inNamespace(ns).resource(deployment(ns, "one", "registry.test/one:v1", 1)).create();
        client.apps().deployments().inNamespace(ns).resource(deployment(ns, "two", "registry.test/two:v1", 1)).create();

        var selected = client.apps().deployments().inNamespace(ns).withLabel("app", "two").list().getItems();
        // labels are on the template only, so select by a label on the objects themselves
        assertTrue(selected.isEmpty(), selected.toString());
        client.apps().deployments().inNamespace(ns).withName("two").edit(d -> {
            d.getMetadata().setLabels(Map.of("tier", "back"));
            return d;
        });
        var back = client.apps().deployments().inNamespace(ns).withLabel("tier", "back").list().getItems();
        assertEquals(List.of("two"), back.stream().map(d -> d.getMetadata().getName()).toList());
    }

    @Test
    void protobufBodiesAreRefusedWith415() throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri("/api/v1/namespaces/pb/configmaps"))
                .header("Content-Type", "application/vnd.kubernetes.protobuf")
                .POST(HttpRequest.BodyPublishers.ofString("k8s\u0000")).build(), HttpResponse.BodyHandlers.ofString());

        assertEquals(415, response.statusCode());
        assertTrue(client.configMaps().inNamespace("pb").list().getItems().isEmpty());
    }

    private HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(uri(path)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> patch(String path, String contentType, String body) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(uri(path)).header("Content-Type", contentType)
                .method("PATCH", HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private URI uri(String path) {
        return URI.create(k8s.apiUrl() + path);
    }
}
