package dev.cicd.testkit.internal.k8s;

import dev.cicd.testkit.KubernetesBackend;
import dev.cicd.testkit.KubernetesFixture;
import dev.cicd.testkit.RequestLog;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.logging.Level;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The simulated cluster: fabric8's CRUD mock server behind {@link SimulatedApiDispatcher}, on
 * 127.0.0.1, with a {@link DeploymentController} running against it through an ordinary client.
 */
public final class SimulatedCluster implements KubernetesFixture {

    private static final Logger LOG = LoggerFactory.getLogger(SimulatedCluster.class);

    /**
     * The mock web server logs every request at INFO through java.util.logging: quieted here, and
     * held strongly, since java.util.logging forgets the level of a logger nobody references.
     */
    private static final java.util.logging.Logger MOCK_SERVER_LOG =
            java.util.logging.Logger.getLogger(MockWebServer.class.getName());

    static {
        MOCK_SERVER_LOG.setLevel(Level.WARNING);
    }

    private final KubernetesMockServer server;
    private final RecordingRequestLog requestLog;
    private final URI apiUrl;
    private final String kubeconfig;
    private final Kubeconfigs.KubeconfigFile kubeconfigFile;
    private final KubernetesClient client;
    private final KubernetesClient controllerClient;
    private final DeploymentController controller;
    private boolean closed;

    private SimulatedCluster(KubernetesMockServer server, RecordingRequestLog requestLog, URI apiUrl,
            String kubeconfig, Kubeconfigs.KubeconfigFile kubeconfigFile, KubernetesClient client,
            KubernetesClient controllerClient, DeploymentController controller) {
        this.server = server;
        this.requestLog = requestLog;
        this.apiUrl = apiUrl;
        this.kubeconfig = kubeconfig;
        this.kubeconfigFile = kubeconfigFile;
        this.client = client;
        this.controllerClient = controllerClient;
        this.controller = controller;
    }

    /** Starts a simulated cluster; everything started is stopped again if a later step fails. */
    public static SimulatedCluster start(KubernetesSettings settings) {
        List<AutoCloseable> started = new ArrayList<>();
        try {
            RecordingRequestLog log = new RecordingRequestLog();
            SimulatedApiDispatcher dispatcher = new SimulatedApiDispatcher(new KubernetesCrudDispatcher(), log);
            KubernetesMockServer server = new KubernetesMockServer(new Context(), new MockWebServer(),
                    new HashMap<>(), dispatcher, false);
            server.start(loopback(), settings.port());
            started.add(server::shutdown);
            URI apiUrl = URI.create("http://127.0.0.1:" + server.getPort());
            String kubeconfig = Kubeconfigs.simulated(apiUrl);
            Kubeconfigs.KubeconfigFile file = Kubeconfigs.KubeconfigFile.write(settings, kubeconfig);
            started.add(file);
            KubernetesClient client = Kubeconfigs.client(kubeconfig, Optional.empty());
            started.add(client);
            KubernetesClient controllerClient =
                    Kubeconfigs.client(kubeconfig, Optional.of(SimulatedApiDispatcher.CONTROLLER_AGENT));
            started.add(controllerClient);
            DeploymentController controller =
                    new DeploymentController(controllerClient, settings.rolloutDelay(), settings.failAfter());
            started.add(controller);
            controller.start();
            log.clear();
            LOG.info("simulated Kubernetes API at {} (kubeconfig {})", apiUrl, file.path());
            return new SimulatedCluster(server, log, apiUrl, kubeconfig, file, client, controllerClient, controller);
        } catch (RuntimeException e) {
            closeAll(started, e);
            throw e;
        }
    }

    private static InetAddress loopback() {
        try {
            return InetAddress.getByAddress("127.0.0.1", new byte[] {127, 0, 0, 1});
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public KubernetesBackend backend() {
        return KubernetesBackend.SIMULATED;
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
        controller.failImages(Objects.requireNonNull(imagePattern, "imagePattern"));
    }

    @Override
    public void clearFailures() {
        controller.clearFailures();
    }

    @Override
    public RequestLog requestLog() {
        return requestLog;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        // closed last to first: controller, server, then the clients (a client's Vert.x closed
        // while the server still holds its connections logs a netty rejectedExecution error)
        List<AutoCloseable> parts = List.of(kubeconfigFile, client, controllerClient, server::shutdown, controller);
        closeAll(parts, null);
    }

    /** Closes in reverse order; the first failure is thrown (or added to {@code primary}). */
    private static void closeAll(List<AutoCloseable> parts, RuntimeException primary) {
        RuntimeException failure = null;
        for (int i = parts.size() - 1; i >= 0; i--) {
            try {
                parts.get(i).close();
            } catch (Exception e) {
                if (primary != null) {
                    primary.addSuppressed(e);
                } else if (failure == null) {
                    failure = e instanceof RuntimeException re ? re : new IllegalStateException(e);
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    @Override
    public String toString() {
        return "SimulatedCluster[" + apiUrl + "]";
    }
}
