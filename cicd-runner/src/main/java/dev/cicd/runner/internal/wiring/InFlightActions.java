package dev.cicd.runner.internal.wiring;

import dev.cicd.core.Action;
import dev.cicd.core.ActionContext;
import dev.cicd.core.ActionResult;
import dev.cicd.core.Plan;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * The actions running now, each with its start and timeout, for {@code /livez}. An action is
 * <i>wedged</i> when it is still running {@link #SLACK} after its timeout plus the pipeline's action
 * grace: by then the action should have given up by itself, and the pipeline has already interrupted
 * its thread (at timeout + grace), so a thread that still has not returned ignores interrupts and only
 * a restart frees its target lane.
 */
public final class InFlightActions {

    /** How long past timeout + grace a running action may go before it counts as wedged. */
    public static final Duration SLACK = Duration.ofSeconds(30);

    private record Running(String watch, String action, String thread, long startedNanos, Duration timeout) {
    }

    private final Duration grace;
    private final LongSupplier nanoTime;
    private final Map<Long, Running> running = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong();

    /** {@code grace}: the pipeline's action grace (the time after the timeout before it interrupts an action). */
    public InFlightActions(Duration grace) {
        this(grace, System::nanoTime);
    }

    InFlightActions(Duration grace, LongSupplier nanoTime) {
        this.grace = Objects.requireNonNull(grace, "grace");
        this.nanoTime = nanoTime;
    }

    /** {@code action}, recorded here while it runs. */
    public Action track(String name, Action action) {
        Objects.requireNonNull(action, "action");
        return new Action() {
            @Override
            public ActionResult execute(Plan plan, ActionContext context) {
                long id = ids.incrementAndGet();
                running.put(id, new Running(context.watch().name(), name, Thread.currentThread().getName(),
                        nanoTime.getAsLong(), context.timeout()));
                try {
                    return action.execute(plan, context);
                } finally {
                    running.remove(id);
                }
            }

            @Override
            public Set<String> targets(Plan plan) {
                return action.targets(plan);
            }

            @Override
            public boolean comparesLiveState() {
                return action.comparesLiveState();
            }

            @Override
            public boolean namesTargets() {
                return action.namesTargets();
            }
        };
    }

    /** How many actions run now. */
    public int count() {
        return running.size();
    }

    /** The wedged actions, described (watch, action, thread, running time, timeout); empty when none. */
    public List<String> wedged() {
        long now = nanoTime.getAsLong();
        List<String> out = new ArrayList<>();
        for (Running r : running.values()) {
            Duration ran = Duration.ofNanos(now - r.startedNanos());
            if (ran.compareTo(r.timeout().plus(grace).plus(SLACK)) > 0) {
                out.add("watch " + r.watch() + ": action " + r.action() + " on thread " + r.thread() + " has run "
                        + ran.toSeconds() + " s, timeout " + r.timeout().toSeconds() + " s");
            }
        }
        out.sort(null);
        return out;
    }
}
