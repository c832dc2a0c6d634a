package dev.cicd.testkit;

/**
 * Where a {@link KubernetesFixture} gets its Kubernetes API.
 */
public enum KubernetesBackend {
    /** {@link #K3S} when a Docker engine answers, otherwise {@link #SIMULATED}. */
    AUTO,
    /**
     * fabric8's CRUD mock API server on 127.0.0.1 with a deployment-controller simulation,
     * discovery documents and a request log; no Docker needed. See the module README for what it
     * does not do.
     */
    SIMULATED,
    /** A real single-node cluster in a Testcontainers {@code K3sContainer}; needs a Docker engine. */
    K3S
}
