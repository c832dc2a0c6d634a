package dev.cicd.testkit;

/**
 * Where an {@link EtcdFixture} runs etcd.
 */
public enum EtcdBackend {
    /**
     * A local {@code etcd} binary when one is found ({@code ETCD_BIN}, then {@code PATH}, then
     * {@code /usr/bin/etcd}); otherwise Testcontainers when a Docker engine answers; otherwise an
     * {@link IllegalStateException} that says how to install etcd.
     */
    AUTO,
    /** Local {@code etcd} processes on 127.0.0.1. */
    LOCAL,
    /** Testcontainers containers (jetcd-launcher); needs a Docker engine. */
    CONTAINER
}
