package dev.cicd.runner;

import dev.cicd.core.Pipeline;
import dev.cicd.etcd.EtcdTriggerSource;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What a leadership term's pipeline is doing, for readiness, {@code /healthz} and the start-up log. */
final class TermStatus {

    /** A watch's state when it halted. */
    static final String HALTED = "halted";

    private TermStatus() {
    }

    /** Per watch: {@code standby} (no pipeline here), {@link #HALTED}, or {@code watching (revision N)}. */
    static Map<String, String> watches(List<WatchConfig> watches, Pipeline pipeline) {
        Map<String, String> out = new LinkedHashMap<>();
        for (WatchConfig w : watches) {
            if (pipeline == null) {
                out.put(w.name(), "standby");
            } else {
                Pipeline.WatchStats s = pipeline.stats(w.name());
                out.put(w.name(), s.halted() ? HALTED : "watching (revision " + s.lastRevision() + ")");
            }
        }
        return out;
    }

    /** Whether every watch of the pipeline is watching etcd now. */
    static boolean watching(Pipeline pipeline) {
        return pipeline.subscription().orElse(null) instanceof EtcdTriggerSource.Subscription s
                && s.awaitWatching(Duration.ZERO);
    }

    /** Waits until the pipeline's source started and every watch is watching etcd. */
    static boolean awaitWatching(Pipeline pipeline, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (pipeline.subscription().isEmpty()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        if (pipeline.subscription().get() instanceof EtcdTriggerSource.Subscription s) {
            return s.awaitWatching(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
        }
        return true;
    }

    /**
     * On a daemon thread: once every watch of the pipeline watches (within 5 minutes), logs
     * "watching N watch(es) {@code how} (T ms after JVM start)" followed by {@code what}.
     */
    static void reportWatching(Pipeline pipeline, org.slf4j.Logger log, String how, Object what) {
        Thread t = new Thread(() -> {
            if (awaitWatching(pipeline, Duration.ofMinutes(5))) {
                log.info("watching {} watch(es) {} ({} ms after JVM start): {}", pipeline.stats().size(), how,
                        java.lang.management.ManagementFactory.getRuntimeMXBean().getUptime(), what);
            }
        }, "cicd-watching");
        t.setDaemon(true);
        t.start();
    }
}
