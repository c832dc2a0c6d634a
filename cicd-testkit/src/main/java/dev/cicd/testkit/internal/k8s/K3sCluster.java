package dev.cicd.testkit.internal.k8s;

import dev.cicd.testkit.KubernetesBackend;
import dev.cicd.testkit.KubernetesFixture;
import dev.cicd.testkit.RequestLog;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.k3s.K3sContainer;
import org.testcontainers.utility.DockerImageName;

/** A real single-node cluster: Testcontainers' {@link K3sContainer}. */
public final class K3sCluster implements KubernetesFixture {

    private static final Logger LOG = LoggerFactory.getLogger(K3sCluster.class);

    private final K3sContainer container;
    private final String kubeconfig;
    private final Kubeconfigs.KubeconfigFile kubeconfigFile;
    private final URI apiUrl;
    private final KubernetesClient client;
    private boolean closed;

    private K3sCluster(K3sContainer container, String kubeconfig, Kubeconfigs.KubeconfigFile kubeconfigFile,
            KubernetesClient client) {
        this.container = container;
        this.kubeconfig = kubeconfig;
        this.kubeconfigFile = kubeconfigFile;
        this.apiUrl = Kubeconfigs.apiUrl(kubeconfig);
        this.client = client;
    }

    /** Starts the container and waits until the API answers. */
    @SuppressWarnings("resource")
    public static K3sCluster start(KubernetesSettings settings) {
        K3sContainer container = new K3sContainer(DockerImageName.parse(settings.k3sImage()));
        container.start();
        Kubeconfigs.KubeconfigFile file = null;
        try {
            String kubeconfig = container.getKubeConfigYaml();
            file = Kubeconfigs.KubeconfigFile.write(settings, kubeconfig);
            KubernetesClient client = Kubeconfigs.client(kubeconfig, Optional.empty());
            LOG.info("k3s cluster {} at {}", settings.k3sImage(), Kubeconfigs.apiUrl(kubeconfig));
            return new K3sCluster(container, kubeconfig, file, client);
        } catch (RuntimeException e) {
            if (file != null) {
                file.close();
            }
            container.stop();
            throw e;
        }
    }

    @Override
    public KubernetesBackend backend() {
        return KubernetesBackend.K3S;
    }

    @Override
    public KubernetesClient client() {
        return client;
    }

    @Override
    public KubernetesClient newClient() {
        return Kubeconfigs.client(kubeconfig, Optional.empty());
    }

    @Override
    public String kubeconfig() {
        return kubeconfig;
    }

    @Override
    public Path kubeconfigFile() {
        return kubeconfigFile.path();
    }

    @Override
    public URI apiUrl() {
        return apiUrl;
    }

    @Override
    public void failImages(Pattern imagePattern) {
        throw new UnsupportedOperationException("the failure hook needs the SIMULATED backend; "
                + "on k3s use an image that cannot be pulled");
    }

    @Override
    public void clearFailures() {
        throw new UnsupportedOperationException("the failure hook needs the SIMULATED backend");
    }

    @Override
    public RequestLog requestLog() {
        throw new UnsupportedOperationException("the request log needs the SIMULATED backend");
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            client.close();
        } finally {
            try {
                kubeconfigFile.close();
            } finally {
                container.stop();
            }
        }
    }
}
