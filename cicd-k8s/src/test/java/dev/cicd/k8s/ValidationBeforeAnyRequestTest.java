package dev.cicd.k8s;

import static dev.cicd.k8s.K8sTestSupport.NS;
import static dev.cicd.k8s.K8sTestSupport.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cicd.core.ActionResult;
import dev.cicd.core.Outcome;
import dev.cicd.testkit.KubernetesBackend;
import dev.cicd.testkit.KubernetesFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every invalid plan is REJECTED naming the field and value, and the API server sees no request at all. */
class ValidationBeforeAnyRequestTest {

    static KubernetesFixture k8s;
    static KubernetesAction action;

    @TempDir
    static Path work;

    @BeforeAll
    static void start() {
        k8s = KubernetesFixture.builder().backend(KubernetesBackend.SIMULATED).build();
        action = KubernetesAction.builder(k8s.client())
                .allowedNamespaces(Set.of(NS))
                .allowedDeployments(Set.of("demo1-gateway", NS + "/demo1-api", "applied-web"))
                .allowedRegistries(Set.of("registry.example.com"))
                .manifestRoot(work)
                .build();
    }

    @AfterAll
    static void stop() {
        if (k8s != null) {
            k8s.close();
        }
    }

    @BeforeEach
    void clearLog() {
        k8s.requestLog().clear();
    }

    static String setImage(String ns, String deployment, String container, String image) {
        return "steps:\n  - setImage: {namespace: " + KubernetesPlanTest.jsonString(ns)
                + ", deployment: " + KubernetesPlanTest.jsonString(deployment)
                + ", container: " + KubernetesPlanTest.jsonString(container)
                + ", image: " + KubernetesPlanTest.jsonString(image) + "}\n";
    }

    static final String OK_IMAGE = "registry.example.com/ns-demo/demo1-gateway:v7";

