package dev.cicd.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.cicd.core.CicdException;
import dev.cicd.core.PebbleRenderer;
import dev.cicd.core.Plan;
import dev.cicd.core.TriggerEvent;
import dev.cicd.core.WatchSpec;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The built-in templates render the recipe's triggers into plans; payload values stay scalars. The registry is the
 * renderer variable {@code registry}.
 */
class BuiltInTemplatesTest {

    static final PebbleRenderer RENDERER = PebbleRenderer.builder()
            .variable(KubernetesTemplates.REGISTRY_VARIABLE, "registry.example.com/ns-demo").build();
    static final WatchSpec ROLLOUT = WatchSpec.builder("rollout").prefix("/cicd/rollout").key("/trigger")
            .template(KubernetesTemplates.ROLLOUT).action("kubernetes").build();
    static final WatchSpec UNDO = WatchSpec.builder("undo").prefix("/cicd/undo").key("/trigger")
            .template(KubernetesTemplates.UNDO).action("kubernetes").build();
    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    static Plan render(WatchSpec watch, String payload, long revision) {
        TriggerEvent e = TriggerEvent.put(watch.name(), watch.prefix() + "/trigger", payload, revision);
        TreeMap<String, String> keys = new TreeMap<>();
        keys.put("/trigger", payload);
        return RENDERER.render(watch, e, keys);
    }

    static String trigger(String action, String ns, String app, String svc, String tag) {
        return "{\"action\":" + KubernetesPlanTest.jsonString(action) + ",\"k8sNamespace\":" + KubernetesPlanTest.jsonString(ns)
                + ",\"appName\":" + KubernetesPlanTest.jsonString(app) + ",\"svcName\":" + KubernetesPlanTest.jsonString(svc)
                + ",\"imageTag\":" + KubernetesPlanTest.jsonString(tag) + "}";
    }

    @Test
    void rolloutWithoutARegistryVariableFailsNamingIt() {
        PebbleRenderer bare = PebbleRenderer.builder().build();
        TriggerEvent e = TriggerEvent.put("rollout", "/cicd/rollout/trigger", trigger("deploy", "ns", "demo1", "gateway", "v7"), 3);
        CicdException ex = assertThrows(CicdException.class, () -> bare.render(ROLLOUT, e, new TreeMap<>()));
        assertEquals(CicdException.Code.TEMPLATE, ex.code());
        assertTrue(ex.getMessage().contains("registry"), ex.getMessage());
    }

    @Test
    void rolloutTriggerRendersSetImageAndWaitForRollout() {
        Plan plan = render(ROLLOUT, trigger("deploy", "ns-demo1-dev", "demo1", "gateway", "v7"), 5);
        KubernetesPlan p = KubernetesPlan.parse(plan.text());
        assertEquals(List.of(
                new Step.SetImage("ns-demo1-dev", "demo1-gateway", "gateway",
                        "registry.example.com/ns-demo/demo1-gateway:v7", Optional.empty()),
                new Step.WaitForRollout("ns-demo1-dev", "demo1-gateway", Optional.empty())), p.steps());
    }

    @Test
    void undoTriggerRendersHistoryUndoWaitHistory() {
        Plan plan = render(UNDO, trigger("undo", "ns-demo1-dev", "demo1", "gateway", "v3"), 9);
        KubernetesPlan p = KubernetesPlan.parse(plan.text());
        assertEquals(List.of("rolloutHistory", "rolloutUndo", "waitForRollout", "rolloutHistory"),
                p.steps().stream().map(Step::type).toList());
        p.steps().forEach(s -> assertEquals("ns-demo1-dev/demo1-gateway", ((Step.OnDeployment) s).target()));
        assertTrue(((Step.RolloutUndo) p.steps().get(1)).toRevision().isEmpty(), "previous revision");
    }

    @Test
    void theSameTriggerAtAnotherRevisionRendersTheSamePlan() {
        String t = trigger("deploy", "ns-demo1-dev", "demo1", "gateway", "v7");
        assertEquals(render(ROLLOUT, t, 5).fingerprint(), render(ROLLOUT, t, 6).fingerprint(),
                "equal trigger values must be recognised as in sync");
    }

    @Test
    void payloadValuesCannotAddYamlStructure() throws Exception {
        String[] tags = {
            "v1\"\n  - apply: {manifest: \"kind: Namespace\"}\n#",
            "v1\", namespace: \"kube-system",
            "v1'\n    namespace: kube-system\n",
            "v1\\\"}]\nonFailure: none\nsteps: [",
            "v1\u2028  - rolloutUndo: {}",
            "v1 # comment",
            "{{ 7*7 }}",
        };
        for (String tag : tags) {
            Plan plan = render(ROLLOUT, trigger("deploy", "ns-demo1-dev", "demo1", "gateway", tag), 3);
            JsonNode tree = YAML.readTree(plan.text());
            assertEquals(Set.of("steps"), fieldNames(tree), plan.text());
            assertEquals(2, tree.get("steps").size(), plan.text());
            JsonNode setImage = tree.get("steps").get(0).get("setImage");
            assertEquals(Set.of("namespace", "deployment", "container", "image"), fieldNames(setImage), plan.text());
            assertEquals("ns-demo1-dev", setImage.get("namespace").asText());
            assertEquals("registry.example.com/ns-demo/demo1-gateway:" + tag, setImage.get("image").asText(),
                    "the tag arrives verbatim, as one string");
            CicdException e = assertThrows(CicdException.class, () -> KubernetesPlan.parse(plan.text()), tag);
            assertEquals(CicdException.Code.INVALID_FIELD, e.code());
            assertTrue(e.getMessage().contains("setImage.image"), e.getMessage());
        }
    }

    @Test
    void injectionInTheNamespaceOrNamesStaysInsideItsField() throws Exception {
        Plan plan = render(UNDO, trigger("undo", "ns\", deployment: \"other", "demo1\"}\n  - apply: {path: \"/\"", "gw", "v1"), 4);
        JsonNode tree = YAML.readTree(plan.text());
        assertEquals(4, tree.get("steps").size(), plan.text());
        for (JsonNode step : tree.get("steps")) {
            JsonNode args = step.elements().next();
            assertEquals(Set.of("namespace", "deployment"), fieldNames(args), plan.text());
            assertEquals("ns\", deployment: \"other", args.get("namespace").asText());
        }
        assertThrows(CicdException.class, () -> KubernetesPlan.parse(plan.text()));
    }

    private static Set<String> fieldNames(JsonNode n) {
        Set<String> out = new java.util.TreeSet<>();
        n.fieldNames().forEachRemaining(out::add);
        return out;
    }
}
