package dev.cicd.etcd.internal;

import dev.cicd.etcd.ShardListener;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Calls a {@link ShardListener} on one thread of its own, one call at a time, in the order the loop asked;
 * a call that throws is logged and changes nothing else. The membership loop never waits for the listener.
 */
public final class ShardNotifier {

    private static final Logger LOG = LoggerFactory.getLogger(ShardNotifier.class);

    private final ShardListener listener;
    private final String description;
    private final ExecutorService thread;

    public ShardNotifier(ShardListener listener, String runnerId, String description) {
        this.listener = listener;
        this.description = description;
        this.thread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "cicd-shards-listener-" + runnerId);
            t.setDaemon(true);
            return t;
        });
    }

    void assigned(int shard, Fence.Token token) {
        run("assigned(" + shard + ")", () -> listener.assigned(shard, token));
    }

    /** Calls {@code revoking(shard)}; runs {@code done} once its stage completes (or the call fails). */
    void revoking(int shard, Runnable done) {
        boolean queued = run("revoking(" + shard + ")", () -> {
            CompletionStage<Void> stage;
            try {
                stage = listener.revoking(shard);
            } catch (RuntimeException e) {
                LOG.error("{}: the shard listener failed in revoking({}); releasing the shard", description, shard, e);
                done.run();
                return;
            }
            if (stage == null) {
                done.run();
                return;
            }
            stage.whenComplete((v, t) -> {
                if (t != null) {
                    LOG.error("{}: revoking shard {} completed with a failure; releasing the shard", description, shard, t);
                }
                done.run();
            });
        });
        if (!queued) {
            done.run();
        }
    }

    void lost(Set<Integer> shards, String reason) {
        Set<Integer> copy = Set.copyOf(shards);
        run("lost(" + copy + ")", () -> listener.lost(copy, reason));
    }

    /** Lets queued calls finish, then stops the thread. */
    void close() {
        thread.shutdown();
    }

    private boolean run(String what, Runnable call) {
        try {
            thread.execute(() -> {
                try {
                    call.run();
                } catch (RuntimeException e) {
                    LOG.error("{}: the shard listener failed in {}", description, what, e);
                }
            });
            return true;
        } catch (RejectedExecutionException e) {
            LOG.debug("{}: not calling {} on the shard listener: it is closed", description, what);
            return false;
        }
    }
}