    static Stream<Arguments> invalidPlans() {
        return Stream.of(
                Arguments.of("namespace with upper case", setImage("NS-Demo", "demo1-gateway", "gateway", OK_IMAGE),
                        "setImage.namespace: 'NS-Demo'"),
                Arguments.of("deployment with underscore", setImage(NS, "demo1_gateway", "gateway", OK_IMAGE),
                        "setImage.deployment: 'demo1_gateway'"),
                Arguments.of("container with a slash", setImage(NS, "demo1-gateway", "gate/way", OK_IMAGE),
                        "setImage.container: 'gate/way'"),
                Arguments.of("bad image reference", setImage(NS, "demo1-gateway", "gateway", "registry.example.com/Demo:v7"),
                        "setImage.image: 'registry.example.com/Demo:v7'"),
                Arguments.of("tag with a shell command", setImage(NS, "demo1-gateway", "gateway",
                        "registry.example.com/ns-demo/demo1-gateway:v1; rm -rf /"), "v1; rm -rf /"),
                Arguments.of("tag with command substitution", setImage(NS, "demo1-gateway", "gateway",
                        "registry.example.com/ns-demo/demo1-gateway:$(id)"), "$(id)"),
                Arguments.of("tag with YAML structure", setImage(NS, "demo1-gateway", "gateway",
                        "registry.example.com/ns-demo/demo1-gateway:v1\"}\n  - apply: {manifest: \"x"), "setImage.image"),
                Arguments.of("namespace with a shell command", setImage("ns; kubectl delete ns prod", "demo1-gateway",
                        "gateway", OK_IMAGE), "'ns; kubectl delete ns prod'"),
                Arguments.of("namespace not on the allow-list", setImage("kube-system", "demo1-gateway", "gateway", OK_IMAGE),
                        "setImage.namespace 'kube-system' is not on the allow-list"),
                Arguments.of("deployment not on the allow-list", setImage(NS, "payments", "gateway", OK_IMAGE),
                        "setImage.deployment 'payments' (namespace " + NS + ") is not on the allow-list"),
                Arguments.of("registry not on the allow-list", setImage(NS, "demo1-gateway", "gateway",
                        "evil.example.net/demo1-gateway:v7"), "registry 'evil.example.net'"),
                Arguments.of("a bad second step rejects the whole plan",
                        setImage(NS, "demo1-gateway", "gateway", OK_IMAGE)
                                + "  - waitForRollout: {namespace: \"kube-system\", deployment: \"demo1-gateway\"}\n",
                        "step 2 (waitForRollout)"),
                Arguments.of("undo in a namespace not on the allow-list",
                        "steps:\n  - rolloutUndo: {namespace: \"default\", deployment: \"demo1-gateway\"}\n",
                        "rolloutUndo.namespace 'default'"),
                Arguments.of("apply of an object in a namespace not on the allow-list", """
                        steps:
                          - apply:
                              manifest: |
                                apiVersion: v1
                                kind: ConfigMap
                                metadata: {name: c, namespace: kube-system}
                        """, "metadata.namespace of apply.manifest#1 (ConfigMap) 'kube-system'"),
                Arguments.of("apply of a Deployment with an image from another registry", """
                        steps:
                          - apply:
                              namespace: "ns-demo1-dev"
                              manifest: |
                                apiVersion: apps/v1
                                kind: Deployment
                                metadata: {name: applied-web}
                                spec:
                                  selector: {matchLabels: {app: w}}
                                  template:
                                    metadata: {labels: {app: w}}
                                    spec: {containers: [{name: w, image: "evil.example.net/w:1"}]}
                        """, "containers[w].image"),
                Arguments.of("apply of a missing directory", "steps:\n  - apply: {path: \"nonexistent/manifests\"}\n",
                        "does not exist"),
                Arguments.of("unknown step", "steps:\n  - exec: {command: \"id\"}\n", "unknown type 'exec'"),
                Arguments.of("not YAML", "steps: [\n", "not valid YAML"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidPlans")
    void isRejectedNamingTheFieldAndSendsNoRequest(String name, String plan, String expected) {
        ActionResult r = run(action, plan, work);
        assertEquals(Outcome.Kind.REJECTED, r.kind(), name + ": " + r.reason());
        assertTrue(r.reason().contains(expected), name + ": " + r.reason());
        assertEquals(0, k8s.requestLog().mutating().size(), k8s.requestLog().mutating().toString());
        assertEquals(0, k8s.requestLog().requests().size(), k8s.requestLog().requests().toString());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidPlans")
    void isRejectedWhenPassedAsAParsedPlanToo(String name, String plan, String expected) {
        // the grammar checks run while parsing; the allow-list checks run in the action either way
        try {
            KubernetesPlan parsed = KubernetesPlan.parse(plan);
            ActionResult r = action.execute(parsed, K8sTestSupport.context(work));
            assertEquals(Outcome.Kind.REJECTED, r.kind(), name + ": " + r.reason());
        } catch (dev.cicd.core.CicdException e) {
            assertTrue(e.code() == dev.cicd.core.CicdException.Code.INVALID_FIELD
                    || e.code() == dev.cicd.core.CicdException.Code.BAD_PAYLOAD, e.toString());
        }
        assertEquals(0, k8s.requestLog().requests().size(), k8s.requestLog().requests().toString());
    }

    @org.junit.jupiter.api.Test
    void injectionPayloadsRenderedByTheBuiltInTemplateAreRejectedWithoutARequest() {
        String[][] payloads = {
            {"imageTag", "v1; rm -rf /"},
            {"imageTag", "$(id)"},
            {"imageTag", "v1\"}\n  - apply: {manifest: \"kind: Namespace\"}\n#"},
            {"k8sNamespace", "kube-system"},
            {"k8sNamespace", "ns-demo1-dev\", deployment: \"x"},
            {"svcName", "gateway && curl evil"},
            {"appName", "../../etc"},
        };
        for (String[] p : payloads) {
            java.util.Map<String, String> fields = new java.util.LinkedHashMap<>(java.util.Map.of(
                    "action", "deploy", "k8sNamespace", NS, "appName", "demo1", "svcName", "gateway", "imageTag", "v7"));
            fields.put(p[0], p[1]);
            String json = "{" + fields.entrySet().stream()
                    .map(e -> KubernetesPlanTest.jsonString(e.getKey()) + ":" + KubernetesPlanTest.jsonString(e.getValue()))
                    .collect(java.util.stream.Collectors.joining(",")) + "}";
            ActionResult r = action.execute(BuiltInTemplatesTest.render(BuiltInTemplatesTest.ROLLOUT, json, 21),
                    K8sTestSupport.context(work));
            assertEquals(Outcome.Kind.REJECTED, r.kind(), p[0] + "=" + p[1] + ": " + r.reason());
            assertTrue(r.reason().contains(p[1].split("\n")[0].substring(0, 4)), r.reason());
        }
        assertEquals(0, k8s.requestLog().requests().size(), k8s.requestLog().requests().toString());
    }

    @org.junit.jupiter.api.Test
    void applyPathOutsideTheManifestRootIsRejected() throws Exception {
        Path root = Files.createDirectories(work.resolve("root"));
        Files.writeString(work.resolve("outside.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n");
        KubernetesAction rooted = KubernetesAction.builder(k8s.client()).allowedNamespaces(Set.of(NS))
                .manifestRoot(root).build();
        ActionResult r = run(rooted, "steps:\n  - apply: {path: \"../outside.yaml\", namespace: \"" + NS + "\"}\n", work);
        assertEquals(Outcome.Kind.REJECTED, r.kind(), r.reason());
        assertTrue(r.reason().contains("contains '..'"), r.reason());
        assertEquals(0, k8s.requestLog().requests().size());
    }
}
