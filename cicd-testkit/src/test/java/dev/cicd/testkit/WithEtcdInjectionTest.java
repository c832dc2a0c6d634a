package dev.cicd.testkit;

import static dev.cicd.testkit.EtcdTestSupport.get;
import static dev.cicd.testkit.EtcdTestSupport.put;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.etcd.jetcd.Client;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@WithEtcd
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class WithEtcdInjectionTest {

    private static final Set<EtcdFixture> SEEN = ConcurrentHashMap.newKeySet();
    private static EtcdFixture staticField;
    private static EtcdFixture beforeAllParameter;

    private EtcdFixture instanceField;
    private final EtcdFixture constructorParameter;

    WithEtcdInjectionTest(EtcdFixture constructorParameter) {
        this.constructorParameter = constructorParameter;
    }

    @BeforeAll
    static void captureLifecycleParameter(EtcdFixture etcd) {
        beforeAllParameter = etcd;
    }

    @Test
    void fieldsAndParametersReceiveTheSameFixture(EtcdFixture parameter) {
        assertNotNull(staticField);
        assertSame(staticField, instanceField);
        assertSame(staticField, constructorParameter);
        assertSame(staticField, parameter);
        assertSame(staticField, beforeAllParameter);
        assertEquals(EtcdBackend.LOCAL, parameter.backend());
        SEEN.add(parameter);
    }

    @Test
    void aClientParameterIsTheFixturesSharedClient(Client client) {
        assertSame(staticField.client(), client);
        put(client, "/injected", "yes");
        assertEquals(Optional.of("yes"), get(instanceField.client(), "/injected"));
        SEEN.add(instanceField);
    }

    @AfterAll
    static void allTestsOfTheClassSharedOneRunningFixture() {
        assertEquals(Set.of(staticField), SEEN);
        assertTrue(staticField.isMemberRunning(0), "JUnit closes the fixture only after the class");
    }

    @Nested
    class NestedTests {
        @Test
        void aNestedClassSharesTheOuterFixture(EtcdFixture etcd) {
            assertSame(staticField, etcd);
            assertSame(staticField, instanceField);
        }
    }
}
