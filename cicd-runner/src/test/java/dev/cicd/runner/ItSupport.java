package dev.cicd.runner;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.cicd.testkit.RecipeDeployment;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.List;

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

    /**
     * The recipe's config, examples/recipe.yaml, for the fixtures: its rollout and undo watches as they are
     * there (prefix, keys, template, action, allow-lists) but without the deploy watch and the rollout's
     * {@code onFailure: undo} (the tests count runs and outcomes of each trigger alone), on the fixtures' etcd
     * and cluster, with {@link #REGISTRY}, the group {@code it}, a 3 s election TTL and 1 min timeouts.
     * Watches are written as an indented list, so a test may append one.
     */
    static String recipeConfig(String endpoint, Path kubeconfig, Path logDir, int httpPort) throws IOException {
        YAMLMapper yaml = YAMLMapper.builder().disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES).enable(YAMLGenerator.Feature.INDENT_ARRAYS_WITH_INDICATOR)
                .build();
        ObjectNode c = (ObjectNode) yaml.readTree(Path.of("..", "examples", "recipe.yaml").toFile());
        c.putObject("etcd").putArray("endpoints").add(endpoint);
        c.putObject("kubernetes").put("kubeconfig", kubeconfig.toString());
        c.put("registry", REGISTRY);
        c.putObject("runner").put("group", "it").put("logDir", logDir.toString()).put("httpPort", httpPort)
                .put("electionTtl", "3s");
        ArrayNode watches = yaml.createArrayNode();
        for (JsonNode w : c.withArray("watches")) {
            if (List.of("rollout", "undo").contains(w.path("name").asText())) {
                ObjectNode watch = ((ObjectNode) w).put("timeout", "1m");
                watch.remove("onFailure");
                if (watch.has("allowedRegistries")) {
                    watch.putArray("allowedRegistries").add(REGISTRY.substring(0, REGISTRY.indexOf('/')));
                }
                watches.add(watch);
            }
        }
        c.set("watches", watches);
        return yaml.writeValueAsString(c);
    }
}
