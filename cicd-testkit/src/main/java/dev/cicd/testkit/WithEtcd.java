package dev.cicd.testkit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Starts one {@link EtcdFixture} for the annotated test class (shared by its tests and its
 * {@code @Nested} classes) and stops it after the class.
 *
 * <p>The fixture is injected into fields of type {@link EtcdFixture} (static or instance, not
 * final) and into constructor, lifecycle and test method parameters of type {@link EtcdFixture}
 * or {@link io.etcd.jetcd.Client} (the fixture's shared client).
 *
 * <pre>{@code
 * @WithEtcd
 * class MyTest {
 *     EtcdFixture etcd;
 *
 *     @Test
 *     void putThenGet(Client client) { ... }
 * }
 * }</pre>
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@ExtendWith(EtcdExtension.class)
public @interface WithEtcd {

    /** Number of members: 1, 3 or 5. */
    int members() default 1;

    /** Backend; {@link EtcdBackend#AUTO} picks a local binary first, then Docker. */
    EtcdBackend backend() default EtcdBackend.AUTO;

    /** Startup timeout in seconds. */
    long startupTimeoutSeconds() default 20;
}
