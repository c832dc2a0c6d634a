package dev.cicd.k8s;

import static dev.cicd.k8s.K8sTestSupport.NS;
import static dev.cicd.k8s.K8sTestSupport.create;
import static dev.cicd.k8s.K8sTestSupport.deployment;
import static dev.cicd.k8s.K8sTestSupport.image;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cicd.core.ActionResult;
import dev.cicd.core.Outcome;
import dev.cicd.testkit.KubernetesBackend;
import dev.cicd.testkit.KubernetesFixture;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The per-Deployment lock: plans on different Deployments overlap, plans on the same one do not. Ordering is
 * forced with latches from the action's listener, never with sleeps.
 */
class DeploymentLockTest {

    static KubernetesFixture k8s;

    @TempDir
    static Path work;

    @BeforeAll
    static void start() {
        k8s = KubernetesFixture.builder().backend(KubernetesBackend.SIMULATED).build();
        KubernetesAction setup = KubernetesAction.builder(k8s.client()).allowedNamespaces(Set.of(NS)).build();
        create(k8s.client(), setup, work, deployment(NS, "lock-a", "app", image("lock-a", "v1")));
        create(k8s.client(), setup, work, deployment(NS, "lock-b", "app", image("lock-b", "v1")));
    }

    @AfterAll
    static void stop() {
        if (k8s != null) {
            k8s.close();
        }
    }

    private static String history(String deployment) {
        return "steps:\n  - rolloutHistory: {namespace: \"" + NS + "\", deployment: \"" + deployment + "\"}\n";
    }

    @Test
    void plansOnDifferentDeploymentsRunAtTheSameTime() throws Exception {
        CountDownLatch aInside = new CountDownLatch(1);
        CountDownLatch bInside = new CountDownLatch(1);
        Map<String, Boolean> sawOther = new ConcurrentHashMap<>();
        KubernetesAction action = KubernetesAction.builder(k8s.client()).allowedNamespaces(Set.of(NS))
                .listener(new KubernetesAction.Listener() {
                    @Override
                    public void stepStarted(int index, Step step) {
                        String target = ((Step.OnDeployment) step).deployment();
                        // each plan, holding its lock, waits until the other plan is inside its own step
                        CountDownLatch mine = target.equals("lock-a") ? aInside : bInside;
                        CountDownLatch other = target.equals("lock-a") ? bInside : aInside;
                        mine.countDown();
                        try {
                            sawOther.put(target, other.await(20, TimeUnit.SECONDS));
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                }).build();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<ActionResult> a = pool.submit(() -> K8sTestSupport.run(action, history("lock-a"), work));
            Future<ActionResult> b = pool.submit(() -> K8sTestSupport.run(action, history("lock-b"), work));
            assertEquals(Outcome.Kind.IN_SYNC, a.get(30, TimeUnit.SECONDS).kind(), "a history plan only reads");
            assertEquals(Outcome.Kind.IN_SYNC, b.get(30, TimeUnit.SECONDS).kind());
        } finally {
            pool.shutdownNow();
        }
        assertEquals(Map.of("lock-a", true, "lock-b", true), sawOther,
                "both plans were inside a step of their own Deployment at the same time");
    }

    @Test
    void plansOnTheSameDeploymentRunOneAfterTheOther() throws Exception {
        CountDownLatch firstInside = new CountDownLatch(1);
        CountDownLatch releaseFirst = new CountDownLatch(1);
        CountDownLatch secondWaiting = new CountDownLatch(1);
        List<String> events = new CopyOnWriteArrayList<>();
        KubernetesAction action = KubernetesAction.builder(k8s.client()).allowedNamespaces(Set.of(NS))
                .listener(new KubernetesAction.Listener() {
                    @Override
                    public void lockWaiting(String target) {
                        events.add(Thread.currentThread().getName() + " waits for " + target);
                        secondWaiting.countDown();
                    }

                    @Override
                    public void stepStarted(int index, Step step) {
                        events.add(Thread.currentThread().getName() + " started");
                        if (Thread.currentThread().getName().equals("first")) {
                            firstInside.countDown();
                            try {
                                assertTrue(releaseFirst.await(20, TimeUnit.SECONDS));
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                        }
                    }

                    @Override
                    public void stepFinished(int index, Step step, boolean succeeded, String summary) {
                        events.add(Thread.currentThread().getName() + " finished");
                    }
                }).build();
        ActionResult[] results = new ActionResult[2];
        Thread first = new Thread(() -> results[0] = K8sTestSupport.run(action, history("lock-a"), work), "first");
        Thread second = new Thread(() -> results[1] = K8sTestSupport.run(action, history("lock-a"), work), "second");
        first.start();
        assertTrue(firstInside.await(20, TimeUnit.SECONDS), "the first plan started its step");
        second.start();
        assertTrue(secondWaiting.await(20, TimeUnit.SECONDS), "the second plan waits for the lock");
        assertEquals(List.of("first started", "second waits for " + NS + "/lock-a"), List.copyOf(events),
                "the second plan has not started a step while the first holds the lock");
        releaseFirst.countDown();
        first.join(30_000);
        second.join(30_000);
        assertEquals(List.of("first started", "second waits for " + NS + "/lock-a", "first finished",
                "second started", "second finished"), List.copyOf(events));
        assertEquals(Outcome.Kind.IN_SYNC, results[0].kind(), "a history plan only reads");
        assertEquals(Outcome.Kind.IN_SYNC, results[1].kind());
    }

    @Test
    void twoActionInstancesShareTheLockOfADeployment() throws Exception {
        CountDownLatch firstInside = new CountDownLatch(1);
        CountDownLatch releaseFirst = new CountDownLatch(1);
        CountDownLatch secondWaiting = new CountDownLatch(1);
        KubernetesAction rollout = KubernetesAction.builder(k8s.client()).allowedNamespaces(Set.of(NS))
                .listener(new KubernetesAction.Listener() {
                    @Override
                    public void stepStarted(int index, Step step) {
                        firstInside.countDown();
                        try {
                            assertTrue(releaseFirst.await(20, TimeUnit.SECONDS));
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                }).build();
        KubernetesAction undo = KubernetesAction.builder(k8s.client()).allowedNamespaces(Set.of(NS))
                .listener(new KubernetesAction.Listener() {
                    @Override
                    public void lockWaiting(String target) {
                        secondWaiting.countDown();
                    }
                }).build();
        Thread first = new Thread(() -> K8sTestSupport.run(rollout, history("lock-b"), work));
        first.start();
        assertTrue(firstInside.await(20, TimeUnit.SECONDS));
        Thread second = new Thread(() -> K8sTestSupport.run(undo, history("lock-b"), work));
        second.start();
        assertTrue(secondWaiting.await(20, TimeUnit.SECONDS), "the undo action waits for the rollout action's lock");
        releaseFirst.countDown();
        first.join(30_000);
        second.join(30_000);
    }
}
