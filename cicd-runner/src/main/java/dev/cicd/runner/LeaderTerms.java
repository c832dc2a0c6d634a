package dev.cicd.runner;

import dev.cicd.core.Pipeline;
import dev.cicd.etcd.LeaderElection;
import dev.cicd.etcd.LeadershipListener;
import dev.cicd.runner.internal.http.RunnerMetrics;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A group with one leader ({@code runner.shards: 0}): while this runner leads, one pipeline carries out
 * every event of the group (restarted by a {@link HaltedWatchRestarter} when a watch halts); when the
 * leadership is lost it is aborted, when the runner stops it is closed.
 */
final class LeaderTerms implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LeaderTerms.class);

    private final RunnerConfig config;
    private final LeaderElection election;
    private final AtomicReference<Pipeline> term;
    private final AtomicReference<String> failure;
    private final Supplier<Pipeline> pipelines;
    private final RunnerMetrics metrics;
    private final BooleanSupplier closed;
    private volatile HaltedWatchRestarter restarter;
    private AutoCloseable leadership;

    /** @param pipelines builds (does not start) the pipeline of a term */
    LeaderTerms(RunnerConfig config, LeaderElection election, AtomicReference<Pipeline> term,
            AtomicReference<String> failure, Supplier<Pipeline> pipelines, RunnerMetrics metrics, BooleanSupplier closed) {
        this.config = config;
        this.election = election;
        this.term = term;
        this.failure = failure;
        this.pipelines = pipelines;
        this.metrics = metrics;
        this.closed = closed;
    }

    /** The current term's restarter of halted watches, while leading. */
    HaltedWatchRestarter restarter() {
        return restarter;
    }

    /** Campaigns; a term starts when elected. */
    void start() {
        RunnerSettings s = config.runner();
        election.addListener(new LeadershipListener() {
            @Override
            public void elected(LeaderElection e) {
                metrics.leader(true);
                LOG.info("runner {} is the leader of group {}", s.id(), s.group());
            }

            @Override
            public void lost(LeaderElection e, String reason) {
                metrics.leader(false);
                LOG.info("runner {} is no longer the leader of group {}: {}", s.id(), s.group(), reason);
            }
        });
        leadership = election.whileLeader(this::startTerm);
        election.start();
    }

    private AutoCloseable startTerm() {
        Pipeline pipeline = null;
        try {
            pipeline = pipelines.get();
            pipeline.start();
        } catch (RuntimeException e) {
            failure.set("the pipeline did not start: " + e.getMessage());
            LOG.error("runner {}: the pipeline did not start; resigning the leadership in 2 s", config.runner().id(), e);
            if (pipeline != null) {
                pipeline.close();
            }
            Thread t = new Thread(() -> {
                try {
                    Thread.sleep(2000);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    return;
                }
                if (!closed.getAsBoolean()) {
                    election.resign();
                }
            }, "cicd-resign");
            t.setDaemon(true);
            t.start();
            return () -> { };
        }
        failure.set(null);
        Pipeline t = pipeline;
        term.set(t);
        TermStatus.reportWatching(t, LOG, "as leader of group " + config.runner().group(),
                config.watches().stream().flatMap(w -> w.fullKeys().stream()).toList());
        HaltedWatchRestarter restarter = new HaltedWatchRestarter(term, pipelines, election::isLeader,
                metrics::restarted);
        this.restarter = restarter;
        restarter.start();
        return () -> {
            restarter.close();
            Pipeline current = term.getAndSet(null);
            if (current == null) {
                return;
            }
            if (!closed.getAsBoolean() && !election.isLeader()) {
                // the lease is gone: another runner may act on these targets now; stop ours at once
                LOG.warn("leadership lost: interrupting the in-flight actions now (their events are replayed by the "
                        + "new leader)");
                current.abort();
            } else {
                LOG.info("stopping the pipeline (in-flight actions finish or time out, checkpoints are written)");
                current.close();
            }
        };
    }

    /** Ends the current term (its pipeline closes gracefully) and stops campaigning. */
    @Override
    public void close() {
        if (leadership != null) {
            try {
                leadership.close();
            } catch (Exception e) {
                LOG.warn("stopping the pipeline failed: {}", e.toString());
            }
        }
    }
}
