package dev.cicd.runner.internal.wiring;

import java.util.List;

/**
 * Loads and initializes, on a background thread, the classes the daemon's start needs later (gRPC, Netty,
 * Vert.x and jetcd for the etcd client; the metrics registry; Pebble), while the main thread sets up
 * logging, parses the command line and reads the config: on two cores the two halves overlap, and
 * {@code run} watches sooner (docs/benchmarks.md, "run: launch to watching"). Class initialization is
 * thread-safe in the JVM, so whichever thread comes first does the work and the other waits for it; a
 * class that is not on the class path is skipped. Off with {@code -Dcicd.preload=false}.
 */
public final class Preload {

    /** Entry points whose initialization pulls in most of what the etcd client's start loads. */
    static final List<String> DAEMON = List.of(
            "io.netty.util.internal.PlatformDependent",
            "io.netty.buffer.PooledByteBufAllocator",
            "io.netty.channel.nio.NioEventLoopGroup",
            "io.vertx.core.impl.VertxImpl",
            "io.grpc.internal.ManagedChannelImplBuilder",
            "io.grpc.netty.NettyChannelBuilder",
            "io.vertx.grpc.VertxChannelBuilder",
            "io.etcd.jetcd.impl.ClientImpl",
            "io.etcd.jetcd.api.VertxKVGrpc",
            "io.etcd.jetcd.api.VertxWatchGrpc",
            "io.etcd.jetcd.api.VertxLeaseGrpc",
            "io.etcd.jetcd.api.VertxElectionGrpc",
            "io.micrometer.prometheusmetrics.PrometheusMeterRegistry",
            "io.pebbletemplates.pebble.PebbleEngine");

    private Preload() {
    }

    /** Starts the background loading of the daemon's classes (once; a no-op when turned off). */
    public static void daemonClasses() {
        if (!Boolean.parseBoolean(System.getProperty("cicd.preload", "true"))) {
            return;
        }
        Thread t = new Thread(() -> load(DAEMON), "cicd-preload");
        t.setDaemon(true);
        t.setPriority(Thread.MIN_PRIORITY);
        t.start();
    }

    /** Initializes each class in turn; returns how many were found. */
    static int load(List<String> classNames) {
        ClassLoader loader = Preload.class.getClassLoader();
        int found = 0;
        for (String name : classNames) {
            try {
                Class.forName(name, true, loader);
                found++;
            } catch (ClassNotFoundException | LinkageError e) {
                // not on this class path (or not loadable here): the start loads what it needs itself
            }
        }
        return found;
    }
}
