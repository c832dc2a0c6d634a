package dev.cicd.runner;

import dev.cicd.core.Pipeline;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Restarts the pipeline of a leadership term when one of its watches halted (its state could not be
 * written even as a failed outcome, e.g. etcd unreachable past the retry budget), with back-off: 1 s,
 * doubling to 60 s. The new pipeline resumes from the stored checkpoints, so what the halted watch dropped
 * is replayed. Nothing is restarted while this runner is not the leader (then the term ends anyway).
 */
final class HaltedWatchRestarter implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(HaltedWatchRestarter.class);
    private static final Duration CHECK = Duration.ofSeconds(1);
    private static final Duration FIRST_BACKOFF = Duration.ofSeconds(1);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(60);

    private final AtomicReference<Pipeline> term;
    private final Supplier<Pipeline> factory;
    private final BooleanSupplier leader;
    private final Consumer<List<String>> onRestart;
    private final Thread thread;
    private volatile boolean closed;
    private volatile String status = "";

    /**
     * @param term      where the term's current pipeline is; replaced on a restart
     * @param factory   builds (does not start) a new pipeline
     * @param onRestart told the halted watches before each restart (metrics)
     */
    HaltedWatchRestarter(AtomicReference<Pipeline> term, Supplier<Pipeline> factory, BooleanSupplier leader,
            Consumer<List<String>> onRestart) {
        this.term = term;
        this.factory = factory;
        this.leader = leader;
        this.onRestart = onRestart;
        this.thread = new Thread(this::loop, "cicd-halted-watch-restarter");
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /** What the restarter is doing, for /healthz: empty, or "restarting in N s after ...". */
    String status() {
        return status;
    }

    private void loop() {
        Duration backoff = FIRST_BACKOFF;
        while (!closed) {
            if (!sleep(CHECK)) {
                return;
            }
            Pipeline p = term.get();
            if (p == null || !leader.getAsBoolean()) {
                continue;
            }
            List<String> halted = p.stats().values().stream().filter(Pipeline.WatchStats::halted)
                    .map(Pipeline.WatchStats::watch).toList();
            if (halted.isEmpty()) {
                backoff = FIRST_BACKOFF;
                status = "";
                continue;
            }
            status = "watch(es) " + halted + " halted; restarting the pipeline in " + backoff.toSeconds() + " s";
            LOG.warn("{}", status);
            if (!sleep(backoff) || !leader.getAsBoolean()) {
                continue;
            }
            onRestart.accept(halted);
            restart(p);
            backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
        }
    }

    private synchronized void restart(Pipeline old) {
        if (closed || term.get() != old) {
            return;
        }
        old.close();
        Pipeline fresh = factory.get();
        try {
            fresh.start();
        } catch (RuntimeException e) {
            LOG.error("restarting the pipeline failed; trying again later: {}", e.toString());
            fresh.close();
            return;
        }
        term.set(fresh);
        LOG.info("pipeline restarted from the stored checkpoints");
    }

    private boolean sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
            return !closed;
        } catch (InterruptedException e) {
            return false;
        }
    }

    /** Stops restarting (the term is ending); does not close the pipeline. */
    @Override
    public synchronized void close() {
        closed = true;
        thread.interrupt();
    }
}
