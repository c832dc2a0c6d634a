package dev.cicd.testkit;

import static dev.cicd.testkit.K8sTestObjects.await;
import static dev.cicd.testkit.K8sTestObjects.condition;
import static dev.cicd.testkit.K8sTestObjects.deployment;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.Optional;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

@Timeout(60)
class RegisteredKubernetesExtensionTest {

    @RegisterExtension
    static KubernetesExtension k8s = KubernetesExtension.builder()
            .backend(KubernetesBackend.SIMULATED)
            .rolloutDelay(Duration.ofMillis(20))
            .failAfter(Duration.ofMillis(150))
            .build();

    @Test
    void parametersGetTheRegisteredFixture(KubernetesFixture fixture, KubernetesClient client) {
        assertSame(k8s.fixture(), fixture);
        assertSame(fixture.client(), client);
        assertEquals(KubernetesBackend.SIMULATED, fixture.backend());
    }

    @Test
    void theBuilderSettingsReachTheFixture() {
        KubernetesClient client = k8s.fixture().client();
        k8s.fixture().failImages(Pattern.compile("never"));
        try {
            client.apps().deployments().inNamespace("reg").resource(deployment("reg", "x", "registry.test/x:never", 1)).create();
            Deployment failed = await("ProgressDeadlineExceeded", Duration.ofSeconds(5), () -> {
                Deployment d = client.apps().deployments().inNamespace("reg").withName("x").get();
                return condition(d, "Progressing").filter(c -> "ProgressDeadlineExceeded".equals(c.getReason())).map(c -> d);
            });
            assertEquals("False", condition(failed, "Progressing").orElseThrow().getStatus());
        } finally {
            k8s.fixture().clearFailures();
        }
        assertEquals(Optional.empty(), Optional.ofNullable(client.apps().deployments().inNamespace("reg").withName("y").get()));
    }
}
