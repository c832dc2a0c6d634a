package dev.cicd.testkit.internal.etcd;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import dev.cicd.testkit.EtcdBackend;
import io.etcd.jetcd.launcher.Etcd;
import io.etcd.jetcd.launcher.EtcdCluster;
import io.etcd.jetcd.launcher.EtcdContainer;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Members as Testcontainers containers built by jetcd-launcher. Each member's client port is
 * published on a fixed host port chosen up front, so the endpoint survives a container stop and
 * start. Faults act on the Docker container itself (stop, kill, start), which keeps the container's
 * file system and with it the data.
 */
final class ContainerEtcdMembers implements EtcdMembers {

    private static final Logger LOG = LoggerFactory.getLogger(ContainerEtcdMembers.class);
    private static final int GRACEFUL_STOP_SECONDS = 10;

    private final Path directory;
    private final int size;
    private final EtcdCluster cluster;
    private final List<EtcdContainer> containers;
    private final int[] hostPorts;
    private final boolean[] running;
    private boolean created;

    ContainerEtcdMembers(int size, Path directory, String token, Optional<String> image) {
        this.directory = directory;
        this.size = size;
        this.hostPorts = LoopbackPorts.allocate(size);
        this.running = new boolean[size];
        Etcd.Builder builder = Etcd.builder().withNodes(size).withClusterName(token);
        image.ifPresent(builder::withImage);
        this.cluster = builder.build();
        this.containers = cluster.containers();
        // a local engine publishes on loopback only; a remote one on its host's interfaces
        String host = containers.get(0).getHost();
        String bindAddress = host.equals("localhost") || host.equals("127.0.0.1") ? "127.0.0.1:" : "";
        for (int i = 0; i < size; i++) {
            containers.get(i).setPortBindings(List.of(bindAddress + hostPorts[i] + ":" + Etcd.ETCD_CLIENT_PORT));
        }
    }

    @Override
    public EtcdBackend backend() {
        return EtcdBackend.CONTAINER;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public URI clientEndpoint(int member) {
        return URI.create("http://" + containers.get(member).getHost() + ":" + hostPorts[member]);
    }

    @Override
    public Path logFile(int member) {
        return directory.resolve("member-" + member + ".log");
    }

    @Override
    public void startAll() {
        if (!created) {
            created = true;
            cluster.start();
            Arrays.fill(running, true);
            return;
        }
        for (int i = 0; i < size; i++) {
            start(i);
        }
    }

    @Override
    public void start(int member) {
        if (!created) {
            throw new IllegalStateException("the cluster was never started");
        }
        if (running[member]) {
            return;
        }
        docker().startContainerCmd(containerId(member)).exec();
        running[member] = true;
        LOG.debug("started etcd container {}", containerId(member));
    }

    @Override
    public void stop(int member, boolean graceful) {
        if (!running[member]) {
            return;
        }
        String id = containerId(member);
        if (graceful) {
            docker().stopContainerCmd(id).withTimeout(GRACEFUL_STOP_SECONDS).exec();
        } else {
            docker().killContainerCmd(id).withSignal("SIGKILL").exec();
        }
        running[member] = false;
        LOG.debug("stopped etcd container {} ({})", id, graceful ? "SIGTERM" : "SIGKILL");
    }

    @Override
    public boolean isRunning(int member) {
        return running[member] && failure(member).isEmpty();
    }

    @Override
    public Optional<String> failure(int member) {
        if (!running[member] || containers.get(member).getContainerId() == null) {
            return Optional.empty();
        }
        InspectContainerResponse.ContainerState state =
                docker().inspectContainerCmd(containerId(member)).exec().getState();
        if (Boolean.TRUE.equals(state.getRunning())) {
            return Optional.empty();
        }
        return Optional.of("container " + containerId(member) + " exited with code " + state.getExitCodeLong());
    }

    @Override
    public String logTail(int member) {
        if (containers.get(member).getContainerId() == null) {
            return "(container not created)";
        }
        return FileUtil.lastLines(containers.get(member).getLogs(), 25);
    }

    @Override
    public boolean bindConflict(int member) {
        return false;
    }

    @Override
    public boolean relocate() {
        return false;
    }

    @Override
    public void close() {
        for (int i = 0; i < size; i++) {
            if (containers.get(i).getContainerId() != null) {
                try {
                    Files.writeString(logFile(i), containers.get(i).getLogs(), StandardCharsets.UTF_8);
                } catch (IOException | RuntimeException e) {
                    LOG.warn("cannot save the log of etcd container {}: {}", i, e.toString());
                }
            }
        }
        cluster.close();
        Arrays.fill(running, false);
    }

    private String containerId(int member) {
        String id = containers.get(member).getContainerId();
        if (id == null) {
            throw new IllegalStateException("member " + member + " has no container");
        }
        return id;
    }

    private DockerClient docker() {
        return containers.get(0).getDockerClient();
    }
}
