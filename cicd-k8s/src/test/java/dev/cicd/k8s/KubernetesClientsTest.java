package dev.cicd.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cicd.core.CicdException;
import dev.cicd.testkit.KubernetesBackend;
import dev.cicd.testkit.KubernetesFixture;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KubernetesClientsTest {

    static KubernetesFixture k8s;

    @TempDir
    Path tmp;

    @BeforeAll
    static void start() {
        k8s = KubernetesFixture.builder().backend(KubernetesBackend.SIMULATED).build();
    }

    @AfterAll
    static void stop() {
        if (k8s != null) {
            k8s.close();
        }
    }

    private static String server(KubernetesClient c) {
        return c.getMasterUrl().toString().replaceAll("/$", "");
    }

    @Test
    void kubeconfigFileGivesAWorkingClientWithTheTimeoutsAsked() {
        try (KubernetesClient c = KubernetesClients.builder().kubeconfig(k8s.kubeconfigFile())
                .requestTimeout(Duration.ofSeconds(7)).connectionTimeout(Duration.ofSeconds(3)).retries(0).build()) {
            assertEquals(k8s.apiUrl().toString().replaceAll("/$", ""), server(c));
            assertEquals(7000, c.getConfiguration().getRequestTimeout());
            assertEquals(3000, c.getConfiguration().getConnectionTimeout());
            assertEquals(0, c.getConfiguration().getRequestRetryBackoffLimit());
            assertNotNull(c.apps().deployments().inNamespace("default").list());
        }
    }

    @Test
    void parallelRolloutWaitsAreNotQueuedBehindFabric8sFivePerHostDefault() {
        try (KubernetesClient c = KubernetesClients.builder().kubeconfig(k8s.kubeconfigFile()).build();
             KubernetesClient few = KubernetesClients.builder().kubeconfig(k8s.kubeconfigFile()).maxConcurrentRequests(8)
                     .build()) {
            assertEquals(64, c.getConfiguration().getMaxConcurrentRequestsPerHost());
            assertEquals(64, c.getConfiguration().getMaxConcurrentRequests());
            assertEquals(8, few.getConfiguration().getMaxConcurrentRequestsPerHost());
        }
    }

    @Test
    void kubeconfigTextWithANamedContext() throws Exception {
        String text = k8s.kubeconfig();
        String context = text.lines().filter(l -> l.startsWith("current-context:")).findFirst().orElseThrow()
                .substring("current-context:".length()).trim();
        // a second context pointing nowhere, made current, so the named one must really be chosen
        String twoContexts = text.replace("current-context: " + context, "current-context: elsewhere")
                .replace("contexts:\n", "contexts:\n- name: elsewhere\n  context:\n    cluster: nowhere\n    user: nobody\n");
        try (KubernetesClient c = KubernetesClients.builder().kubeconfigText(twoContexts).context(context).build()) {
            assertEquals(k8s.apiUrl().toString().replaceAll("/$", ""), server(c));
            assertNotNull(c.apps().deployments().inNamespace("default").list());
        }
    }

    @Test
    void urlAndTokenGiveAWorkingClient() {
        try (KubernetesClient c = KubernetesClients.builder().url(k8s.apiUrl().toString()).token("t0ken").build()) {
            assertEquals("t0ken", c.getConfiguration().getOauthToken());
            assertNotNull(c.apps().deployments().inNamespace("default").list());
        }
    }

    @Test
    void inClusterOutsideAPodIsAConfigErrorNamingTheVariable() throws Exception {
        Assumptions.assumeTrue(System.getenv("KUBERNETES_SERVICE_HOST") == null,
                "this JVM runs in a pod; the failure case below cannot be shown");
        Files.writeString(tmp.resolve("token"), "abc");
        CicdException e = assertThrows(CicdException.class, () -> KubernetesClients.builder().inCluster(tmp).build());
        assertEquals(CicdException.Code.CONFIG, e.code());
        assertTrue(e.getMessage().contains("KUBERNETES_SERVICE_HOST"), e.getMessage());
    }

    @Test
    void badInputIsAConfigErrorNamingIt() {
        CicdException missing = assertThrows(CicdException.class,
                () -> KubernetesClients.builder().kubeconfig(tmp.resolve("nope.yaml")).build());
        assertTrue(missing.getMessage().contains("nope.yaml"), missing.getMessage());
        CicdException url = assertThrows(CicdException.class, () -> KubernetesClients.builder().url("ftp://x").build());
        assertTrue(url.getMessage().contains("ftp://x"), url.getMessage());
        assertThrows(IllegalArgumentException.class, () -> KubernetesClients.builder().requestTimeout(Duration.ZERO));
    }
}
