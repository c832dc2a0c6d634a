package dev.cicd.runner;

import dev.cicd.testkit.RecipeDeployment;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;

/** Shared pieces of the acceptance tests. */
final class ItSupport {

    static final String NS = RecipeDeployment.NAMESPACE;
    static final String DEPLOYMENT = RecipeDeployment.NAME;
    static final String REGISTRY = "registry.example.com/ns-demo";

    private ItSupport() {
    }

    static void createDeployment(KubernetesClient kube) {
        RecipeDeployment.create(kube, REGISTRY, RecipeDeployment.APP, 2);
    }

    static long revision(KubernetesClient kube) {
        Deployment d = kube.apps().deployments().inNamespace(NS).withName(DEPLOYMENT).get();
        String r = d.getMetadata().getAnnotations() == null ? null : d.getMetadata().getAnnotations().get("deployment.kubernetes.io/revision");
        return r == null ? 0 : Long.parseLong(r);
    }

    static String image(KubernetesClient kube) {
        return RecipeDeployment.currentImage(kube, RecipeDeployment.APP).orElseThrow();
    }

    /** A fresh directory under the build's test work dir. */
    static Path workDir(String prefix) throws IOException {
        Path base = Path.of(System.getProperty("cicd.testkit.workDir", "target/testkit")).toAbsolutePath();
        java.nio.file.Files.createDirectories(base);
        return java.nio.file.Files.createTempDirectory(base, prefix);
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** The recipe's config (rollout and undo watches on the built-in templates) for the fixtures. */
    static String recipeConfig(String endpoint, Path kubeconfig, Path logDir, int httpPort) {
        return """
                etcd:
                  endpoints: [%s]
                kubernetes:
                  kubeconfig: %s
                registry: %s
                runner:
                  group: it
                  logDir: %s
                  httpPort: %d
                  electionTtl: 3s
                watches:
                  - name: rollout
                    prefix: /cicd/rollout
                    keys: [/trigger]
                    template: builtin:k8s-rollout
                    action: kubernetes
                    timeout: 1m
                    allowedNamespaces: [%s]
                  - name: undo
                    prefix: /cicd/undo
                    keys: [/trigger]
                    template: builtin:k8s-undo
                    action: kubernetes
                    timeout: 1m
                    allowedNamespaces: [%s]
                """.formatted(endpoint, kubeconfig, REGISTRY, logDir, httpPort, NS, NS);
    }
}
