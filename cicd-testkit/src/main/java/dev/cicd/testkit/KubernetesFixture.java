package dev.cicd.testkit;

import dev.cicd.testkit.internal.k8s.KubernetesFixtures;
import dev.cicd.testkit.internal.k8s.KubernetesSettings;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A Kubernetes API for a test, started by {@link #builder()} and stopped by {@link #close()}.
 *
 * <p>Two backends: a real k3s cluster in a Testcontainers container when a Docker engine runs,
 * otherwise a <em>simulated cluster</em>: fabric8's CRUD mock API server on 127.0.0.1 plus a
 * deployment-controller simulation (ReplicaSets with revisions, rollout status, a failure hook),
 * discovery documents for kubectl, server-side apply and strategic merge patches done simply, and a
 * {@link #requestLog() request log}. The module README lists what the simulation does not do.
 *
 * <p>Every fixture is independent: its own port, its own data, its own kubeconfig file.
 */
public interface KubernetesFixture extends AutoCloseable {

    /** A builder with the defaults: {@link KubernetesBackend#AUTO}, 200 ms rollouts, 1 s deadline. */
    static Builder builder() {
        return new Builder();
    }

    /** The backend in use: {@link KubernetesBackend#SIMULATED} or {@link KubernetesBackend#K3S}. */
    KubernetesBackend backend();

    /** The shared client (default namespace {@code default}); closed by {@link #close()}. */
    KubernetesClient client();

    /** A new client for this cluster; the caller closes it. */
    KubernetesClient newClient();

    /** A kubeconfig (YAML) that kubectl and fabric8 accept; its context's namespace is {@code default}. */
    String kubeconfig();

    /** The file holding {@link #kubeconfig()}. */
    Path kubeconfigFile();

    /** The API server URL ({@code http://127.0.0.1:PORT} for the simulated cluster). */
    URI apiUrl();

    /**
     * Failure hook (simulated cluster only): a rollout that starts after this call, and whose pod
     * template has a container or init container image matching {@code imagePattern} (found
     * anywhere in the image reference), never becomes available; after the
     * {@link Builder#failAfter(Duration) progress deadline} its Deployment reports
     * {@code Progressing=False} with reason {@code ProgressDeadlineExceeded}. Patterns accumulate.
     *
     * @throws UnsupportedOperationException on the k3s backend
     */
    void failImages(Pattern imagePattern);

    /** Removes every pattern given to {@link #failImages(Pattern)}; rollouts already failing stay failed. */
    void clearFailures();

    /**
     * The requests the simulated API server received (except the simulated controller's own).
     *
     * @throws UnsupportedOperationException on the k3s backend, where requests are not visible
     */
    RequestLog requestLog();

    /** Stops the controller, the clients and the server (or container); deletes a kubeconfig file it created. */
    @Override
    void close();

    /** Options of a fixture; {@link #build()} starts it. */
    final class Builder {
        private KubernetesBackend backend = KubernetesBackend.AUTO;
        private Duration rolloutDelay = Duration.ofMillis(200);
        private Duration failAfter = Duration.ofSeconds(1);
        private int port;
        private Path kubeconfigFile;
        private Path workDir;
        private String k3sImage = KubernetesSettings.DEFAULT_K3S_IMAGE;

        Builder() {
        }

        /** Which backend to use; {@link KubernetesBackend#AUTO} by default. */
        public Builder backend(KubernetesBackend backend) {
            this.backend = Objects.requireNonNull(backend, "backend");
            return this;
        }

        /**
         * Simulated cluster: how long after a rollout starts its pods count as ready and the
         * Deployment's status converges; 200 ms by default, zero allowed.
         */
        public Builder rolloutDelay(Duration rolloutDelay) {
            KubernetesSettings.checkNotNegative("rolloutDelay", rolloutDelay);
            this.rolloutDelay = rolloutDelay;
            return this;
        }

        /**
         * Simulated cluster: the progress deadline of every Deployment, used instead of its
         * {@code spec.progressDeadlineSeconds} (which is not read): a rollout hit by
         * {@link KubernetesFixture#failImages(Pattern)} reports {@code ProgressDeadlineExceeded}
         * this long after it started; 1 s by default.
         */
        public Builder failAfter(Duration failAfter) {
            KubernetesSettings.checkNotNegative("failAfter", failAfter);
            this.failAfter = failAfter;
            return this;
        }

        /** Simulated cluster: the port to listen on, on 127.0.0.1; 0 (a free port) by default. */
        public Builder port(int port) {
            KubernetesSettings.checkPort(port);
            this.port = port;
            return this;
        }

        /**
         * Where to write the kubeconfig; left in place by {@link KubernetesFixture#close()}.
         * Default: a file in the fixture's own directory under the work dir, deleted on close.
         */
        public Builder kubeconfigFile(Path kubeconfigFile) {
            this.kubeconfigFile = Objects.requireNonNull(kubeconfigFile, "kubeconfigFile");
            return this;
        }

        /**
         * Parent of the fixture's directory. Default: the system property
         * {@code cicd.testkit.workDir} (set by the build to {@code target/testkit}), else a
         * temporary directory.
         */
        public Builder workDir(Path workDir) {
            this.workDir = Objects.requireNonNull(workDir, "workDir");
            return this;
        }

        /** The k3s container image for {@link KubernetesBackend#K3S}. */
        public Builder k3sImage(String k3sImage) {
            this.k3sImage = Objects.requireNonNull(k3sImage, "k3sImage");
            return this;
        }

        /** Starts the fixture; the API answers and the client is ready when this returns. */
        public KubernetesFixture build() {
            return KubernetesFixtures.start(settings());
        }

        KubernetesSettings settings() {
            return new KubernetesSettings(backend, rolloutDelay, failAfter, port,
                    Optional.ofNullable(kubeconfigFile), Optional.ofNullable(workDir), k3sImage);
        }
    }
}
