package dev.cicd.runner.internal.http;

import dev.cicd.core.Outcome;
import dev.cicd.core.OutcomeSink;
import dev.cicd.core.SourceNotice;
import dev.cicd.core.TriggerEvent;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The runner's metrics in a Prometheus registry:
 * <ul>
 *   <li>{@code cicd_triggers_received_total{watch}} - events delivered by the source</li>
 *   <li>{@code cicd_outcomes_total{watch,outcome}} - outcomes by kind (applied, in-sync, rejected, failed)</li>
 *   <li>{@code cicd_action_duration_seconds{watch,outcome}} - render + action time of executed plans</li>
 *   <li>{@code cicd_trigger_latency_seconds{watch}} - from the event's arrival from etcd (the put, plus the
 *       watch's delivery time) to its recorded outcome</li>
 *   <li>{@code cicd_gaps_total{watch}}, {@code cicd_lost_revisions_total{watch}} - compaction gaps</li>
 *   <li>{@code cicd_source_notices_total{watch,kind}} - gaps, resets, disconnects, reconnects</li>
 *   <li>{@code cicd_leader{group}} - 1 while this runner leads its group</li>
 *   <li>{@code cicd_watch_revision{watch}} - the last revision with an outcome</li>
 * </ul>
 * It is an {@link OutcomeSink}: the pipeline tells it of each arrival and each recorded outcome.
 */
public final class RunnerMetrics implements OutcomeSink {

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Map<String, Long> arrivals = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> revisions = new ConcurrentHashMap<>();
    private final AtomicInteger leader = new AtomicInteger();

    public RunnerMetrics(String group, List<String> watches) {
        Gauge.builder("cicd.leader", leader, AtomicInteger::get)
                .description("1 while this runner is the leader of its group")
                .tag("group", group).register(registry);
        for (String w : watches) {
            received(w);
            for (Outcome.Kind k : Outcome.Kind.values()) {
                outcomes(w, k);
            }
            gaps(w);
            lost(w);
            AtomicLong rev = revisions.computeIfAbsent(w, x -> new AtomicLong());
            Gauge.builder("cicd.watch.revision", rev, AtomicLong::get)
                    .description("the last etcd revision of the watch with a recorded outcome")
                    .tag("watch", w).register(registry);
        }
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /** Prometheus text exposition format. */
    public String scrape() {
        return registry.scrape();
    }

    public void leader(boolean isLeader) {
        leader.set(isLeader ? 1 : 0);
    }

    public boolean isLeader() {
        return leader.get() == 1;
    }

    /** Records the event's arrival time and counts it (told by the pipeline as each event arrives). */
    @Override
    public void onReceived(TriggerEvent event) {
        arrivals.put(event.watch() + "@" + event.modRevision(), System.nanoTime());
        received(event.watch()).increment();
    }

    @Override
    public void onOutcome(Outcome outcome) {
        String w = outcome.watch();
        outcomes(w, outcome.kind()).increment();
        Long arrived = arrivals.remove(w + "@" + outcome.revision());
        if (arrived != null) {
            Timer.builder("cicd.trigger.latency")
                    .description("from the event's arrival from etcd to its recorded outcome")
                    .tag("watch", w).publishPercentiles(0.5, 0.99)
                    .register(registry).record(Duration.ofNanos(System.nanoTime() - arrived));
        }
        if (outcome.kind() == Outcome.Kind.APPLIED || outcome.kind() == Outcome.Kind.FAILED) {
            Timer.builder("cicd.action.duration")
                    .description("render and action time of executed plans")
                    .tag("watch", w).tag("outcome", outcome.kind().label())
                    .register(registry).record(Duration.between(outcome.started(), outcome.finished()));
        }
        revisions.computeIfAbsent(w, x -> new AtomicLong()).accumulateAndGet(outcome.revision(), Math::max);
    }

    @Override
    public void onNotice(SourceNotice notice) {
        Counter.builder("cicd.source.notices")
                .description("notices of the trigger source: gap, reset, disconnected, reconnected")
                .tag("watch", notice.watch()).tag("kind", notice.kind().name().toLowerCase(java.util.Locale.ROOT))
                .register(registry).increment();
        if (notice.kind() == SourceNotice.Kind.GAP) {
            gaps(notice.watch()).increment();
            lost(notice.watch()).increment(notice.lostRevisions());
        }
    }

    /** A watch's received count (for status output). */
    public long receivedCount(String watch) {
        return (long) received(watch).count();
    }

    /** A watch's count of one outcome kind. */
    public long outcomeCount(String watch, Outcome.Kind kind) {
        return (long) outcomes(watch, kind).count();
    }

    /** The pipeline is restarted because these watches halted. */
    public void restarted(List<String> haltedWatches) {
        for (String w : haltedWatches) {
            Counter.builder("cicd.watch.restarts").description("pipeline restarts because the watch halted")
                    .tag("watch", w).register(registry).increment();
        }
    }

    private Counter received(String w) {
        return Counter.builder("cicd.triggers.received").description("trigger events delivered by the source")
                .tag("watch", w).register(registry);
    }

    private Counter outcomes(String w, Outcome.Kind k) {
        return Counter.builder("cicd.outcomes").description("outcomes by kind")
                .tag("watch", w).tag("outcome", k.label()).register(registry);
    }

    private Counter gaps(String w) {
        return Counter.builder("cicd.gaps").description("compaction gaps: history that could not be replayed")
                .tag("watch", w).register(registry);
    }

    private Counter lost(String w) {
        return Counter.builder("cicd.lost.revisions").description("revisions lost to compaction gaps")
                .tag("watch", w).register(registry);
    }
}
