package dev.cicd.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@WithKubernetes(backend = KubernetesBackend.SIMULATED)
@Timeout(60)
class WithKubernetesInjectionTest {

    static KubernetesFixture staticFixture;
    static KubernetesFixture fromBeforeAll;

    KubernetesFixture fixture;
    KubernetesClient client;
    private final KubernetesFixture fromConstructor;

    WithKubernetesInjectionTest(KubernetesFixture fixture) {
        this.fromConstructor = fixture;
    }

    @BeforeAll
    static void beforeAll(KubernetesFixture fixture, KubernetesClient client) {
        fromBeforeAll = fixture;
        assertSame(fixture.client(), client);
    }

    @Test
    void fieldsAndParametersAllGetTheClassFixture(KubernetesFixture parameter, KubernetesClient clientParameter) {
        assertNotNull(staticFixture);
        assertSame(staticFixture, fixture);
        assertSame(fixture, parameter);
        assertSame(fixture, fromConstructor);
        assertSame(fixture, fromBeforeAll);
        assertSame(fixture.client(), client);
        assertSame(client, clientParameter);
        assertEquals(KubernetesBackend.SIMULATED, fixture.backend());
    }

    @Test
    void theInjectedClientTalksToTheFixturesServer() {
        client.configMaps().inNamespace("inject").resource(new ConfigMapBuilder()
                .withNewMetadata().withName("c").endMetadata().withData(Map.of("k", "v")).build()).create();
        try (KubernetesClient other = fixture.newClient()) {
            assertEquals("v", other.configMaps().inNamespace("inject").withName("c").get().getData().get("k"));
        }
    }

    @Nested
    class NestedTests {
        @Test
        void nestedClassesShareTheOuterFixture(KubernetesFixture parameter) {
            assertSame(staticFixture, parameter);
        }
    }
}
