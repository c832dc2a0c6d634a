package dev.cicd.testkit;

import static org.junit.jupiter.api.Assertions.fail;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentCondition;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Supplier;

/** Kubernetes objects and waits shared by the Kubernetes fixture tests. */
final class K8sTestObjects {

    static final String REVISION = "deployment.kubernetes.io/revision";

    private K8sTestObjects() {
    }

    /** A namespace name of its own for one test (fixtures are shared per class). */
    static String namespace() {
        return "t-" + UUID.randomUUID().toString().substring(0, 8);
    }

    static Deployment deployment(String namespace, String name, String image, int replicas) {
        return new DeploymentBuilder()
                .withNewMetadata().withName(name).withNamespace(namespace).endMetadata()
                .withNewSpec()
                .withReplicas(replicas)
                .withNewSelector().addToMatchLabels("app", name).endSelector()
                .withNewTemplate()
                .withNewMetadata().addToLabels("app", name).endMetadata()
                .withNewSpec().addNewContainer().withName(name).withImage(image).endContainer().endSpec()
                .endTemplate()
                .endSpec()
                .build();
    }

    /** The ReplicaSets of the namespace whose controller ownerReference is the Deployment, by revision. */
    static List<ReplicaSet> ownedReplicaSets(KubernetesClient client, Deployment d) {
        String uid = d.getMetadata().getUid();
        return client.apps().replicaSets().inNamespace(d.getMetadata().getNamespace()).list().getItems().stream()
                .filter(rs -> rs.getMetadata().getOwnerReferences().stream()
                        .anyMatch(o -> uid.equals(o.getUid()) && Boolean.TRUE.equals(o.getController())))
                .sorted(Comparator.comparingLong(K8sTestObjects::revision))
                .toList();
    }

    static long revision(ReplicaSet rs) {
        String value = rs.getMetadata().getAnnotations() == null ? null : rs.getMetadata().getAnnotations().get(REVISION);
        return value == null ? 0 : Long.parseLong(value);
    }

    static String revision(Deployment d) {
        return d.getMetadata().getAnnotations() == null ? null : d.getMetadata().getAnnotations().get(REVISION);
    }

    static Optional<DeploymentCondition> condition(Deployment d, String type) {
        if (d.getStatus() == null || d.getStatus().getConditions() == null) {
            return Optional.empty();
        }
        return d.getStatus().getConditions().stream().filter(c -> type.equals(c.getType())).findFirst();
    }

    /** Whether the rollout is complete the way {@code kubectl rollout status} decides it. */
    static boolean rolledOut(Deployment d) {
        if (d == null || d.getStatus() == null || d.getStatus().getObservedGeneration() == null) {
            return false;
        }
        int replicas = d.getSpec().getReplicas();
        var s = d.getStatus();
        return s.getObservedGeneration() >= d.getMetadata().getGeneration()
                && nz(s.getUpdatedReplicas()) == replicas
                && nz(s.getReplicas()) == replicas
                && nz(s.getAvailableReplicas()) == replicas
                && condition(d, "Progressing").map(c -> "NewReplicaSetAvailable".equals(c.getReason())).orElse(false);
    }

    static int nz(Integer value) {
        return value == null ? 0 : value;
    }

    /** Polls until {@code value} returns a present value, or fails after {@code timeout}. */
    static <T> T await(String what, Duration timeout, Supplier<Optional<T>> value) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Optional<T> v = value.get();
            if (v.isPresent()) {
                return v.get();
            }
            if (System.nanoTime() > deadline) {
                return fail("timed out after " + timeout + " waiting for " + what);
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return fail("interrupted waiting for " + what);
            }
        }
    }

    /** Waits until the Deployment is rolled out and returns it. */
    static Deployment awaitRolledOut(KubernetesClient client, String namespace, String name) {
        return await("rollout of " + namespace + "/" + name, Duration.ofSeconds(10), () -> {
            Deployment d = client.apps().deployments().inNamespace(namespace).withName(name).get();
            return rolledOut(d) ? Optional.of(d) : Optional.empty();
        });
    }
}
