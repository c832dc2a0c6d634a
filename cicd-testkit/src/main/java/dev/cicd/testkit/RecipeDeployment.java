package dev.cicd.testkit;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.Optional;

/**
 * The recipe's app in a cluster, as {@code cicd demo} and the acceptance tests create it: Deployment
 * {@code APP-gateway} (the recipe's {@code demo1-gateway}) in namespace {@code ns-demo1-dev}, labelled
 * {@code app: APP-gateway}, with one container {@code gateway} running {@code REGISTRY/APP-gateway:v0}.
 * A rollout trigger {@code {"k8sNamespace":"ns-demo1-dev","appName":"demo1","svcName":"gateway",...}}
 * sets that container's image.
 */
public final class RecipeDeployment {

    public static final String NAMESPACE = "ns-demo1-dev";
    public static final String APP = "demo1";
    public static final String SERVICE = "gateway";
    /** The Deployment of {@link #APP}: {@code demo1-gateway}. */
    public static final String NAME = name(APP);

    private RecipeDeployment() {
    }

    /** {@code app-gateway}, the Deployment the rollout template names for {@code appName} and {@code svcName} gateway. */
    public static String name(String app) {
        return app + "-" + SERVICE;
    }

    /** The image {@code REGISTRY/APP-gateway:TAG} the rollout template sets. */
    public static String image(String registry, String app, String tag) {
        return registry + "/" + name(app) + ":" + tag;
    }

    /**
     * Creates the namespace (unless it exists) and Deployment {@code app-gateway} with {@code replicas}
     * replicas running {@code REGISTRY/APP-gateway:v0}.
     *
     * @return the created Deployment
     */
    public static Deployment create(KubernetesClient kube, String registry, String app, int replicas) {
        if (kube.namespaces().withName(NAMESPACE).get() == null) {
            kube.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NAMESPACE).endMetadata().build())
                    .create();
        }
        String name = name(app);
        Deployment d = new DeploymentBuilder()
                .withNewMetadata().withName(name).withNamespace(NAMESPACE).endMetadata()
                .withNewSpec().withReplicas(replicas)
                .withNewSelector().addToMatchLabels("app", name).endSelector()
                .withNewTemplate()
                .withNewMetadata().addToLabels("app", name).endMetadata()
                .withNewSpec().addNewContainer().withName(SERVICE).withImage(image(registry, app, "v0")).endContainer()
                .endSpec()
                .endTemplate().endSpec().build();
        return kube.apps().deployments().inNamespace(NAMESPACE).resource(d).create();
    }

    /** The image of container {@code gateway} of Deployment {@code app-gateway}, if the Deployment exists. */
    public static Optional<String> currentImage(KubernetesClient kube, String app) {
        Deployment d = kube.apps().deployments().inNamespace(NAMESPACE).withName(name(app)).get();
        if (d == null) {
            return Optional.empty();
        }
        return d.getSpec().getTemplate().getSpec().getContainers().stream()
                .filter(c -> SERVICE.equals(c.getName())).map(c -> c.getImage()).findFirst();
    }
}
