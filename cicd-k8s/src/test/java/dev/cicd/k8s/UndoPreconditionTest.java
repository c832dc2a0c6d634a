package dev.cicd.k8s;

import static dev.cicd.k8s.K8sTestSupport.NS;
import static dev.cicd.k8s.K8sTestSupport.create;
import static dev.cicd.k8s.K8sTestSupport.currentImage;
import static dev.cicd.k8s.K8sTestSupport.deployment;
import static dev.cicd.k8s.K8sTestSupport.image;
import static dev.cicd.k8s.K8sTestSupport.patches;
import static dev.cicd.k8s.K8sTestSupport.rolloutPlan;
import static dev.cicd.k8s.K8sTestSupport.run;
import static dev.cicd.k8s.K8sTestSupport.undoPlan;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cicd.core.ActionResult;
import dev.cicd.core.Outcome;
import dev.cicd.testkit.KubernetesBackend;
import dev.cicd.testkit.KubernetesFixture;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code rolloutUndo} and the rollback of {@code onFailure: undo} patch with {@code test} operations on the state
 * they read, so a change someone else made in between is never undone: the outcome is FAILED saying so.
 */
class UndoPreconditionTest {

    static KubernetesFixture k8s;
    static KubernetesClient client;

    @TempDir
    static Path work;

    @BeforeAll
    static void start() {
        k8s = KubernetesFixture.builder().backend(KubernetesBackend.SIMULATED)
                .rolloutDelay(Duration.ofMillis(100)).failAfter(Duration.ofMillis(600)).build();
        client = k8s.client();
    }

    @AfterAll
    static void stop() {
        if (k8s != null) {
            k8s.close();
        }
    }

    /** An action whose listener runs {@code change} once, right before the patch of {@code operation}. */
    static KubernetesAction actionChangingBefore(String operation, Consumer<String> change, List<String> seen) {
        return KubernetesAction.builder(client).allowedNamespaces(Set.of(NS))
                .pollInterval(Duration.ofMillis(50)).defaultWaitTimeout(Duration.ofSeconds(10))
                .listener(new KubernetesAction.Listener() {
                    @Override
                    public void beforePatch(String target, String op) {
                        seen.add(op + " " + target);
                        if (op.equals(operation) && seen.stream().filter(s -> s.startsWith(operation)).count() == 1) {
                            change.accept(target.substring(target.indexOf('/') + 1));
                        }
                    }
                }).build();
    }

    static void setImageBySomeoneElse(String name, String image) {
        client.apps().deployments().inNamespace(NS).withName(name).edit(d -> {
            d.getSpec().getTemplate().getSpec().getContainers().stream().filter(c -> c.getName().equals("app"))
                    .forEach(c -> c.setImage(image));
            return d;
        });
    }

    @Test
    void rolloutUndoOfADeploymentChangedBetweenReadAndPatchFailsAndKeepsTheNewerChange() {
        String name = "undo-race";
        List<String> seen = new ArrayList<>();
        KubernetesAction action = actionChangingBefore("rolloutUndo",
                n -> setImageBySomeoneElse(n, image(n, "v3-by-someone-else")), seen);
        create(client, action, work, deployment(NS, name, "app", image(name, "v1")));
        assertEquals(Outcome.Kind.APPLIED, run(action, rolloutPlan(NS, name, "app", image(name, "v2"), null), work).kind());

        k8s.requestLog().clear();
        ActionResult r = run(action, undoPlan(NS, name), work);

        assertEquals(Outcome.Kind.FAILED, r.kind(), r.reason() + "\n" + r.output());
        assertTrue(r.reason().contains("changed by someone else since it was read"), r.reason());
        assertTrue(r.reason().contains("v2 -> " + image(name, "v3-by-someone-else")), r.reason());
        assertTrue(r.reason().contains("not rolled back"), r.reason());
        assertEquals(image(name, "v3-by-someone-else"), currentImage(client, NS, name, "app"),
                "the newer change made by someone else stays");
        assertEquals(2, patches(k8s).size(), "the other writer's edit and the refused undo: " + patches(k8s));
        assertTrue(seen.contains("rolloutUndo " + NS + "/" + name), seen.toString());
    }

