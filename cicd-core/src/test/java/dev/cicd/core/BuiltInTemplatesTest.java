package dev.cicd.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The recipe's confd templates, translated to Pebble and shipped on the class path. */
class BuiltInTemplatesTest {

    private static final String ROLLOUT_PAYLOAD =
            "{\"action\":\"deploy\",\"k8sNamespace\":\"ns-demo1-dev\",\"appName\":\"demo1\",\"svcName\":\"gateway\",\"imageTag\":\"v1\"}";
    private static final String UNDO_PAYLOAD =
            "{\"action\":\"undo\",\"k8sNamespace\":\"ns-demo1-dev\",\"appName\":\"demo1\",\"svcName\":\"gateway\",\"imageTag\":\"v3\"}";

    private final PebbleRenderer renderer = PebbleRenderer.builder().build();

    private String render(String name, String template, String payload) {
        WatchSpec watch = WatchSpec.builder(name).prefix("/cicd/" + name).key("/trigger").template(template).build();
        SortedMap<String, String> keys = new TreeMap<>();
        keys.put("/trigger", payload);
        return renderer.render(watch, TriggerEvent.put(name, "/cicd/" + name + "/trigger", payload, 12), keys).text();
    }

    @Test
    void rolloutRendersTheRecipeLinesWithQuotedCommandWords() {
        String expected = String.join("\n",
                "### key=/cicd/rollout/trigger",
                "",
                "",
                "### ------ input exp:",
                "# action: deploy",
                "# k8sNamespace: ns-demo1-dev",
                "# appName: demo1",
                "# svcName: gateway",
                "# imageTag: v1",
                "### ------ output exp: k8s cmd",
                "# kubectl -n 'ns-demo1-dev' set image 'deployments/demo1-gateway' "
                        + "'gateway=registry.cn-hangzhou.aliyuncs.com/ns-demo/demo1-gateway:v1'",
                "",
                "",
                "");
        assertEquals(expected, render("rollout", "confd-rollout.peb", ROLLOUT_PAYLOAD));
    }

    @Test
    void undoRendersTheRecipeLinesWithQuotedCommandWords() {
        String expected = String.join("\n",
                "### key=/cicd/undo/trigger",
                "",
                "",
                "### ------ input exp:",
                "# action: undo",
                "# k8sNamespace: ns-demo1-dev",
                "# appName: demo1",
                "# svcName: gateway",
                "# imageTag: v3",
                "### ------ output exp: k8s cmd",
                "# kubectl -n 'ns-demo1-dev' rollout history 'deployments/demo1-gateway'",
                "# kubectl -n 'ns-demo1-dev' rollout undo 'deployments/demo1-gateway'",
                "# kubectl -n 'ns-demo1-dev' rollout history 'deployments/demo1-gateway'",
                "",
                "",
                "");
        assertEquals(expected, render("undo", "confd-undo.peb", UNDO_PAYLOAD));
    }

    @Test
    void distinctImageTagsGiveDistinctFingerprintsAndEqualPayloadsEqualOnes() {
        WatchSpec watch = WatchSpec.builder("rollout").prefix("/cicd/rollout").key("/trigger").template("confd-rollout.peb").build();
        String v2 = ROLLOUT_PAYLOAD.replace("\"v1\"", "\"v2\"");
        Plan a = renderer.render(watch, TriggerEvent.put("rollout", "/cicd/rollout/trigger", ROLLOUT_PAYLOAD, 1),
                new TreeMap<>(java.util.Map.of("/trigger", ROLLOUT_PAYLOAD)));
        Plan b = renderer.render(watch, TriggerEvent.put("rollout", "/cicd/rollout/trigger", ROLLOUT_PAYLOAD, 2),
                new TreeMap<>(java.util.Map.of("/trigger", ROLLOUT_PAYLOAD)));
        Plan c = renderer.render(watch, TriggerEvent.put("rollout", "/cicd/rollout/trigger", v2, 3),
                new TreeMap<>(java.util.Map.of("/trigger", v2)));
        assertEquals(a.fingerprint(), b.fingerprint());
        assertFalse(a.fingerprint().equals(c.fingerprint()));
    }

    @Test
    void withoutTheTriggerKeyOnlyTheHeaderIsRendered() {
        WatchSpec watch = WatchSpec.builder("rollout").prefix("/cicd/rollout").key("/trigger").template("confd-rollout.peb").build();
        String out = renderer.render(watch, TriggerEvent.put("rollout", "/cicd/rollout/trigger", "x", 1), new TreeMap<>()).text();
        assertEquals("### key=/cicd/rollout/trigger\n\n", out);
    }

    @Test
    void injectedCommandsInThePayloadNeverRunWhenThePlanIsExecuted(@TempDir Path dir) throws Exception {
        Path mark = dir.resolve("mark");
        String m = mark.toString();
        String[] tags = {
            "v1; touch " + m,
            "v1\\ntouch " + m + " #",
            "v1' ; touch " + m + " ; echo '",
            "$(touch " + m + ")",
            "`touch " + m + "`",
            "v1\\r\\ntouch " + m,
        };
        for (String tag : tags) {
            String payload = "{\"action\":\"deploy\",\"k8sNamespace\":\"ns\\n" + "touch " + m + "\",\"appName\":\"a\","
                    + "\"svcName\":\"s\",\"imageTag\":\"" + tag.replace("\"", "\\\"") + "\"}";
            for (String template : new String[] {"confd-rollout.peb", "confd-undo.peb"}) {
                String plan = render("rollout", template, payload);
                Path script = dir.resolve("plan.sh");
                Files.writeString(script, plan, StandardCharsets.UTF_8);
                Process p = new ProcessBuilder("bash", script.toString()).redirectErrorStream(true).start();
                assertTrue(p.waitFor(20, TimeUnit.SECONDS), "bash did not finish");
                String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertEquals(0, p.exitValue(), () -> "plan failed: " + output + "\n" + plan);
                assertFalse(Files.exists(mark), () -> "injected command ran for tag " + tag + ":\n" + plan);
            }
        }
    }
}
