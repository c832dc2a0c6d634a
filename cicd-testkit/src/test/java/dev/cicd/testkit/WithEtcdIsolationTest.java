package dev.cicd.testkit;

import static dev.cicd.testkit.EtcdTestSupport.get;
import static dev.cicd.testkit.EtcdTestSupport.put;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.etcd.jetcd.Client;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Two test classes in one JVM, each with {@code @WithEtcd}, get independent fixtures, and JUnit
 * closes each one when its class is done.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class WithEtcdIsolationTest {

    private static final Map<String, EtcdFixture> BY_CLASS = new ConcurrentHashMap<>();

    @Nested
    @WithEtcd
    class FirstClass {
        @Test
        void writesOnlyToItsOwnEtcd(EtcdFixture etcd, Client client) {
            BY_CLASS.put("first", etcd);
            put(client, "/owner", "first");
            assertEquals(Optional.of("first"), get(client, "/owner"));
        }
    }

    @Nested
    @WithEtcd(members = 3)
    class SecondClass {
        @Test
        void doesNotSeeTheOtherClassesDataAndHasTheDeclaredMembers(EtcdFixture etcd, Client client) {
            BY_CLASS.put("second", etcd);
            assertEquals(Optional.empty(), get(client, "/owner"));
            assertEquals(3, etcd.memberCount());
        }
    }

    @AfterAll
    static void eachClassHadItsOwnFixtureAndJUnitClosedIt() {
        EtcdFixture first = BY_CLASS.get("first");
        EtcdFixture second = BY_CLASS.get("second");
        assertNotEquals(first.endpoints(), second.endpoints());
        assertNotEquals(first.directory(), second.directory());
        for (EtcdFixture fixture : List.of(first, second)) {
            for (int member = 0; member < fixture.memberCount(); member++) {
                assertFalse(fixture.isMemberRunning(member), "closed through the extension store");
            }
            assertFalse(Files.exists(fixture.directory().resolve("data")), "data deleted");
            assertTrue(Files.isRegularFile(fixture.logFile(0)), "log kept");
        }
    }
}
