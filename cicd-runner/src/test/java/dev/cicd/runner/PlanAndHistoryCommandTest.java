package dev.cicd.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cicd.testkit.KubernetesBackend;
import dev.cicd.testkit.KubernetesFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code plan} against a live (simulated) cluster, and {@code history -o json}; no etcd anywhere. */
class PlanAndHistoryCommandTest {

    static KubernetesFixture k8s;

    @TempDir
    static Path dir;

    static Path config;

    @BeforeAll
    static void start() throws Exception {
        k8s = KubernetesFixture.builder().backend(KubernetesBackend.SIMULATED).rolloutDelay(Duration.ofMillis(100)).build();
        ItSupport.createDeployment(k8s.client());
        Files.writeString(dir.resolve("kubeconfig"), k8s.kubeconfig());
        config = dir.resolve("cicd.yaml");
        // etcd points at a port nothing listens on: plan must not need it
        Files.writeString(config, """
                etcd:
                  endpoints: [http://127.0.0.1:1]
                kubernetes:
                  kubeconfig: kubeconfig
                registry: %s
                watches:
                  - name: rollout
                    prefix: /cicd/rollout
                    keys: [/trigger]
                    template: builtin:k8s-rollout
                    action: kubernetes
                    allowedNamespaces: [%s]
                """.formatted(ItSupport.REGISTRY, ItSupport.NS));
    }

    @AfterAll
    static void stop() {
        if (k8s != null) {
            k8s.close();
        }
    }

    private static String trigger(String tag) {
        return "{\"action\":\"deploy\",\"k8sNamespace\":\"" + ItSupport.NS + "\",\"appName\":\"demo1\",\"svcName\":\"gateway\","
                + "\"imageTag\":\"" + tag + "\"}";
    }

    @Test
    void planPrintsTheImageChangeAgainstTheLiveDeploymentAndSendsNoWrite() {
        k8s.requestLog().clear();
        CliTestSupport.Run r = CliTestSupport.run("plan", "-c", config.toString(), "--watch", "rollout", "--json", trigger("v7"));
        assertEquals(0, r.exitCode(), r.toString());
        assertTrue(r.out().contains("targets: " + ItSupport.NS + "/" + ItSupport.DEPLOYMENT), r.out());
        assertTrue(r.out().contains("against the live cluster:"), r.out());
        String img = ItSupport.REGISTRY + "/" + ItSupport.DEPLOYMENT;
        assertTrue(r.out().contains("~ deployment " + ItSupport.NS + "/" + ItSupport.DEPLOYMENT + " container gateway: image "
                + img + ":v0 -> " + img + ":v7"), r.out());
        assertEquals(List.of(), k8s.requestLog().mutating(), "plan only reads");
    }

    @Test
    void planOfTheRunningImageSaysInSync() {
        CliTestSupport.Run r = CliTestSupport.run("plan", "-c", config.toString(), "--watch", "rollout", "--json", trigger("v0"));
        assertEquals(0, r.exitCode(), r.toString());
        assertTrue(r.out().contains("in sync: nothing would change"), r.out());
    }

    @Test
    void planOfANamespaceOffTheAllowListIsRejectedWithExitTwo() {
        CliTestSupport.Run r = CliTestSupport.run("plan", "-c", config.toString(), "--watch", "rollout", "--json",
                trigger("v7").replace(ItSupport.NS, "kube-system"));
        assertEquals(2, r.exitCode(), r.toString());
        assertTrue(r.out().contains("rejected: ") && r.out().contains("kube-system"), r.out());
    }

    @Test
    void planOfAnUnknownWatchIsABadUsage() {
        CliTestSupport.Run r = CliTestSupport.run("plan", "-c", config.toString(), "--watch", "nope", "--json", "{}");
        assertEquals(2, r.exitCode(), r.toString());
        assertTrue(r.err().contains("no watch named 'nope'"), r.err());
    }

    @Test
    void historyOutputJsonListsTheRevisions() throws Exception {
        CliTestSupport.Run r = CliTestSupport.run("history", "-c", config.toString(), "-n", ItSupport.NS, "-d",
                ItSupport.DEPLOYMENT, "-o", "json");
        assertEquals(0, r.exitCode(), r.toString());
        JsonNode n = new ObjectMapper().readTree(r.out());
        assertEquals(ItSupport.NS + "/" + ItSupport.DEPLOYMENT, n.get("deployment").asText());
        assertTrue(n.get("revisions").isArray() && n.get("revisions").size() >= 1, r.out());
        assertEquals(ItSupport.REGISTRY + "/" + ItSupport.DEPLOYMENT + ":v0",
                n.get("revisions").get(0).get("images").get("gateway").asText(), r.out());
    }
}
