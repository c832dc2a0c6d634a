package dev.cicd.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cicd.core.Outcome;
import dev.cicd.etcd.PublishResult;
import dev.cicd.etcd.TriggerPublisher;
import dev.cicd.testkit.EtcdBackend;
import dev.cicd.testkit.EtcdFixture;
import dev.cicd.testkit.KubernetesBackend;
import dev.cicd.testkit.KubernetesFixture;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Targets, not streams, through the jar as users run it (real etcd, the simulated cluster, the recipe's
 * config): every app's deploys go through the one trigger key, yet one app's rollout does not hold back
 * another's, and "in sync" is judged against the cluster.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class TargetsIT {

    static final String NS = ItSupport.NS;
    static final String KEY = "/cicd/rollout/trigger";
    static final String UNDO_KEY = "/cicd/undo/trigger";
    static final Duration ROLLOUT = Duration.ofSeconds(2);
    static final int APPS = 50;
    static final int PARALLELISM = 16;

    static EtcdFixture etcd;
    static KubernetesFixture k8s;
    static JarProcess runner;
    static TriggerPublisher ci;

    @BeforeAll
    static void start() throws Exception {
        etcd = EtcdFixture.builder().backend(EtcdBackend.LOCAL).build();
        k8s = KubernetesFixture.builder().backend(KubernetesBackend.SIMULATED).rolloutDelay(ROLLOUT)
                .failAfter(Duration.ofMinutes(5)).build();
        for (int i = 1; i <= APPS; i++) {
            createDeployment(k8s.client(), "app" + i);
        }
        Path dir = ItSupport.workDir("targets-it-");
        Path config = dir.resolve("cicd.yaml");
        Files.writeString(config, ItSupport.recipeConfig(etcd.endpoints().get(0).toString(), k8s.kubeconfigFile(),
                dir.resolve("logs"), ItSupport.freePort()));
        runner = JarProcess.start(dir.resolve("runner.log"), Map.of("CICD_RUNNER_PARALLELISM",
                Integer.toString(PARALLELISM)), "run", "-c", config.toString());
        runner.awaitLog("watching 2 watch(es)", Duration.ofSeconds(60));
        ci = TriggerPublisher.builder(etcd.client()).build();
    }

    @AfterAll
    static void stop() throws Exception {
        if (runner != null) {
            runner.close();
        }
        if (k8s != null) {
            k8s.close();
        }
        if (etcd != null) {
            etcd.close();
        }
    }

    static void createDeployment(KubernetesClient kube, String app) {
        if (kube.namespaces().withName(NS).get() == null) {
            kube.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build()).create();
        }
        String name = app + "-gateway";
        Deployment d = new DeploymentBuilder()
                .withNewMetadata().withName(name).withNamespace(NS).endMetadata()
                .withNewSpec().withReplicas(1)
                .withNewSelector().addToMatchLabels("app", name).endSelector()
                .withNewTemplate()
                .withNewMetadata().addToLabels("app", name).endMetadata()
                .withNewSpec().addNewContainer().withName("gateway").withImage(image(app, "v0"))
                .endContainer().endSpec()
                .endTemplate().endSpec().build();
        kube.apps().deployments().inNamespace(NS).resource(d).create();
    }

    static String image(String app, String tag) {
        return ItSupport.REGISTRY + "/" + app + "-gateway:" + tag;
    }

    static String imageOf(String app) {
        return k8s.client().apps().deployments().inNamespace(NS).withName(app + "-gateway").get()
                .getSpec().getTemplate().getSpec().getContainers().get(0).getImage();
    }

    static String deploy(String app, String tag) {
        return "{\"action\":\"deploy\",\"k8sNamespace\":\"" + NS + "\",\"appName\":\"" + app
                + "\",\"svcName\":\"gateway\",\"imageTag\":\"" + tag + "\"}";
    }

    static String undo(String app) {
        return "{\"action\":\"undo\",\"k8sNamespace\":\"" + NS + "\",\"appName\":\"" + app + "\",\"svcName\":\"gateway\"}";
    }

    static Outcome.Kind verdict(String key, String json) {
        PublishResult r = ci.publishAndAwait(key, json, Duration.ofMinutes(2));
        assertTrue(r.kind().isPresent(), "no verdict for " + json);
        return r.kind().get();
    }

    @Test
    void undoTwiceGoesBackToTheNewerImageLikeKubectlRolloutUndo() {
        for (String tag : List.of("v1", "v2", "v3")) {
            assertEquals(Outcome.Kind.APPLIED, verdict(KEY, deploy("app1", tag)));
        }
        assertEquals(image("app1", "v3"), imageOf("app1"));
        assertEquals(Outcome.Kind.APPLIED, verdict(UNDO_KEY, undo("app1")));
        assertEquals(image("app1", "v2"), imageOf("app1"));
        assertEquals(Outcome.Kind.APPLIED, verdict(UNDO_KEY, undo("app1")), "the same undo text acts again");
        assertEquals(image("app1", "v3"), imageOf("app1"));
    }

    @Test
    void deployUndoDeployOfTheSameTagEndsAtThatTag() {
        assertEquals(Outcome.Kind.APPLIED, verdict(KEY, deploy("app2", "v6")));
        assertEquals(Outcome.Kind.APPLIED, verdict(KEY, deploy("app2", "v7")));
        assertEquals(Outcome.Kind.APPLIED, verdict(UNDO_KEY, undo("app2")));
        assertEquals(image("app2", "v6"), imageOf("app2"));
        assertEquals(Outcome.Kind.APPLIED, verdict(KEY, deploy("app2", "v7")),
                "not skipped because an earlier plan had the same text");
        assertEquals(image("app2", "v7"), imageOf("app2"));
        assertEquals(Outcome.Kind.IN_SYNC, verdict(KEY, deploy("app2", "v7")), "the cluster is at v7: in sync");
    }

    @Test
    void aSecondAppsVerdictDoesNotWaitForTheFirstAppsRollout() throws Exception {
        long t0 = System.nanoTime();
        long a = ci.publish(KEY, deploy("app3", "v1"));
        Thread.sleep(300);
        long putB = System.nanoTime();
        long b = ci.publish(KEY, deploy("app4", "v1"));
        PublishResult rb = ci.awaitOutcome(KEY, b, Duration.ofMinutes(1));
        double bSeconds = (System.nanoTime() - putB) / 1e9;
        PublishResult ra = ci.awaitOutcome(KEY, a, Duration.ofMinutes(1));
        assertEquals(Optional.of(Outcome.Kind.APPLIED), ra.kind());
        assertEquals(Optional.of(Outcome.Kind.APPLIED), rb.kind());
        assertTrue(bSeconds < ROLLOUT.toSeconds() + 2.5, "app4's verdict took " + bSeconds + " s, one rollout is "
                + ROLLOUT.toSeconds() + " s: it did not wait for app3's");
        System.out.printf("two apps through one key, %d s rollouts: the second verdict %.2f s after its put, both"
                + " done %.2f s after the first put%n", ROLLOUT.toSeconds(), bSeconds, (System.nanoTime() - t0) / 1e9);
    }

    @Test
    void fiftyAppsTriggeredAtOnceThroughOneKeyAllGetTheirVerdictWithinTheLaneBound() throws Exception {
        long t0 = System.nanoTime();
        List<Long> revisions = new ArrayList<>();
        for (int i = 1; i <= APPS; i++) {
            revisions.add(ci.publish(KEY, deploy("app" + i, "burst")));
        }
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<CompletableFuture<Double>> done = new ArrayList<>();
            for (long rev : revisions) {
                done.add(CompletableFuture.supplyAsync(() -> {
                    PublishResult r = ci.awaitOutcome(KEY, rev, Duration.ofMinutes(2));
                    assertEquals(Optional.of(Outcome.Kind.APPLIED), r.kind(), r.reason());
                    return (System.nanoTime() - t0) / 1e9;
                }, pool));
            }
            double slowest = 0;
            for (CompletableFuture<Double> f : done) {
                slowest = Math.max(slowest, f.get(3, TimeUnit.MINUTES));
            }
            double bound = ROLLOUT.toSeconds() * Math.ceil((double) APPS / PARALLELISM) + 2;
            System.out.printf("%d apps through one key, %d s rollouts, parallelism %d: last verdict %.2f s after the"
                    + " first put (bound %.0f s)%n", APPS, ROLLOUT.toSeconds(), PARALLELISM, slowest, bound);
            assertTrue(slowest <= bound, "last verdict after " + slowest + " s, bound " + bound + " s");
        } finally {
            pool.shutdownNow();
        }
        for (int i = 1; i <= APPS; i++) {
            assertEquals(image("app" + i, "burst"), imageOf("app" + i));
        }
    }
}
