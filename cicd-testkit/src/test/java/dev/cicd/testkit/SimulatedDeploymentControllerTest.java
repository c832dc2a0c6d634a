package dev.cicd.testkit;

import static dev.cicd.testkit.K8sTestObjects.await;
import static dev.cicd.testkit.K8sTestObjects.awaitRolledOut;
import static dev.cicd.testkit.K8sTestObjects.condition;
import static dev.cicd.testkit.K8sTestObjects.deployment;
import static dev.cicd.testkit.K8sTestObjects.namespace;
import static dev.cicd.testkit.K8sTestObjects.ownedReplicaSets;
import static dev.cicd.testkit.K8sTestObjects.revision;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentCondition;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@WithKubernetes(backend = KubernetesBackend.SIMULATED, rolloutDelayMillis = 100, failAfterMillis = 600)
@Timeout(60)
class SimulatedDeploymentControllerTest {

    KubernetesFixture k8s;
    KubernetesClient client;

    @AfterEach
    void clearFailureHook() {
        k8s.clearFailures();
    }

    @Test
    void creatingADeploymentCreatesAnOwnedReplicaSetAtRevisionOne() {
        String ns = namespace();
        Deployment created = client.apps().deployments().inNamespace(ns)
                .resource(deployment(ns, "web", "registry.test/web:v1", 2)).create();
        ReplicaSet rs = await("a replica set", Duration.ofSeconds(5),
                () -> ownedReplicaSets(client, created).stream().findFirst());

        assertEquals(1, revision(rs));
        String hash = rs.getMetadata().getLabels().get("pod-template-hash");
        assertNotEquals(null, hash);
        assertEquals("web-" + hash, rs.getMetadata().getName());
        assertEquals(hash, rs.getSpec().getTemplate().getMetadata().getLabels().get("pod-template-hash"));
        assertEquals(hash, rs.getSpec().getSelector().getMatchLabels().get("pod-template-hash"));
        assertEquals("web", rs.getSpec().getSelector().getMatchLabels().get("app"));
        var owner = rs.getMetadata().getOwnerReferences().get(0);
        assertEquals("Deployment", owner.getKind());
        assertEquals("web", owner.getName());
        assertEquals(created.getMetadata().getUid(), owner.getUid());
        assertTrue(owner.getController());
        Deployment done = awaitRolledOut(client, ns, "web");
        assertEquals("1", revision(done));
        assertEquals(2, done.getStatus().getReadyReplicas());
    }

    @Test
    void changingTheImageMakesRevisionTwoAndTheStatusConverges() {
        String ns = namespace();
        client.apps().deployments().inNamespace(ns).resource(deployment(ns, "api", "registry.test/api:v1", 3)).create();
        Deployment first = awaitRolledOut(client, ns, "api");
        assertEquals(1L, first.getMetadata().getGeneration());

        client.apps().deployments().inNamespace(ns).withName("api").updateImage("registry.test/api:v2");
        Deployment second = awaitRolledOut(client, ns, "api");

        assertEquals(2L, second.getMetadata().getGeneration());
        assertEquals(2L, second.getStatus().getObservedGeneration());
        assertEquals("2", revision(second));
        assertEquals(3, second.getStatus().getReplicas());
        assertEquals(3, second.getStatus().getUpdatedReplicas());
        assertEquals(3, second.getStatus().getReadyReplicas());
        assertEquals(3, second.getStatus().getAvailableReplicas());
        assertNull(second.getStatus().getUnavailableReplicas());
        DeploymentCondition available = condition(second, "Available").orElseThrow();
        assertEquals("True", available.getStatus());
        assertEquals("MinimumReplicasAvailable", available.getReason());
        DeploymentCondition progressing = condition(second, "Progressing").orElseThrow();
        assertEquals("True", progressing.getStatus());
        assertEquals("NewReplicaSetAvailable", progressing.getReason());

        List<ReplicaSet> owned = ownedReplicaSets(client, second);
        assertEquals(2, owned.size());
        ReplicaSet old = owned.get(0);
        ReplicaSet current = owned.get(1);
        assertEquals(1, revision(old));
        assertEquals(2, revision(current));
        assertEquals("registry.test/api:v2", current.getSpec().getTemplate().getSpec().getContainers().get(0).getImage());
        assertEquals(0, old.getSpec().getReplicas());
        assertEquals(0, old.getStatus().getReplicas());
        assertEquals(3, current.getStatus().getAvailableReplicas());
        assertTrue(progressing.getMessage().contains(current.getMetadata().getName()));
    }

    @Test
    void theStatusShowsTheRolloutInProgressBeforeItConverges() {
        String ns = namespace();
        client.apps().deployments().inNamespace(ns).resource(deployment(ns, "slow", "registry.test/slow:v1", 1)).create();
        awaitRolledOut(client, ns, "slow");
        client.apps().deployments().inNamespace(ns).withName("slow").updateImage("registry.test/slow:v2");

        Deployment seen = await("a status that is not rolled out", Duration.ofSeconds(5), () -> {
            Deployment d = client.apps().deployments().inNamespace(ns).withName("slow").get();
            boolean newGeneration = d.getMetadata().getGeneration() == 2L;
            return newGeneration && !K8sTestObjects.rolledOut(d) ? Optional.of(d) : Optional.empty();
        });
        assertFalse(K8sTestObjects.rolledOut(seen));
        awaitRolledOut(client, ns, "slow");
    }

