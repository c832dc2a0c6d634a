package dev.cicd.testkit;

import dev.cicd.testkit.internal.etcd.EtcdFixtureImpl;
import dev.cicd.testkit.internal.etcd.EtcdSettings;
import io.etcd.jetcd.Client;
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
 * JUnit 5 extension that runs an {@link EtcdFixture} and stops it through JUnit's extension store.
 *
 * <p>Two ways to use it:
 * <ul>
 *   <li>declaratively with {@link WithEtcd} on the test class: one fixture per class, injected
 *       into {@link EtcdFixture} fields and {@link EtcdFixture} / {@link Client} parameters;</li>
 *   <li>programmatically:
 *       {@code @RegisterExtension static EtcdExtension etcd = EtcdExtension.builder().members(3).build();}
 *       then {@code etcd.fixture()} (and parameters as above). A static field gives one fixture
 *       per class; an instance field one fixture per test.</li>
 * </ul>
 * Use one of the two per test class: both at once would compete for the same parameters.
 */
public final class EtcdExtension implements BeforeAllCallback, BeforeEachCallback, TestInstancePostProcessor,
        ParameterResolver {

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(EtcdExtension.class);
    private static final String DECLARATIVE_KEY = "declarative-etcd-fixture";

    /** Empty for the declarative use (settings come from {@link WithEtcd}). */
    private final Optional<EtcdSettings> settings;
    private volatile EtcdFixture fixture;
    private volatile boolean classLevel;

    /** Used by {@link WithEtcd}; reads its settings from the annotation on the test class. */
    public EtcdExtension() {
        this.settings = Optional.empty();
    }

    private EtcdExtension(EtcdSettings settings) {
        this.settings = Optional.of(settings);
    }

    /** A builder for {@code @RegisterExtension}. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The running fixture of a programmatically registered extension.
     *
     * @throws IllegalStateException before JUnit started it (it starts before the class's tests,
     *                               or before each test for an instance field)
     */
    public EtcdFixture fixture() {
        EtcdFixture current = fixture;
        if (current == null) {
            throw new IllegalStateException("the etcd fixture is not started yet: JUnit starts it before the "
                    + "tests of the class (static @RegisterExtension field) or before each test (instance field)");
        }
        return current;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        classLevel = true;
        EtcdFixture current = obtain(context);
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
        return type == EtcdFixture.class || type == Client.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        EtcdFixture current = obtain(extensionContext);
        return parameterContext.getParameter().getType() == Client.class ? current.client() : current;
    }

    /** The fixture for this context, started on first use and stored where JUnit will close it. */
    private EtcdFixture obtain(ExtensionContext context) {
        EtcdFixture current;
        if (settings.isEmpty()) {
            ExtensionContext scope = classScope(context);
            EtcdSettings declared = declaredSettings(scope.getRequiredTestClass());
            current = scope.getStore(NAMESPACE)
                    .computeIfAbsent(DECLARATIVE_KEY, key -> EtcdFixtureImpl.start(declared), EtcdFixture.class);
        } else {
            // a static field is registered at class level (beforeAll runs); an instance field per test
            ExtensionContext scope = classLevel || context.getTestMethod().isEmpty() ? classScope(context) : context;
            EtcdSettings configured = settings.get();
            current = scope.getStore(NAMESPACE)
                    .computeIfAbsent(this, key -> EtcdFixtureImpl.start(configured), EtcdFixture.class);
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

    private static EtcdSettings declaredSettings(Class<?> testClass) {
        for (Class<?> type = testClass; type != null; type = type.getEnclosingClass()) {
            WithEtcd annotation = type.getAnnotation(WithEtcd.class);
            if (annotation != null) {
                return EtcdFixture.builder()
                        .members(annotation.members())
                        .backend(annotation.backend())
                        .startupTimeout(Duration.ofSeconds(annotation.startupTimeoutSeconds()))
                        .settings();
            }
        }
        return EtcdFixture.builder().settings();
    }

    private static void injectFields(Class<?> type, Object instance, EtcdFixture fixture) {
        boolean statics = instance == null;
        for (Class<?> current = type; current != null && current != Object.class; current = current.getSuperclass()) {
            for (Field field : current.getDeclaredFields()) {
                int modifiers = field.getModifiers();
                // final fields belong to the test (e.g. set from a constructor parameter): left alone
                if (field.getType() != EtcdFixture.class || Modifier.isStatic(modifiers) != statics
                        || Modifier.isFinal(modifiers)) {
                    continue;
                }
                try {
                    field.setAccessible(true);
                    field.set(instance, fixture);
                } catch (ReflectiveOperationException | RuntimeException e) {
                    throw new ExtensionConfigurationException("@WithEtcd cannot inject " + field, e);
                }
            }
        }
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
            return new EtcdExtension(fixture.settings());
        }
    }
}
