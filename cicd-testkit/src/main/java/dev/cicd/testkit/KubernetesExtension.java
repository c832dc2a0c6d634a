package dev.cicd.testkit;

import dev.cicd.testkit.internal.k8s.KubernetesFixtures;
import dev.cicd.testkit.internal.k8s.KubernetesSettings;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.TestInstancePostProcessor;

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
public final class KubernetesExtension implements BeforeAllCallback, BeforeEachCallback,
        TestInstancePostProcessor, ParameterResolver {

    private static final ExtensionContext.Namespace NAMESPACE =
            ExtensionContext.Namespace.create(KubernetesExtension.class);
    private static final String DECLARATIVE_KEY = "declarative-kubernetes-fixture";

    /** Empty for the declarative use (settings come from {@link WithKubernetes}). */
    private final Optional<KubernetesSettings> settings;
    private volatile KubernetesFixture fixture;
    private volatile boolean classLevel;

    /** Used by {@link WithKubernetes}; reads its settings from the annotation on the test class. */
    public KubernetesExtension() {
        this.settings = Optional.empty();
    }

    private KubernetesExtension(KubernetesSettings settings) {
        this.settings = Optional.of(settings);
    }

    /** A builder for {@code @RegisterExtension}. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The running fixture of a programmatically registered extension.
     *
     * @throws IllegalStateException before JUnit started it (before the class's tests for a static
     *                               field, before each test for an instance field)
     */
    public KubernetesFixture fixture() {
        KubernetesFixture current = fixture;
        if (current == null) {
            throw new IllegalStateException("the Kubernetes fixture is not started yet: JUnit starts it before "
                    + "the tests of the class (static @RegisterExtension field) or before each test (instance field)");
        }
        return current;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        classLevel = true;
        KubernetesFixture current = obtain(context);
        if (settings.isEmpty()) {
            injectFields(context.getRequiredTestClass(), null, current);
        }
    }

    @Override
    public void postProcessTestInstance(Object testInstance, ExtensionContext context) {
        if (settings.isEmpty()) {
            injectFields(testInstance.getClass(), testInstance, obtain(context));
        }
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        obtain(context);
    }

    @Override
    public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        Class<?> type = parameterContext.getParameter().getType();
        return type == KubernetesFixture.class || type == KubernetesClient.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        KubernetesFixture current = obtain(extensionContext);
        return parameterContext.getParameter().getType() == KubernetesClient.class ? current.client() : current;
    }

    /** The fixture for this context, started on first use and stored where JUnit will close it. */
    private KubernetesFixture obtain(ExtensionContext context) {
        KubernetesFixture current;
        if (settings.isEmpty()) {
            ExtensionContext scope = classScope(context);
            KubernetesSettings declared = declaredSettings(scope.getRequiredTestClass());
            current = scope.getStore(NAMESPACE).computeIfAbsent(DECLARATIVE_KEY,
                    key -> KubernetesFixtures.start(declared), KubernetesFixture.class);
        } else {
            // a static field is registered at class level (beforeAll runs); an instance field per test
            ExtensionContext scope = classLevel || context.getTestMethod().isEmpty() ? classScope(context) : context;
            KubernetesSettings configured = settings.get();
            current = scope.getStore(NAMESPACE).computeIfAbsent(this,
                    key -> KubernetesFixtures.start(configured), KubernetesFixture.class);
        }
        fixture = current;
        return current;
    }

    private static ExtensionContext classScope(ExtensionContext context) {
        ExtensionContext current = context;
        while (current.getTestMethod().isPresent() && current.getParent().isPresent()) {
            current = current.getParent().get();
        }
        return current;
    }

    private static KubernetesSettings declaredSettings(Class<?> testClass) {
        for (Class<?> type = testClass; type != null; type = type.getEnclosingClass()) {
            WithKubernetes annotation = type.getAnnotation(WithKubernetes.class);
            if (annotation != null) {
                return KubernetesFixture.builder()
                        .backend(annotation.backend())
                        .rolloutDelay(Duration.ofMillis(annotation.rolloutDelayMillis()))
                        .failAfter(Duration.ofMillis(annotation.failAfterMillis()))
                        .settings();
            }
        }
        return KubernetesFixture.builder().settings();
    }

    private static void injectFields(Class<?> type, Object instance, KubernetesFixture fixture) {
        boolean statics = instance == null;
        for (Class<?> current = type; current != null && current != Object.class; current = current.getSuperclass()) {
            for (Field field : current.getDeclaredFields()) {
                int modifiers = field.getModifiers();
                Class<?> fieldType = field.getType();
                boolean wanted = fieldType == KubernetesFixture.class || fieldType == KubernetesClient.class;
                // final fields belong to the test (e.g. set from a constructor parameter): left alone
                if (!wanted || Modifier.isStatic(modifiers) != statics || Modifier.isFinal(modifiers)) {
                    continue;
                }
                try {
                    field.setAccessible(true);
                    field.set(instance, fieldType == KubernetesClient.class ? fixture.client() : fixture);
                } catch (ReflectiveOperationException | RuntimeException e) {
                    throw new ExtensionConfigurationException("@WithKubernetes cannot inject " + field, e);
                }
            }
        }
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
            return new KubernetesExtension(fixture.settings());
        }
    }
}