    @Test
    void rollingBackToTheFirstTemplateReusesItsReplicaSetAsRevisionThree() {
        String ns = namespace();
        client.apps().deployments().inNamespace(ns).resource(deployment(ns, "shop", "registry.test/shop:v1", 1)).create();
        Deployment v1 = awaitRolledOut(client, ns, "shop");
        ReplicaSet first = ownedReplicaSets(client, v1).get(0);
        client.apps().deployments().inNamespace(ns).withName("shop").updateImage("registry.test/shop:v2");
        awaitRolledOut(client, ns, "shop");

        client.apps().deployments().inNamespace(ns).withName("shop").edit(d -> {
            d.getSpec().setTemplate(first.getSpec().getTemplate());
            d.getSpec().getTemplate().getMetadata().getLabels().remove("pod-template-hash");
            return d;
        });
        Deployment v3 = await("revision 3", Duration.ofSeconds(10), () -> {
            Deployment d = client.apps().deployments().inNamespace(ns).withName("shop").get();
            return "3".equals(revision(d)) && K8sTestObjects.rolledOut(d) ? Optional.of(d) : Optional.empty();
        });

        List<ReplicaSet> owned = ownedReplicaSets(client, v3);
        assertEquals(2, owned.size(), "no new replica set for a template seen before");
        ReplicaSet reused = owned.get(1);
        assertEquals(first.getMetadata().getName(), reused.getMetadata().getName());
        assertEquals(first.getMetadata().getUid(), reused.getMetadata().getUid());
        assertEquals(3, revision(reused));
        assertEquals("1", reused.getMetadata().getAnnotations().get("deployment.kubernetes.io/revision-history"));
        assertEquals(1, reused.getSpec().getReplicas());
        assertEquals(2, revision(owned.get(0)));
        assertEquals(0, owned.get(0).getSpec().getReplicas());
    }

    @Test
    void fabric8RollingUndoGoesBackToThePreviousRevision() {
        String ns = namespace();
        client.apps().deployments().inNamespace(ns).resource(deployment(ns, "cart", "registry.test/cart:v1", 1)).create();
        awaitRolledOut(client, ns, "cart");
        client.apps().deployments().inNamespace(ns).withName("cart").updateImage("registry.test/cart:v2");
        awaitRolledOut(client, ns, "cart");

        client.apps().deployments().inNamespace(ns).withName("cart").rolling().undo();

        Deployment undone = await("revision 3", Duration.ofSeconds(10), () -> {
            Deployment d = client.apps().deployments().inNamespace(ns).withName("cart").get();
            return "3".equals(revision(d)) && K8sTestObjects.rolledOut(d) ? Optional.of(d) : Optional.empty();
        });
        assertEquals("registry.test/cart:v1", undone.getSpec().getTemplate().getSpec().getContainers().get(0).getImage());
        assertEquals(2, ownedReplicaSets(client, undone).size());
    }

    @Test
    void anUnrelatedReplicaSetWithMatchingLabelsIsNeverTouchedOrCounted() {
        String ns = namespace();
        ReplicaSet stranger = client.apps().replicaSets().inNamespace(ns).resource(new ReplicaSetBuilder()
                .withNewMetadata().withName("pay-stranger").addToLabels("app", "pay")
                .addToAnnotations("deployment.kubernetes.io/revision", "7").endMetadata()
                .withNewSpec().withReplicas(5)
                .withNewSelector().addToMatchLabels("app", "pay").endSelector()
                .withNewTemplate().withNewMetadata().addToLabels("app", "pay").endMetadata()
                .withNewSpec().addNewContainer().withName("pay").withImage("registry.test/pay:v1").endContainer().endSpec()
                .endTemplate().endSpec().build()).create();

        client.apps().deployments().inNamespace(ns).resource(deployment(ns, "pay", "registry.test/pay:v1", 2)).create();
        Deployment first = awaitRolledOut(client, ns, "pay");
        client.apps().deployments().inNamespace(ns).withName("pay").updateImage("registry.test/pay:v2");
        Deployment second = awaitRolledOut(client, ns, "pay");

        assertEquals("1", revision(first), "the stranger's revision 7 is not counted");
        assertEquals("2", revision(second));
        assertEquals(2, second.getStatus().getReplicas(), "the stranger's 5 replicas are not counted");
        List<ReplicaSet> owned = ownedReplicaSets(client, second);
        assertEquals(2, owned.size());
        assertTrue(owned.stream().noneMatch(rs -> rs.getMetadata().getName().equals("pay-stranger")));
        ReplicaSet after = client.apps().replicaSets().inNamespace(ns).withName("pay-stranger").get();
        assertEquals(stranger.getMetadata().getResourceVersion(), after.getMetadata().getResourceVersion());
        assertEquals(5, after.getSpec().getReplicas());
        assertTrue(after.getMetadata().getOwnerReferences().isEmpty());
    }

