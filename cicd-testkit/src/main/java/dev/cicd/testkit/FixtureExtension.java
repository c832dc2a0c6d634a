package dev.cicd.testkit;

import java.lang.annotation.Annotation;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.TestInstancePostProcessor;

/**
 * What the testkit's JUnit extensions share: one fixture per test class (declarative use, settings
 * from a class annotation, shared with {@code @Nested} classes) or per registration (programmatic
 * use: a static field gives one per class, an instance field one per test), kept in JUnit's
 * extension store so JUnit closes it, and injected into fields and parameters of the fixture type
 * and of its client type.
 *
 * @param <F> the fixture type
 * @param <S> the fixture's settings
 * @param <A> the class annotation of the declarative use
 */
abstract class FixtureExtension<F extends AutoCloseable, S, A extends Annotation> implements BeforeAllCallback,
        BeforeEachCallback, TestInstancePostProcessor, ParameterResolver {

    private final Class<F> fixtureType;
    private final Class<?> clientType;
    private final Function<F, Object> client;
    private final Class<A> annotation;
    private final Function<A, S> fromAnnotation;
    private final Supplier<S> defaults;
    private final Function<S, F> starter;
    private final Optional<S> settings;
    private final ExtensionContext.Namespace namespace;
    private final String declarativeKey;
    private volatile F fixture;
    private volatile boolean classLevel;

    /**
     * @param owner          the extension class (names the store namespace)
     * @param fixtureType    the fixture interface
     * @param clientType     the client type also injected
     * @param client         the fixture's client
     * @param annotation     the declarative annotation
     * @param fromAnnotation settings read from the annotation
     * @param defaults       settings when no annotation is found
     * @param starter        starts a fixture
     * @param settings       empty for the declarative use; the settings of a programmatic registration
     */
    FixtureExtension(Class<?> owner, Class<F> fixtureType, Class<?> clientType, Function<F, Object> client,
            Class<A> annotation, Function<A, S> fromAnnotation, Supplier<S> defaults, Function<S, F> starter,
            Optional<S> settings) {
        this.fixtureType = fixtureType;
        this.clientType = clientType;
        this.client = client;
        this.annotation = annotation;
        this.fromAnnotation = fromAnnotation;
        this.defaults = defaults;
        this.starter = starter;
        this.settings = Objects.requireNonNull(settings, "settings");
        this.namespace = ExtensionContext.Namespace.create(owner);
        this.declarativeKey = "declarative-" + fixtureType.getSimpleName();
    }

    /**
     * The running fixture of a programmatically registered extension.
     *
     * @throws IllegalStateException before JUnit started it (before the class's tests for a static
     *                               field, before each test for an instance field)
     */
    public F fixture() {
        F current = fixture;
        if (current == null) {
            throw new IllegalStateException("the " + fixtureType.getSimpleName() + " is not started yet: JUnit starts "
                    + "it before the tests of the class (static @RegisterExtension field) or before each test "
                    + "(instance field)");
        }
        return current;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        classLevel = true;
        F current = obtain(context);
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
        return supports(parameterContext.getParameter().getType());
    }

    @Override
    public Object resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        F current = obtain(extensionContext);
        return parameterContext.getParameter().getType() == clientType ? client.apply(current) : current;
    }

    private boolean supports(Class<?> type) {
        return type == fixtureType || type == clientType;
    }

    /** The fixture for this context, started on first use and stored where JUnit will close it. */
    private F obtain(ExtensionContext context) {
        F current;
        if (settings.isEmpty()) {
            ExtensionContext scope = classScope(context);
            S declared = declaredSettings(scope.getRequiredTestClass());
            current = scope.getStore(namespace).computeIfAbsent(declarativeKey, key -> starter.apply(declared),
                    fixtureType);
        } else {
            // a static field is registered at class level (beforeAll runs); an instance field per test
            ExtensionContext scope = classLevel || context.getTestMethod().isEmpty() ? classScope(context) : context;
            S configured = settings.get();
            current = scope.getStore(namespace).computeIfAbsent(this, key -> starter.apply(configured), fixtureType);
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

    private S declaredSettings(Class<?> testClass) {
        for (Class<?> type = testClass; type != null; type = type.getEnclosingClass()) {
            A found = type.getAnnotation(annotation);
            if (found != null) {
                return fromAnnotation.apply(found);
            }
        }
        return defaults.get();
    }

    private void injectFields(Class<?> type, Object instance, F current) {
        boolean statics = instance == null;
        for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) {
            for (Field field : c.getDeclaredFields()) {
                int modifiers = field.getModifiers();
                Class<?> fieldType = field.getType();
                // final fields belong to the test (e.g. set from a constructor parameter): left alone
                if (!supports(fieldType) || Modifier.isStatic(modifiers) != statics
                        || Modifier.isFinal(modifiers)) {
                    continue;
                }
                try {
                    field.setAccessible(true);
                    field.set(instance, fieldType == clientType ? client.apply(current) : current);
                } catch (ReflectiveOperationException | RuntimeException e) {
                    throw new ExtensionConfigurationException(
                            "@" + annotation.getSimpleName() + " cannot inject " + field, e);
                }
            }
        }
    }
}
