package dev.cicd.runner.internal.wiring;

import dev.cicd.core.CicdException;
import dev.cicd.runner.RunnerConfig;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The Kubernetes client, built on its own thread while etcd connects and the watches start: watching
 * does not need it, the first kubernetes action waits for it. No client (null) when no watch needs one.
 */
public final class KubernetesClientFuture implements AutoCloseable {

    private final CompletableFuture<KubernetesClient> future = new CompletableFuture<>();

    private KubernetesClientFuture() {
    }

    /** Starts building the client when a watch of the config needs it. */
    public static KubernetesClientFuture start(RunnerConfig config) {
        KubernetesClientFuture f = new KubernetesClientFuture();
        if (Wiring.needsKubernetes(config)) {
            Thread t = new Thread(() -> {
                try {
                    f.future.complete(Wiring.kubernetes(config.kubernetes()));
                } catch (RuntimeException | Error e) {
                    f.future.completeExceptionally(e);
                }
            }, "cicd-kubernetes-client");
            t.setDaemon(true);
            t.start();
        } else {
            f.future.complete(null);
        }
        return f;
    }

    /**
     * Waits for the client and rethrows what building it threw, so a bad {@code kubernetes} section fails
     * the start too.
     */
    public KubernetesClient await(Duration timeout) {
        try {
            return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof RuntimeException re) {
                throw re;
            }
            throw new CicdException(CicdException.Code.CONFIG, "kubernetes: " + c, c);
        } catch (TimeoutException e) {
            throw new CicdException(CicdException.Code.CONFIG, "kubernetes: the client was not built within " + timeout);
        } catch (InterruptedException e) {
            throw CicdException.interrupted("building the Kubernetes client", e);
        }
    }

    /** Closes the client once it is built (now, or when the builder thread finishes). */
    @Override
    public void close() {
        future.thenAccept(k -> {
            if (k != null) {
                k.close();
            }
        });
    }
}
