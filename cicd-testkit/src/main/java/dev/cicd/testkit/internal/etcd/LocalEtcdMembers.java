package dev.cicd.testkit.internal.etcd;

import dev.cicd.testkit.EtcdBackend;
import dev.cicd.testkit.internal.Directories;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Members as local {@code etcd} processes on 127.0.0.1. Each member has a client and a peer port
 * and a data directory that stay the same across stops and starts.
 */
final class LocalEtcdMembers implements EtcdMembers {

    private static final Logger LOG = LoggerFactory.getLogger(LocalEtcdMembers.class);
    private static final String HOST = "127.0.0.1";
    private static final long GRACEFUL_STOP_SECONDS = 10;
    private static final long KILL_WAIT_SECONDS = 10;

    private final Path binary;
    private final Path directory;
    private final Path dataRoot;
    private final String token;
    private final int size;
    private final Process[] processes;
    private int[] clientPorts;
    private int[] peerPorts;

    LocalEtcdMembers(Path binary, int size, Path directory, String token) {
        this.binary = binary;
        this.directory = directory;
        this.dataRoot = directory.resolve("data");
        this.token = token;
        this.size = size;
        this.processes = new Process[size];
        allocatePorts();
    }

    private void allocatePorts() {
        int[] ports = LoopbackPorts.allocate(2 * size);
        clientPorts = IntStream.range(0, size).map(i -> ports[2 * i]).toArray();
        peerPorts = IntStream.range(0, size).map(i -> ports[2 * i + 1]).toArray();
    }

    @Override
    public EtcdBackend backend() {
        return EtcdBackend.LOCAL;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public URI clientEndpoint(int member) {
        return URI.create("http://" + HOST + ":" + clientPorts[member]);
    }

    private String peerUrl(int member) {
        return "http://" + HOST + ":" + peerPorts[member];
    }

    private static String name(int member) {
        return "member-" + member;
    }

    @Override
    public Path logFile(int member) {
        return directory.resolve(name(member) + ".log");
    }

    @Override
    public void startAll() {
        for (int i = 0; i < size; i++) {
            start(i);
        }
    }

    @Override
    public void start(int member) {
        if (isRunning(member)) {
            return;
        }
        List<String> command = command(member);
        Path log = logFile(member);
        try {
            Files.createDirectories(dataRoot);
            Files.writeString(log, "### " + Instant.now() + " starting: " + String.join(" ", command)
                            + System.lineSeparator(), StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            ProcessBuilder builder = new ProcessBuilder(command)
                    .directory(directory.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(nullDevice()));
            cleanEnvironment(builder.environment());
            Process process = builder.start();
            ProcessReaper.register(process);
            processes[member] = process;
            LOG.debug("started etcd {} pid {} on {}", name(member), process.pid(), clientEndpoint(member));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + binary + " for " + name(member), e);
        }
    }

    private static java.io.File nullDevice() {
        return new java.io.File(System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("windows")
                ? "NUL" : "/dev/null");
    }

    /**
     * Settings from the caller's ETCD_* variables would silently change the member (etcd reads
     * every flag from the environment too), so they are removed.
     */
    private static void cleanEnvironment(Map<String, String> env) {
        env.keySet().removeIf(key -> key.startsWith("ETCD_") && !key.equals("ETCD_UNSUPPORTED_ARCH"));
        String arch = System.getProperty("os.arch", "");
        if (!env.containsKey("ETCD_UNSUPPORTED_ARCH") && (arch.equals("aarch64") || arch.equals("arm64"))) {
            env.put("ETCD_UNSUPPORTED_ARCH", "arm64");
        }
    }

    List<String> command(int member) {
        String initialCluster = IntStream.range(0, size)
                .mapToObj(i -> name(i) + "=" + peerUrl(i))
                .collect(Collectors.joining(","));
        String client = clientEndpoint(member).toString();
        List<String> command = new ArrayList<>();
        command.add(binary.toString());
        command.add("--name=" + name(member));
        command.add("--data-dir=" + dataRoot.resolve(name(member)));
        command.add("--listen-client-urls=" + client);
        command.add("--advertise-client-urls=" + client);
        command.add("--listen-peer-urls=" + peerUrl(member));
        command.add("--initial-advertise-peer-urls=" + peerUrl(member));
        command.add("--initial-cluster=" + initialCluster);
        command.add("--initial-cluster-state=new");
        command.add("--initial-cluster-token=" + token);
        command.add("--logger=zap");
        command.add("--log-outputs=stderr");
        return command;
    }

    @Override
    public void stop(int member, boolean graceful) {
        Process process = processes[member];
        if (process == null) {
            return;
        }
        try {
            if (graceful) {
                process.destroy();
                if (!process.waitFor(GRACEFUL_STOP_SECONDS, TimeUnit.SECONDS)) {
                    LOG.warn("etcd {} did not stop within {} s after SIGTERM; killing it", name(member),
                            GRACEFUL_STOP_SECONDS);
                    process.destroyForcibly();
                }
            } else {
                process.destroyForcibly();
            }
            if (!process.waitFor(KILL_WAIT_SECONDS, TimeUnit.SECONDS)) {
                throw new IllegalStateException("etcd " + name(member) + " (pid " + process.pid()
                        + ") did not exit after SIGKILL");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            throw new IllegalStateException("interrupted while stopping etcd " + name(member), e);
        } finally {
            if (!process.isAlive()) {
                ProcessReaper.unregister(process);
                processes[member] = null;
            }
        }
        LOG.debug("stopped etcd {} ({}), exit code {}", name(member), graceful ? "SIGTERM" : "SIGKILL",
                process.exitValue());
    }

    @Override
    public boolean isRunning(int member) {
        Process process = processes[member];
        return process != null && process.isAlive();
    }

    @Override
    public Optional<String> failure(int member) {
        Process process = processes[member];
        if (process == null || process.isAlive()) {
            return Optional.empty();
        }
        return Optional.of(name(member) + " exited with code " + process.exitValue());
    }

    @Override
    public String logTail(int member) {
        return FileUtil.tail(logFile(member), 25);
    }

    @Override
    public boolean bindConflict(int member) {
        return logTail(member).toLowerCase(Locale.ROOT).contains("address already in use");
    }

    @Override
    public boolean relocate() {
        for (int i = 0; i < size; i++) {
            stop(i, false);
        }
        Directories.delete(dataRoot);
        allocatePorts();
        return true;
    }

    @Override
    public void close() {
        RuntimeException failure = null;
        for (int i = 0; i < size; i++) {
            Process process = processes[i];
            if (process != null) {
                process.destroyForcibly();
            }
        }
        for (int i = 0; i < size; i++) {
            try {
                stop(i, false);
            } catch (RuntimeException e) {
                failure = e;
            }
        }
        Directories.delete(dataRoot);
        if (failure != null) {
            throw failure;
        }
    }
}
