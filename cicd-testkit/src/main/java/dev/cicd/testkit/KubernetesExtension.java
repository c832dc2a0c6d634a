package dev.cicd.testkit;

import dev.cicd.testkit.internal.k8s.KubernetesFixtures;
import dev.cicd.testkit.internal.k8s.KubernetesSettings;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * JUnit 5 extension that runs a {@link KubernetesFixture} and stops it through JUnit's extension
 * store.
 *
 * <p>Two ways to use it:
 * <ul>
 *   <li>declaratively with {@link WithKubernetes} on the test class: one fixture per class (shared
 *       with {@code @Nested} classes), injected into non-final fields of type
 *       {@link KubernetesFixture} or {@link KubernetesClient} and into parameters of those types;</li>
 *   <li>programmatically:
 *       {@code @RegisterExtension static KubernetesExtension k8s = KubernetesExtension.builder().build();}
 *       then {@code k8s.fixture()} (and parameters as above). A static field gives one fixture
 *       per class; an instance field one fixture per test.</li>
 * </ul>
 * Use one of the two per test class: both at once would compete for the same parameters.
 */
public final class KubernetesExtension extends FixtureExtension<KubernetesFixture, KubernetesSettings, WithKubernetes> {

    /** Used by {@link WithKubernetes}; reads its settings from the annotation on the test class. */
    public KubernetesExtension() {
        this(Optional.empty());
    }

    private KubernetesExtension(Optional<KubernetesSettings> settings) {
        super(KubernetesExtension.class, KubernetesFixture.class, KubernetesClient.class, KubernetesFixture::client,
                WithKubernetes.class, a -> KubernetesFixture.builder().backend(a.backend())
                        .rolloutDelay(Duration.ofMillis(a.rolloutDelayMillis()))
                        .failAfter(Duration.ofMillis(a.failAfterMillis())).settings(),
                () -> KubernetesFixture.builder().settings(), KubernetesFixtures::start, settings);
    }

    /** A builder for {@code @RegisterExtension}. */
    public static Builder builder() {
        return new Builder();
    }

    /** Options of a programmatically registered extension (same meaning as {@link KubernetesFixture.Builder}). */
    public static final class Builder {
        private final KubernetesFixture.Builder fixture = KubernetesFixture.builder();

        private Builder() {
        }

        public Builder backend(KubernetesBackend backend) {
            fixture.backend(backend);
            return this;
        }

        public Builder rolloutDelay(Duration rolloutDelay) {
            fixture.rolloutDelay(rolloutDelay);
            return this;
        }

        public Builder failAfter(Duration failAfter) {
            fixture.failAfter(failAfter);
            return this;
        }

        public Builder workDir(Path workDir) {
            fixture.workDir(workDir);
            return this;
        }

        public Builder k3sImage(String k3sImage) {
            fixture.k3sImage(k3sImage);
            return this;
        }

        /** The extension; it starts nothing until JUnit calls it. */
        public KubernetesExtension build() {
            return new KubernetesExtension(Optional.of(fixture.settings()));
        }
    }
}
