package dev.cicd.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cicd.testkit.EtcdBackend;
import dev.cicd.testkit.EtcdFixture;
import dev.cicd.testkit.KubernetesBackend;
import dev.cicd.testkit.KubernetesFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A kubernetes rollout's progress reaches the CI side: the runner writes in-progress records with the
 * rollout's counts while it waits, and {@code trigger --wait} prints them before the verdict.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class RolloutProgressIT {

    @Test
    void triggerWaitPrintsTheRolloutCountsWhileTheRunnerWaitsThenTheVerdict() throws Exception {
        Path dir = ItSupport.workDir("rollout-progress-it-");
        // slow enough that the wait polls the Deployment several times before the rollout completes
        try (EtcdFixture etcd = EtcdFixture.builder().backend(EtcdBackend.LOCAL).build();
                KubernetesFixture k8s = KubernetesFixture.builder().backend(KubernetesBackend.SIMULATED)
                        .rolloutDelay(Duration.ofSeconds(2)).build()) {
            ItSupport.createDeployment(k8s.client());
            String endpoint = etcd.endpoints().get(0).toString();
            Path config = dir.resolve("cicd.yaml");
            Files.writeString(config, ItSupport.recipeConfig(endpoint, k8s.kubeconfigFile(), dir.resolve("logs"), 0));
            try (JarProcess runner = JarProcess.start(dir.resolve("runner.log"), Map.of(), "run", "-c", config.toString())) {
                runner.awaitLog("watching 2 watch(es)", Duration.ofSeconds(60));
                JarProcess.Finished r = JarProcess.run(Duration.ofSeconds(120), Map.of(), "trigger", "-c", config.toString(),
                        "--key", "/cicd/rollout/trigger", "--namespace", ItSupport.NS, "--app", "demo1", "--service",
                        "gateway", "--tag", "v5", "--wait", "--timeout", "90s");
                assertEquals(0, r.exitCode(), r + "\n--- runner\n" + runner.log());
                List<String> lines = r.out().strip().lines().toList();
                String target = ItSupport.NS + "/" + ItSupport.DEPLOYMENT;
                int started = indexOf(lines, "in-progress: started");
                int waiting = indexOf(lines, "in-progress: waitForRollout " + target + ": ");
                int verdict = indexOf(lines, "applied by watch rollout");
                assertTrue(started > 0 && waiting > started && verdict > waiting, "started, rollout counts, verdict: " + r);
                assertTrue(lines.stream().anyMatch(l -> l.matches("in-progress: waitForRollout " + java.util.regex.Pattern.quote(target)
                        + ": \\d/2 replicas updated, \\d available.* \\(runner .+\\)")), r.toString());
            }
        }
    }

    private static int indexOf(List<String> lines, String prefix) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith(prefix)) {
                return i;
            }
        }
        return -1;
    }
}
