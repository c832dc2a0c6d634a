package dev.cicd.testkit;

import dev.cicd.testkit.internal.etcd.EtcdFixtureImpl;
import dev.cicd.testkit.internal.etcd.EtcdSettings;
import io.etcd.jetcd.Client;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * JUnit 5 extension that runs an {@link EtcdFixture} and stops it through JUnit's extension store.
 *
 * <p>Two ways to use it:
 * <ul>
 *   <li>declaratively with {@link WithEtcd} on the test class: one fixture per class (shared with
 *       {@code @Nested} classes), injected into non-final fields of type {@link EtcdFixture} or
 *       {@link Client} and into parameters of those types;</li>
 *   <li>programmatically:
 *       {@code @RegisterExtension static EtcdExtension etcd = EtcdExtension.builder().members(3).build();}
 *       then {@code etcd.fixture()} (and parameters as above). A static field gives one fixture
 *       per class; an instance field one fixture per test.</li>
 * </ul>
 * Use one of the two per test class: both at once would compete for the same parameters.
 */
public final class EtcdExtension extends FixtureExtension<EtcdFixture, EtcdSettings, WithEtcd> {

    /** Used by {@link WithEtcd}; reads its settings from the annotation on the test class. */
    public EtcdExtension() {
        this(Optional.empty());
    }

    private EtcdExtension(Optional<EtcdSettings> settings) {
        super(EtcdExtension.class, EtcdFixture.class, Client.class, EtcdFixture::client, WithEtcd.class,
                a -> EtcdFixture.builder().members(a.members()).backend(a.backend())
                        .startupTimeout(Duration.ofSeconds(a.startupTimeoutSeconds())).settings(),
                () -> EtcdFixture.builder().settings(), EtcdFixtureImpl::start, settings);
    }

    /** A builder for {@code @RegisterExtension}. */
    public static Builder builder() {
        return new Builder();
    }

    /** Options of a programmatically registered extension (same meaning as {@link EtcdFixture.Builder}). */
    public static final class Builder {
        private final EtcdFixture.Builder fixture = EtcdFixture.builder();

        private Builder() {
        }

        public Builder backend(EtcdBackend backend) {
            fixture.backend(backend);
            return this;
        }

        public Builder members(int members) {
            fixture.members(members);
            return this;
        }

        public Builder workDir(Path workDir) {
            fixture.workDir(workDir);
            return this;
        }

        public Builder startupTimeout(Duration startupTimeout) {
            fixture.startupTimeout(startupTimeout);
            return this;
        }

        public Builder etcdBinary(Path etcdBinary) {
            fixture.etcdBinary(etcdBinary);
            return this;
        }

        public Builder containerImage(String containerImage) {
            fixture.containerImage(containerImage);
            return this;
        }

        /** The extension; it starts nothing until JUnit calls it. */
        public EtcdExtension build() {
            return new EtcdExtension(Optional.of(fixture.settings()));
        }
    }
}
