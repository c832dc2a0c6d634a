package dev.cicd.testkit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Starts one {@link KubernetesFixture} for the annotated test class (shared by its tests and its
 * {@code @Nested} classes) and stops it after the class. Fields and parameters of type
 * {@link KubernetesFixture} or {@link io.fabric8.kubernetes.client.KubernetesClient} are injected
 * (instance fields that are null, static fields before {@code @BeforeAll}, and parameters of
 * constructors, lifecycle and test methods).
 *
 * <pre>{@code
 * @WithKubernetes(backend = KubernetesBackend.SIMULATED)
 * class DeployTest {
 *     KubernetesClient client;
 *
 *     @Test
 *     void deploys(KubernetesFixture k8s) { ... }
 * }
 * }</pre>
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@ExtendWith(KubernetesExtension.class)
public @interface WithKubernetes {

    /** The backend; {@link KubernetesBackend#AUTO} (k3s with Docker, else simulated) by default. */
    KubernetesBackend backend() default KubernetesBackend.AUTO;

    /** Simulated cluster: milliseconds until a rollout converges; see {@link KubernetesFixture.Builder#rolloutDelay}. */
    long rolloutDelayMillis() default 200;

    /** Simulated cluster: the progress deadline in milliseconds; see {@link KubernetesFixture.Builder#failAfter}. */
    long failAfterMillis() default 1000;
}
