package dev.cicd.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class RecipeDeploymentTest {

    @Test
    void createsTheRecipesDeploymentAndItsNamespaceOnceForSeveralApps() {
        try (KubernetesFixture k8s = KubernetesFixture.builder().backend(KubernetesBackend.SIMULATED).build()) {
            Deployment d = RecipeDeployment.create(k8s.client(), "registry.test/ns-demo", RecipeDeployment.APP, 2);
            assertEquals("demo1-gateway", d.getMetadata().getName());
            assertEquals("ns-demo1-dev", d.getMetadata().getNamespace());
            assertEquals(2, d.getSpec().getReplicas());
            assertEquals(Map.of("app", "demo1-gateway"), d.getSpec().getSelector().getMatchLabels());
            assertNotNull(k8s.client().namespaces().withName("ns-demo1-dev").get());
            assertEquals(Optional.of("registry.test/ns-demo/demo1-gateway:v0"),
                    RecipeDeployment.currentImage(k8s.client(), RecipeDeployment.APP));

            RecipeDeployment.create(k8s.client(), "registry.test/ns-demo", "app2", 1);
            assertEquals(Optional.of(RecipeDeployment.image("registry.test/ns-demo", "app2", "v0")),
                    RecipeDeployment.currentImage(k8s.client(), "app2"));
            assertEquals(Optional.empty(), RecipeDeployment.currentImage(k8s.client(), "app3"));
        }
    }
}
