package dev.cicd.testkit.internal.k8s;

import dev.cicd.testkit.KubernetesBackend;
import dev.cicd.testkit.KubernetesFixture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;

/** Starts the fixture for a backend; {@link KubernetesBackend#AUTO} asks Testcontainers for Docker. */
public final class KubernetesFixtures {

    private static final Logger LOG = LoggerFactory.getLogger(KubernetesFixtures.class);

    private KubernetesFixtures() {
    }

    public static KubernetesFixture start(KubernetesSettings settings) {
        KubernetesBackend backend = settings.backend();
        if (backend == KubernetesBackend.AUTO) {
            backend = dockerAvailable() ? KubernetesBackend.K3S : KubernetesBackend.SIMULATED;
            LOG.debug("Kubernetes backend chosen: {}", backend);
        }
        return switch (backend) {
            case K3S -> K3sCluster.start(settings);
            case SIMULATED, AUTO -> SimulatedCluster.start(settings);
        };
    }

    static boolean dockerAvailable() {
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException | LinkageError e) {
            LOG.debug("no Docker engine: {}", e.toString());
            return false;
        }
    }
}
