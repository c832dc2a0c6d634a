package dev.cicd.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The README's first command: {@code java -jar cicd.jar demo} runs the whole loop and cleans up. */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class DemoIT {

    @Test
    void demoRunsTheRecipesSelftestUndoRejectionAndApplyAndPasses() throws Exception {
        JarProcess.Finished r = JarProcess.run(Duration.ofMinutes(3), Map.of(), "demo", "--times", "4");
        assertEquals(0, r.exitCode(), r.toString());
        String out = r.out();
        assertTrue(out.contains("started etcd (local process) at http://127.0.0.1:"), out);
        assertTrue(out.contains("created Deployment demo1-gateway in ns-demo1-dev"), out);
        // the config is examples/recipe.yaml as it is, with the demo's etcd and cluster as overrides
        assertTrue(out.contains("wrote the recipe's config (examples/recipe.yaml) to "), out);
        for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("..", "examples", "recipe.yaml"))) {
            assertTrue(out.contains("      " + line + "\n"), "the demo prints the recipe's line " + line + "\n" + out);
        }
        assertTrue(out.contains("      CICD_RUNNER_HTTP_PORT=0\n"), out);
        assertTrue(out.contains("revision 3: applied by watch rollout"), out);
        assertTrue(out.contains("image now registry.cn-hangzhou.aliyuncs.com/ns-demo/demo1-gateway:v1"), out);
        assertTrue(out.contains("selftest passed"), out);
        assertTrue(out.contains("applied by watch undo"), out);
        assertTrue(out.contains("rejected by watch rollout: step 1 (setImage): setImage.namespace 'kube-system'"), out);
        assertTrue(out.contains("put /cicd/deploy/trigger {\"action\":\"apply\",\"k8sNamespace\":\"ns-demo1-dev\","
                + "\"appName\":\"demoproject\"}"), out);
        assertTrue(out.contains(": applied by watch deploy"), out);
        assertTrue(out.contains("Deployment demoproject applied and rolled out: 2/2 replicas available"), out);
        assertTrue(out.contains("demo passed"), out);
    }
}