    @Test
    void rolloutUndoOfADeploymentWhoseOtherSpecChangedBetweenReadAndPatchFailsToo() {
        String name = "undo-env-race";
        List<String> seen = new ArrayList<>();
        KubernetesAction action = actionChangingBefore("rolloutUndo", n -> client.apps().deployments().inNamespace(NS)
                .withName(n).edit(d -> {
                    d.getSpec().getTemplate().getSpec().getContainers().get(1).getEnv().add(new EnvVar("MODE", "fast", null));
                    return d;
                }), seen);
        create(client, action, work, deployment(NS, name, "app", image(name, "v1")));
        assertEquals(Outcome.Kind.APPLIED, run(action, rolloutPlan(NS, name, "app", image(name, "v2"), null), work).kind());

        ActionResult r = run(action, undoPlan(NS, name), work);

        assertEquals(Outcome.Kind.FAILED, r.kind(), r.reason() + "\n" + r.output());
        assertTrue(r.reason().contains("changed by someone else since it was read (generation "), r.reason());
        Deployment d = client.apps().deployments().inNamespace(NS).withName(name).get();
        assertEquals(image(name, "v2"), currentImage(client, NS, name, "app"));
        assertEquals("fast", d.getSpec().getTemplate().getSpec().getContainers().get(1).getEnv().get(0).getValue());
    }

    @Test
    void anUnchangedDeploymentIsStillUndoneWithTheGuardedPatch() {
        String name = "undo-quiet";
        KubernetesAction action = actionChangingBefore("none", n -> { }, new ArrayList<>());
        create(client, action, work, deployment(NS, name, "app", image(name, "v1")));
        assertEquals(Outcome.Kind.APPLIED, run(action, rolloutPlan(NS, name, "app", image(name, "v2"), null), work).kind());
        k8s.requestLog().clear();
        ActionResult r = run(action, undoPlan(NS, name), work);
        assertEquals(Outcome.Kind.APPLIED, r.kind(), r.reason() + "\n" + r.output());
        assertEquals(image(name, "v1"), currentImage(client, NS, name, "app"));
        assertEquals(1, patches(k8s).size(), patches(k8s).toString());
    }

    @Test
    void onFailureUndoDoesNotRollBackWhenSomeoneElseChangedTheDeploymentBetweenReadAndPatch() {
        String name = "rollback-race";
        List<String> seen = new ArrayList<>();
        KubernetesAction action = actionChangingBefore("rollback",
                n -> setImageBySomeoneElse(n, image(n, "v9-hotfix")), seen);
        create(client, action, work, deployment(NS, name, "app", image(name, "v1")));
        k8s.failImages(Pattern.compile(name + ":broken$"));

        ActionResult r = run(action, "onFailure: undo\n" + rolloutPlan(NS, name, "app", image(name, "broken"), null), work);

        assertEquals(Outcome.Kind.FAILED, r.kind(), r.reason() + "\n" + r.output());
        assertTrue(r.reason().contains("ProgressDeadlineExceeded"), r.reason());
        assertTrue(r.reason().contains("rollback to revision 1 failed: deployment " + NS + "/" + name
                + " was changed by someone else since it was read"), r.reason());
        assertEquals(image(name, "v9-hotfix"), currentImage(client, NS, name, "app"), "the hotfix is not undone");
        assertEquals(List.of("setImage " + NS + "/" + name, "rollback " + NS + "/" + name), seen);
    }

    @Test
    void onFailureUndoDoesNotRollBackADeploymentSomeoneElseChangedDuringTheWait() {
        String name = "rollback-late";
        List<String> seen = new ArrayList<>();
        java.util.concurrent.atomic.AtomicBoolean armed = new java.util.concurrent.atomic.AtomicBoolean();
        KubernetesAction action = KubernetesAction.builder(client).allowedNamespaces(Set.of(NS))
                .pollInterval(Duration.ofMillis(50)).defaultWaitTimeout(Duration.ofSeconds(10))
                .listener(new KubernetesAction.Listener() {
                    @Override
                    public void stepStarted(int index, Step step) {
                        if (step instanceof Step.WaitForRollout && armed.getAndSet(false)) {
                            // another deploy lands while ours is still rolling out; it fails too
                            setImageBySomeoneElse(name, image(name, "broken-too"));
                        }
                    }

                    @Override
                    public void beforePatch(String target, String operation) {
                        seen.add(operation);
                    }
                }).build();
        create(client, action, work, deployment(NS, name, "app", image(name, "v1")));
        k8s.failImages(Pattern.compile(name + ":broken"));
        armed.set(true);

        ActionResult r = run(action, "onFailure: undo\n" + rolloutPlan(NS, name, "app", image(name, "broken"), null), work);

        assertEquals(Outcome.Kind.FAILED, r.kind(), r.reason() + "\n" + r.output());
        assertTrue(r.reason().contains("rollback to revision 1 failed: deployment " + NS + "/" + name
                + " was changed by someone else since it was read: container app runs " + image(name, "broken-too")
                + ", not " + image(name, "broken")), r.reason());
        assertEquals(image(name, "broken-too"), currentImage(client, NS, name, "app"));
        assertEquals(List.of("setImage"), seen, "no rollback patch is sent");
        assertFalse(r.reason().contains("rolled back to"), r.reason());
    }
}
