package dev.cicd.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.cicd.core.Outcome;
import dev.cicd.core.PebbleRenderer;
import dev.cicd.core.Pipeline;
import dev.cicd.core.WatchSpec;
import dev.cicd.etcd.EtcdClients;
import dev.cicd.etcd.EtcdState;
import dev.cicd.etcd.EtcdTriggerSource;
import dev.cicd.etcd.PublishResult;
import dev.cicd.etcd.TriggerPublisher;
import dev.cicd.k8s.KubernetesAction;
import dev.cicd.k8s.OnFailure;
import dev.cicd.testkit.EtcdFixture;
import dev.cicd.testkit.KubernetesFixture;
import dev.cicd.testkit.WithEtcd;
import dev.cicd.testkit.WithKubernetes;
import io.etcd.jetcd.Client;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The README's "Embedding the SDK" snippet, as written there, against a real etcd and the simulated cluster. */
@WithEtcd
@WithKubernetes(backend = dev.cicd.testkit.KubernetesBackend.SIMULATED)
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class ReadmeEmbeddingExampleTest {

    EtcdFixture etcdFixture;
    KubernetesFixture k8s;

    @Test
    void readmeSnippetDeploysAnImageThroughThePipeline() throws Exception {
        KubernetesClient kubernetesClient = k8s.client();
        ItSupport.createDeployment(kubernetesClient);
        String json = "{\"action\":\"deploy\",\"k8sNamespace\":\"ns-demo1-dev\",\"appName\":\"demo1\","
                + "\"svcName\":\"gateway\",\"imageTag\":\"v7\"}";
        PublishResult r;

        // ---- as in the README ----
        Client etcd = EtcdClients.builder().endpoints(etcdFixture.endpoints().get(0).toString()).build();
        EtcdState state = EtcdState.builder(etcd).group("deployer").build();
        WatchSpec rollout = WatchSpec.builder("rollout").prefix("/cicd/rollout").key("/trigger")
                .template("k8s-rollout.peb").action("kubernetes").build();
        try (Pipeline pipeline = Pipeline.builder()
                .source(EtcdTriggerSource.builder(etcd).build())
                .watch(rollout)
                .renderer(PebbleRenderer.builder().variable("registry", "registry.example.com/ns-demo").build())
                .action("kubernetes", KubernetesAction.builder(kubernetesClient)
                        .allowedNamespaces(Set.of("ns-demo1-dev")).onFailure(OnFailure.UNDO).build())
                .state(state.store())
                .build()) {
            pipeline.start();
            // ... CI side, anywhere:
            r = TriggerPublisher.builder(etcd).build()
                    .publishAndAwait("/cicd/rollout/trigger", json, Duration.ofMinutes(5));
        }
        // ---- end of the README's snippet ----
        etcd.close();

        assertEquals(Outcome.Kind.APPLIED, r.kind().orElseThrow(), r.reason());
        assertEquals("registry.example.com/ns-demo/demo1-gateway:v7", ItSupport.image(kubernetesClient));
    }
}
