package dev.cicd.testkit.internal.k8s;

import dev.cicd.testkit.KubernetesBackend;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/** Validated options of a Kubernetes fixture (built by {@code KubernetesFixture.Builder}). */
public record KubernetesSettings(
        KubernetesBackend backend,
        Duration rolloutDelay,
        Duration failAfter,
        int port,
        Optional<Path> kubeconfigFile,
        Optional<Path> workDir,
        String k3sImage) {

    /** The k3s image used when none is given. */
    public static final String DEFAULT_K3S_IMAGE = "rancher/k3s:v1.31.4-k3s1";

    public KubernetesSettings {
        Objects.requireNonNull(backend, "backend");
        checkNotNegative("rolloutDelay", rolloutDelay);
        checkNotNegative("failAfter", failAfter);
        checkPort(port);
        Objects.requireNonNull(kubeconfigFile, "kubeconfigFile");
        Objects.requireNonNull(workDir, "workDir");
        Objects.requireNonNull(k3sImage, "k3sImage");
        if (k3sImage.isBlank()) {
            throw new IllegalArgumentException("k3sImage is blank");
        }
    }

    public static void checkNotNegative(String name, Duration value) {
        Objects.requireNonNull(value, name);
        if (value.isNegative()) {
            throw new IllegalArgumentException(name + " must not be negative: " + value);
        }
    }

    public static void checkPort(int port) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be 0..65535: " + port);
        }
    }
}
