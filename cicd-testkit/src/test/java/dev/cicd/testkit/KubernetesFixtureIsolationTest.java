package dev.cicd.testkit;

import static dev.cicd.testkit.K8sTestObjects.deployment;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Fixtures are independent: two at once in one JVM, and two test classes in one Surefire fork,
 * have their own ports and data; JUnit closes each class's fixture after the class.
 */
@Timeout(60)
class KubernetesFixtureIsolationTest {

    private static final Map<String, KubernetesFixture> BY_CLASS = new ConcurrentHashMap<>();

    @Test
    void twoFixturesAtOnceHaveTheirOwnPortsDataAndKubeconfigs() {
        try (KubernetesFixture a = KubernetesFixture.builder().backend(KubernetesBackend.SIMULATED).build();
                KubernetesFixture b = KubernetesFixture.builder().backend(KubernetesBackend.SIMULATED).build()) {
            assertNotEquals(a.apiUrl(), b.apiUrl());
            assertNotEquals(a.kubeconfigFile(), b.kubeconfigFile());
            assertTrue(a.kubeconfig().contains(a.apiUrl().toString()));

            a.client().apps().deployments().inNamespace("same").resource(deployment("same", "app", "registry.test/a:v1", 1)).create();
            b.client().apps().deployments().inNamespace("same").resource(deployment("same", "app", "registry.test/b:v1", 1)).create();
            a.client().apps().deployments().inNamespace("same").resource(deployment("same", "only-a", "registry.test/a:v1", 1)).create();

            assertEquals("registry.test/b:v1", b.client().apps().deployments().inNamespace("same").withName("app").get()
                    .getSpec().getTemplate().getSpec().getContainers().get(0).getImage());
            assertNull(b.client().apps().deployments().inNamespace("same").withName("only-a").get());
            a.requestLog().clear();
            b.client().apps().deployments().inNamespace("same").list();
            assertTrue(a.requestLog().requests().isEmpty(), "b's requests are not in a's log");
        }
    }

    @Test
    void closingStopsTheServerAndDeletesTheKubeconfigItCreated() {
        KubernetesFixture fixture = KubernetesFixture.builder().backend(KubernetesBackend.SIMULATED).build();
        URI url = fixture.apiUrl();
        assertTrue(Files.exists(fixture.kubeconfigFile()));
        assertTrue(accepts(url));

        fixture.close();
        fixture.close();

        assertFalse(Files.exists(fixture.kubeconfigFile()));
        assertFalse(accepts(url));
    }

    @Test
    void theFailureHookAndRequestLogAreOnlyForTheSimulatedCluster() {
        try (KubernetesFixture fixture = KubernetesFixture.builder().backend(KubernetesBackend.SIMULATED).build()) {
            assertEquals(KubernetesBackend.SIMULATED, fixture.backend());
            assertThrows(NullPointerException.class, () -> fixture.failImages(null));
        }
        assertThrows(IllegalArgumentException.class, () -> KubernetesFixture.builder().port(70000));
        assertThrows(IllegalArgumentException.class,
                () -> KubernetesFixture.builder().rolloutDelay(java.time.Duration.ofMillis(-1)));
    }

    @Nested
    @WithKubernetes(backend = KubernetesBackend.SIMULATED)
    class FirstClass {
        @Test
        void writesOnlyToItsOwnCluster(KubernetesFixture fixture, KubernetesClient client) {
            BY_CLASS.put("first", fixture);
            client.apps().deployments().inNamespace("iso").resource(deployment("iso", "owner", "registry.test/first:v1", 1)).create();
            assertEquals(1, client.apps().deployments().inNamespace("iso").list().getItems().size());
        }
    }

    @Nested
    @WithKubernetes(backend = KubernetesBackend.SIMULATED)
    class SecondClass {
        @Test
        void doesNotSeeTheOtherClassesData(KubernetesFixture fixture, KubernetesClient client) {
            BY_CLASS.put("second", fixture);
            assertTrue(client.apps().deployments().inNamespace("iso").list().getItems().isEmpty());
            client.apps().deployments().inNamespace("iso").resource(deployment("iso", "owner", "registry.test/second:v1", 1)).create();
        }
    }

    @AfterAll
    static void eachClassHadItsOwnFixtureAndJUnitClosedIt() {
        KubernetesFixture first = BY_CLASS.get("first");
        KubernetesFixture second = BY_CLASS.get("second");
        assertNotEquals(first.apiUrl(), second.apiUrl());
        for (KubernetesFixture fixture : List.of(first, second)) {
            assertFalse(accepts(fixture.apiUrl()), fixture.apiUrl() + " still answers after its class");
            assertFalse(Files.exists(fixture.kubeconfigFile()));
        }
    }

    private static boolean accepts(URI url) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", url.getPort()), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
