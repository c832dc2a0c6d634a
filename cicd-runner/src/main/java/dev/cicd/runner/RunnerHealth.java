package dev.cicd.runner;

import dev.cicd.core.Pipeline;
import dev.cicd.runner.internal.http.Health;
import dev.cicd.runner.internal.http.Liveness;
import dev.cicd.runner.internal.wiring.EtcdProbe;
import dev.cicd.runner.internal.wiring.InFlightActions;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The runner's probes: readiness ({@code /readyz}, alias {@code /healthz}) asks etcd and the pipeline;
 * liveness ({@code /livez}) asks neither etcd nor any other server, only whether the process is wedged:
 * an action still running {@link InFlightActions#SLACK} past its timeout plus the pipeline's action grace
 * (it ignored its timeout and the interrupt), or threads the JVM finds deadlocked.
 */
final class RunnerHealth {

    private final RunnerConfig config;
    private final EtcdProbe probe;
    private final BooleanSupplier leader;
    private final AtomicReference<Pipeline> term;
    private final AtomicReference<String> failure;
    private final Supplier<HaltedWatchRestarter> restarter;
    private final BooleanSupplier started;
    private final BooleanSupplier closed;
    private final InFlightActions actions;

    RunnerHealth(RunnerConfig config, EtcdProbe probe, BooleanSupplier leader, AtomicReference<Pipeline> term,
                 AtomicReference<String> failure, Supplier<HaltedWatchRestarter> restarter, BooleanSupplier started,
                 BooleanSupplier closed, InFlightActions actions) {
        this.config = config;
        this.probe = probe;
        this.leader = leader;
        this.term = term;
        this.failure = failure;
        this.restarter = restarter;
        this.started = started;
        this.closed = closed;
        this.actions = actions;
    }

    /**
     * Ready: started, etcd answers, no watch halted, the pipeline started, and either standing by (not
     * the leader; of a sharded group: owning no shard) or leading (running a pipeline for its shards) with
     * every watch watching.
     */
    Health readiness() {
        Map<String, Object> d = new LinkedHashMap<>();
        boolean reachable = probe.reachable();
        d.put("etcd", reachable ? "reachable" : "unreachable: " + config.etcd().endpoints());
        boolean leader = this.leader.getAsBoolean();
        d.put("leader", leader);
        d.put("runner", config.runner().id());
        d.put("group", config.runner().group());
        Pipeline t = term.get();
        Map<String, String> watches = TermStatus.watches(config.watches(), leader ? t : null);
        boolean watchesAlive = !watches.containsValue(TermStatus.HALTED);
        d.put("watches", watches);
        String f = failure.get();
        if (f != null) {
            d.put("failure", f);
        }
        HaltedWatchRestarter r = restarter.get();
        if (r != null && !r.status().isEmpty()) {
            d.put("restart", r.status());
        }
        boolean ready = reachable && watchesAlive && f == null && !closed.getAsBoolean() && started.getAsBoolean()
                && (!leader || t != null && TermStatus.watching(t));
        return new Health(ready, d);
    }

    /** Live unless wedged; see the class comment. Makes no network call. */
    Liveness liveness() {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("runner", config.runner().id());
        d.put("actionsRunning", actions.count());
        List<String> wedged = actions.wedged();
        if (!wedged.isEmpty()) {
            d.put("wedged", wedged);
        }
        List<String> deadlocked = deadlockedThreads();
        if (!deadlocked.isEmpty()) {
            d.put("deadlocked", deadlocked);
        }
        return new Liveness(wedged.isEmpty() && deadlocked.isEmpty(), d);
    }

    private static List<String> deadlockedThreads() {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long[] ids = threads.findDeadlockedThreads();
        List<String> out = new ArrayList<>();
        if (ids != null) {
            for (ThreadInfo i : threads.getThreadInfo(ids)) {
                if (i != null) {
                    out.add(i.getThreadName() + " waits for " + i.getLockName() + " held by " + i.getLockOwnerName());
                }
            }
        }
        return out;
    }
}