    @Test
    void aFailingImageEndsInProgressDeadlineExceeded() {
        String ns = namespace();
        client.apps().deployments().inNamespace(ns).resource(deployment(ns, "db", "registry.test/db:v1", 2)).create();
        awaitRolledOut(client, ns, "db");
        k8s.failImages(Pattern.compile(":broken$"));

        client.apps().deployments().inNamespace(ns).withName("db").updateImage("registry.test/db:broken");

        Deployment progressing = await("a progressing rollout", Duration.ofSeconds(5), () -> {
            Deployment d = client.apps().deployments().inNamespace(ns).withName("db").get();
            return condition(d, "Progressing").filter(c -> "ReplicaSetUpdated".equals(c.getReason()))
                    .map(c -> d);
        });
        assertEquals(2, progressing.getStatus().getUpdatedReplicas());
        Deployment failed = await("ProgressDeadlineExceeded", Duration.ofSeconds(10), () -> {
            Deployment d = client.apps().deployments().inNamespace(ns).withName("db").get();
            return condition(d, "Progressing").filter(c -> "ProgressDeadlineExceeded".equals(c.getReason()))
                    .map(c -> d);
        });

        DeploymentCondition condition = condition(failed, "Progressing").orElseThrow();
        assertEquals("False", condition.getStatus());
        assertTrue(condition.getMessage().matches("ReplicaSet \"db-\\w+\" has timed out progressing\\."),
                condition.getMessage());
        assertEquals(2L, failed.getStatus().getObservedGeneration());
        assertEquals(2, failed.getStatus().getUpdatedReplicas());
        assertEquals(2, failed.getStatus().getAvailableReplicas(), "the old pods keep serving");
        List<ReplicaSet> owned = ownedReplicaSets(client, failed);
        assertEquals(0, owned.get(1).getStatus().getAvailableReplicas());
        assertEquals(2, owned.get(0).getSpec().getReplicas(), "the old replica set is not scaled down");
    }

    @Test
    void deletingADeploymentDeletesTheReplicaSetsItOwns() {
        String ns = namespace();
        client.apps().deployments().inNamespace(ns).resource(deployment(ns, "tmp", "registry.test/tmp:v1", 1)).create();
        Deployment d = awaitRolledOut(client, ns, "tmp");
        assertEquals(1, ownedReplicaSets(client, d).size());

        client.apps().deployments().inNamespace(ns).withName("tmp").delete();

        await("replica sets deleted", Duration.ofSeconds(5), () ->
                client.apps().replicaSets().inNamespace(ns).list().getItems().isEmpty() ? Optional.of(true) : Optional.empty());
    }

    @Test
    void aPausedDeploymentDoesNotRollOutUntilResumed() {
        String ns = namespace();
        client.apps().deployments().inNamespace(ns).resource(deployment(ns, "pz", "registry.test/pz:v1", 1)).create();
        awaitRolledOut(client, ns, "pz");

        client.apps().deployments().inNamespace(ns).withName("pz").edit(d -> {
            d.getSpec().setPaused(true);
            d.getSpec().getTemplate().getSpec().getContainers().get(0).setImage("registry.test/pz:v2");
            return d;
        });
        Deployment paused = await("DeploymentPaused", Duration.ofSeconds(5), () -> {
            Deployment d = client.apps().deployments().inNamespace(ns).withName("pz").get();
            return condition(d, "Progressing").filter(c -> "DeploymentPaused".equals(c.getReason())).map(c -> d);
        });
        assertEquals("1", revision(paused));
        assertEquals(1, ownedReplicaSets(client, paused).size());

        client.apps().deployments().inNamespace(ns).withName("pz").edit(d -> {
            d.getSpec().setPaused(false);
            return d;
        });
        Deployment resumed = awaitRolledOut(client, ns, "pz");
        assertEquals("2", revision(resumed));
    }

    @Test
    void scalingKeepsTheRevisionAndConverges() {
        String ns = namespace();
        client.apps().deployments().inNamespace(ns).resource(deployment(ns, "scale", "registry.test/scale:v1", 1)).create();
        awaitRolledOut(client, ns, "scale");

        client.apps().deployments().inNamespace(ns).withName("scale").scale(4);

        Deployment scaled = await("4 replicas", Duration.ofSeconds(10), () -> {
            Deployment d = client.apps().deployments().inNamespace(ns).withName("scale").get();
            return d.getSpec().getReplicas() == 4 && K8sTestObjects.rolledOut(d) ? Optional.of(d) : Optional.empty();
        });
        assertEquals("1", revision(scaled));
        assertEquals(1, ownedReplicaSets(client, scaled).size());
        assertEquals(4, ownedReplicaSets(client, scaled).get(0).getSpec().getReplicas());
    }
}
