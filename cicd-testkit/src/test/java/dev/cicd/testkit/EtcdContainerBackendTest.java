package dev.cicd.testkit;

import static dev.cicd.testkit.EtcdTestSupport.get;
import static dev.cicd.testkit.EtcdTestSupport.put;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.testcontainers.junit.jupiter.Testcontainers;

/** The Testcontainers backend; skipped where no Docker engine runs. */
@Testcontainers(disabledWithoutDocker = true)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class EtcdContainerBackendTest {

    @Test
    void putThenGetOnAContainer() {
        try (EtcdFixture etcd = EtcdFixture.builder().backend(EtcdBackend.CONTAINER).build()) {
            assertEquals(EtcdBackend.CONTAINER, etcd.backend());

            put(etcd.client(), "/app/image", "v1");

            assertEquals(Optional.of("v1"), get(etcd.client(), "/app/image"));
        }
    }

    @Test
    void restartAndKillKeepTheContainersData() {
        try (EtcdFixture etcd = EtcdFixture.builder().backend(EtcdBackend.CONTAINER).build()) {
            put(etcd.client(), "/app/image", "v2");

            etcd.restart();
            assertEquals(Optional.of("v2"), get(etcd.client(), "/app/image"));

            etcd.kill();
            etcd.start();
            assertEquals(Optional.of("v2"), get(etcd.client(), "/app/image"));
        }
    }

    @Test
    void aThreeMemberContainerClusterServesWithOneMemberStopped() {
        try (EtcdFixture etcd = EtcdFixture.builder().backend(EtcdBackend.CONTAINER).members(3).build()) {
            etcd.stopMember(0);
            put(etcd.client(), "/app/image", "v3");
            assertEquals(Optional.of("v3"), get(etcd.client(), "/app/image"));
            etcd.startMember(0);
        }
    }
}
