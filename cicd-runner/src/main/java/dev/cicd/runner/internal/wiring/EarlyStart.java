package dev.cicd.runner.internal.wiring;

import dev.cicd.core.PebbleRenderer;
import dev.cicd.runner.ConfigException;
import dev.cicd.runner.EtcdConfig;
import dev.cicd.runner.RunnerConfig;
import dev.cicd.runner.WatchConfig;
import dev.cicd.runner.internal.http.RunnerMetrics;
import dev.cicd.runner.internal.logging.LogSetup;
import io.etcd.jetcd.Client;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * The runner's start, overlapped: the etcd client (gRPC, Netty, Vert.x and the first call: the longest part)
 * connects on a thread of its own while the calling thread builds what needs no etcd, the metrics registry and
 * the first term's renderer (templates compiled).
 *
 * @param metrics  the runner's metrics registry
 * @param renderer the first term's renderer, or null when building it failed (the term builds it again and
 *                 reports why, as without this)
 * @param etcd     the connected client
 */
public record EarlyStart(RunnerMetrics metrics, PebbleRenderer renderer, Client etcd) {

    /** How long `run` waits for etcd's first answer; a loaded machine can take over 5 s for the first gRPC call. */
    public static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(15);

    /** A connection started before the runner, with the etcd section it is for. */
    private record Early(EtcdConfig etcd, CompletableFuture<Client> connecting) {
    }

    private static volatile Early early;

    /**
     * Starts connecting to etcd before the runner starts (as soon as the config is read, while the command
     * line is still being parsed); {@link #of} takes that connection when its config names the same etcd.
     */
    public static void connectEarly(EtcdConfig etcd, Duration connectTimeout) {
        early = new Early(etcd, connect(etcd, connectTimeout));
    }

    private static Optional<CompletableFuture<Client>> takeConnecting(EtcdConfig etcd) {
        Early e = early;
        if (e == null || !etcd.equals(e.etcd())) {
            return Optional.empty();
        }
        early = null;
        return Optional.of(e.connecting());
    }

    private static CompletableFuture<Client> connect(EtcdConfig etcd, Duration connectTimeout) {
        CompletableFuture<Client> connecting = new CompletableFuture<>();
        Thread connect = new Thread(() -> {
            try {
                // gRPC's and Netty's classes log while they initialize: SLF4J must be up first
                LogSetup.awaitStarted();
                connecting.complete(Wiring.etcd(etcd, connectTimeout));
            } catch (Throwable t) {
                connecting.completeExceptionally(t);
            }
        }, "cicd-etcd-connect");
        connect.setDaemon(true);
        connect.start();
        return connecting;
    }

    /**
     * @throws dev.cicd.core.CicdException {@code SOURCE} when etcd does not answer within {@code connectTimeout}
     * @throws ConfigException             when the etcd client cannot be built from the config
     */
    public static EarlyStart of(RunnerConfig config, Duration connectTimeout) {
        CompletableFuture<Client> connecting = takeConnecting(config.etcd())
                .orElseGet(() -> connect(config.etcd(), connectTimeout));
        RunnerMetrics metrics = new RunnerMetrics(config.runner().group(),
                config.watches().stream().map(WatchConfig::name).toList());
        PebbleRenderer renderer;
        try {
            renderer = Wiring.renderer(config);
        } catch (RuntimeException e) {
            renderer = null;
        }
        try {
            return new EarlyStart(metrics, renderer, connecting.join());
        } catch (CompletionException e) {
            metrics.close();
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
    }
}
