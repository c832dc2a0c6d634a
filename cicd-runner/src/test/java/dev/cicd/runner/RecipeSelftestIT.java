package dev.cicd.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cicd.testkit.EtcdBackend;
import dev.cicd.testkit.EtcdFixture;
import dev.cicd.testkit.KubernetesBackend;
import dev.cicd.testkit.KubernetesFixture;
import dev.cicd.testkit.RequestLog;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * The jar as users run it, against a real etcd and the simulated cluster: the recipe's self-test,
 * the CI side's exit codes, status, history, health and metrics, and a graceful stop.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 5, unit = java.util.concurrent.TimeUnit.MINUTES)
class RecipeSelftestIT {

    static EtcdFixture etcd;
    static KubernetesFixture k8s;
    static Path dir;
    static Path config;
    static int httpPort;
    static JarProcess runner;

    @BeforeAll
    static void start() throws Exception {
        etcd = EtcdFixture.builder().backend(EtcdBackend.LOCAL).build();
        k8s = KubernetesFixture.builder().backend(KubernetesBackend.SIMULATED)
                .rolloutDelay(Duration.ofMillis(50)).failAfter(Duration.ofSeconds(1)).build();
        ItSupport.createDeployment(k8s.client());
        dir = ItSupport.workDir("recipe-it-");
        httpPort = ItSupport.freePort();
        config = dir.resolve("cicd.yaml");
        Files.writeString(config, ItSupport.recipeConfig(etcd.endpoints().get(0).toString(), k8s.kubeconfigFile(),
                dir.resolve("logs"), httpPort));
        runner = JarProcess.start(dir.resolve("runner.log"), Map.of(), "run", "-c", config.toString());
        runner.awaitLog("watching 2 watch(es)", Duration.ofSeconds(60));
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            if (runner != null) {
                runner.close();
            }
        } finally {
            if (k8s != null) {
                k8s.close();
            }
            if (etcd != null) {
                etcd.close();
            }
        }
    }

    String endpoint() {
        return etcd.endpoints().get(0).toString();
    }

    JarProcess.Finished trigger(String... extra) throws Exception {
        List<String> args = new java.util.ArrayList<>(List.of("trigger", "--endpoints", endpoint(), "--key", "/cicd/rollout/trigger",
                "--namespace", ItSupport.NS, "--app", "demo1", "--service", "gateway", "--wait", "--timeout", "60s"));
        args.addAll(List.of(extra));
        return JarProcess.run(Duration.ofSeconds(90), Map.of(), args.toArray(String[]::new));
    }

    @Test
    @Order(1)
    void selftestAppliesTenDistinctImagesThenOneOfTenIdentical() throws Exception {
        long before = ItSupport.revision(k8s.client());
        JarProcess.Finished r = JarProcess.run(Duration.ofMinutes(3), Map.of(), "selftest", "-c", config.toString(), "--times", "10");
        assertEquals(0, r.exitCode(), r.toString());
        String out = r.out();
        assertTrue(Pattern.compile("received \\(outcomes\\)\\s+10\\s+10").matcher(out).find(), out);
        assertTrue(Pattern.compile("applied \\(runs\\)\\s+10\\s+1\\n").matcher(out).find(), out);
        assertTrue(Pattern.compile("in-sync\\s+0\\s+9\\n").matcher(out).find(), out);
        assertTrue(Pattern.compile("images set\\s+10 \\(want 10\\)\\s+1 \\(want 1\\)").matcher(out).find(), out);
        assertTrue(out.contains("selftest passed"), out);
        // visible on the Deployment: 11 new rollout revisions, and the identical value's image
        assertEquals(before + 11, ItSupport.revision(k8s.client()));
        assertTrue(ItSupport.image(k8s.client()).matches(Pattern.quote(ItSupport.REGISTRY + "/demo1-gateway:st-") + "[0-9a-z]+-same"),
                ItSupport.image(k8s.client()));
    }

    @Test
    @Order(2)
    void triggerWaitExitsZeroWhenTheRolloutSucceeds() throws Exception {
        JarProcess.Finished r = trigger("--tag", "v42");
        assertEquals(0, r.exitCode(), r.toString());
        assertTrue(r.out().contains("applied by watch rollout"), r.out());
        assertEquals(ItSupport.REGISTRY + "/demo1-gateway:v42", ItSupport.image(k8s.client()));
        JarProcess.Finished again = trigger("--tag", "v42");
        assertEquals(0, again.exitCode(), again.toString());
        assertTrue(again.out().contains("in-sync by watch rollout"), again.out());
    }

    @Test
    @Order(3)
    void triggerWaitExitsThreeWhenTheRolloutFails() throws Exception {
        k8s.failImages(Pattern.compile(":broken-"));
        try {
            JarProcess.Finished r = trigger("--tag", "broken-1");
            assertEquals(3, r.exitCode(), r.toString());
            assertTrue(r.out().contains("failed by watch rollout"), r.out());
            assertTrue(r.out().contains("ProgressDeadlineExceeded"), r.out());
        } finally {
            k8s.clearFailures();
        }
    }

    @Test
    @Order(4)
    void triggerWaitExitsTwoForANamespaceOutsideTheAllowList() throws Exception {
        k8s.requestLog().clear();
        JarProcess.Finished r = JarProcess.run(Duration.ofSeconds(90), Map.of(), "trigger", "--endpoints", endpoint(),
                "--key", "/cicd/rollout/trigger", "--namespace", "kube-system", "--app", "demo1", "--service", "gateway",
                "--tag", "v1", "--wait", "--timeout", "60s");
        assertEquals(2, r.exitCode(), r.toString());
        assertTrue(r.out().contains("rejected by watch rollout"), r.out());
        assertTrue(r.out().contains("kube-system"), r.out());
        List<RequestLog.Request> mutating = k8s.requestLog().mutating();
        assertEquals(List.of(), mutating, "no mutating request for a rejected trigger");
    }

    @Test
    @Order(5)
    void statusShowsTheLeaderCheckpointsAndLastOutcomes() throws Exception {
        JarProcess.Finished r = JarProcess.run(Duration.ofSeconds(60), Map.of(), "status", "-c", config.toString());
        assertEquals(0, r.exitCode(), r.toString());
        assertTrue(r.out().contains("group it, leader: "), r.out());
        assertFalse(r.out().contains("leader: none"), r.out());
        assertTrue(Pattern.compile("rollout\\s+/cicd/rollout/trigger\\s+\\d+\\s+rejected r\\d+").matcher(r.out()).find(), r.out());
        assertTrue(Pattern.compile("rollout .* 0\\n").matcher(r.out()).find(), "no lag: " + r.out());
    }

    @Test
    @Order(6)
    void historyListsTheDeploymentsRevisions() throws Exception {
        JarProcess.Finished r = JarProcess.run(Duration.ofSeconds(60), Map.of(), "history", "-c", config.toString(),
                "--namespace", ItSupport.NS, "--deployment", ItSupport.DEPLOYMENT);
        assertEquals(0, r.exitCode(), r.toString());
        assertTrue(r.out().contains("v42"), r.out());
    }

    @Test
    @Order(7)
    void healthReadinessAndMetricsAreServed() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> h = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/healthz")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, h.statusCode(), h.body());
        assertTrue(h.body().contains("\"etcd\" : \"reachable\""), h.body());
        HttpResponse<String> ready = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/readyz")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, ready.statusCode(), ready.body());
        HttpResponse<String> m = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, m.statusCode());
        assertTrue(m.body().contains("cicd_outcomes_total{outcome=\"applied\",watch=\"rollout\"} 12.0"), m.body());
        assertTrue(m.body().contains("cicd_outcomes_total{outcome=\"in-sync\",watch=\"rollout\"} 10.0"), m.body());
        assertTrue(m.body().contains("cicd_outcomes_total{outcome=\"failed\",watch=\"rollout\"} 1.0"), m.body());
        assertTrue(m.body().contains("cicd_outcomes_total{outcome=\"rejected\",watch=\"rollout\"} 1.0"), m.body());
        assertTrue(m.body().contains("cicd_leader{group=\"it\"} 1.0"), m.body());
        assertTrue(m.body().contains("cicd_trigger_latency_seconds_count{watch=\"rollout\"}"), m.body());
    }

    @Test
    @Order(8)
    void sigtermStopsTheRunnerGracefully() throws Exception {
        int code = runner.terminate(Duration.ofSeconds(60));
        assertTrue(code == 143 || code == 0, "exit " + code + " (143 = terminated by SIGTERM after the hooks ran)");
        assertTrue(runner.log().contains("stopped"), runner.log());
    }
}
