package dev.cicd.k8s;

/**
 * The built-in plan templates of this module: class-path resources under {@value #CLASSPATH_PREFIX}, found by
 * core's {@code PebbleRenderer} with its default class-path prefix. They render the recipe's triggers
 * ({@code k8sNamespace}, {@code appName}, {@code svcName}, {@code imageTag}) into {@link KubernetesPlan} text.
 */
public final class KubernetesTemplates {

    /** Where the templates live on the class path. */
    public static final String CLASSPATH_PREFIX = "cicd/templates/";

    /** Rollout trigger -> {@code setImage} (Deployment APP-SVC, container SVC, image REGISTRY/APP-SVC:TAG) + {@code waitForRollout}. */
    public static final String ROLLOUT = "k8s-rollout.peb";

    /** Undo trigger -> {@code rolloutHistory}, {@code rolloutUndo} (previous revision), {@code waitForRollout}, {@code rolloutHistory}. */
    public static final String UNDO = "k8s-undo.peb";

    /**
     * Apply trigger ({@code {"action":"apply","k8sNamespace":"NS","appName":"APP"}}) -> {@code apply} of the
     * directory {@code NS/APP/} below the action's manifest root, with {@code wait: true} (the rollout of every
     * Deployment it applied). Needs {@code KubernetesAction.Builder.manifestRoot}.
     */
    public static final String APPLY = "k8s-apply.peb";

    /**
     * The renderer variable {@link #ROLLOUT} builds the image from ({@code REGISTRY/APP-SVC:TAG}): pass it with
     * {@code PebbleRenderer.builder().variable(KubernetesTemplates.REGISTRY_VARIABLE, "registry.example.com/ns")}.
     */
    public static final String REGISTRY_VARIABLE = "registry";

    private KubernetesTemplates() {
    }
}
