package dev.cicd.testkit;

import static dev.cicd.testkit.K8sTestObjects.await;
import static dev.cicd.testkit.K8sTestObjects.deployment;
import static dev.cicd.testkit.K8sTestObjects.ownedReplicaSets;
import static dev.cicd.testkit.K8sTestObjects.revision;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import java.time.Duration;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.testcontainers.junit.jupiter.Testcontainers;

/** The k3s backend; skipped where no Docker engine runs. */
@Testcontainers(disabledWithoutDocker = true)
@Timeout(300)
class K3sKubernetesFixtureTest {

    @Test
    void aRealClusterCreatesAnOwnedReplicaSetAtRevisionOne() {
        try (KubernetesFixture k8s = KubernetesFixture.builder().backend(KubernetesBackend.K3S).build()) {
            assertEquals(KubernetesBackend.K3S, k8s.backend());
            var client = k8s.client();
            client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("k3s").endMetadata().build()).create();
            Deployment created = client.apps().deployments().inNamespace("k3s")
                    .resource(deployment("k3s", "pause", "rancher/mirrored-pause:3.6", 1)).create();

            ReplicaSet rs = await("a replica set", Duration.ofSeconds(60),
                    () -> ownedReplicaSets(client, created).stream().findFirst());

            assertEquals(1, revision(rs));
            assertThrows(UnsupportedOperationException.class, k8s::requestLog);
            assertThrows(UnsupportedOperationException.class, () -> k8s.failImages(Pattern.compile("x")));
        }
    }
}
