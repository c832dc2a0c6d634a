package dev.cicd.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.testcontainers.DockerClientFactory;

@Timeout(60)
class KubernetesBackendAutoTest {

    @Test
    void autoFallsBackToTheSimulatedClusterWithoutDocker() {
        Assumptions.assumeFalse(DockerClientFactory.instance().isDockerAvailable(),
                "a Docker engine runs here, so AUTO would start k3s: covered by K3sKubernetesFixtureTest");
        try (KubernetesFixture k8s = KubernetesFixture.builder().build()) {
            assertEquals(KubernetesBackend.SIMULATED, k8s.backend());
            assertEquals("v1.32.0-cicd-simulated", k8s.client().getKubernetesVersion().getGitVersion());
        }
    }
}
