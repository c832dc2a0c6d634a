package dev.cicd.runner.internal.http;

import dev.cicd.core.Outcome;
import dev.cicd.core.OutcomeSink;
import dev.cicd.core.SourceNotice;
import dev.cicd.core.TriggerEvent;
import dev.cicd.runner.internal.cli.Cli;
import dev.cicd.etcd.ShardMembership;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * The runner's metrics in a Prometheus registry:
 * <ul>
 *   <li>{@code cicd_triggers_received_total{watch}} - events delivered by the source</li>
 *   <li>{@code cicd_outcomes_total{watch,outcome}} - outcomes by kind (applied, in-sync, rejected, failed)</li>
 *   <li>{@code cicd_action_duration_seconds{watch,outcome}} - render + action time of executed plans
 *       (a histogram: {@code _bucket{le}}, {@code _count}, {@code _sum}, and {@code _max})</li>
 *   <li>{@code cicd_trigger_latency_seconds{watch}} - from the event's arrival from etcd (the put, plus the
 *       watch's delivery time) to its recorded outcome (a histogram, same buckets)</li>
 *   <li>{@code cicd_last_success_timestamp_seconds{watch}} - when the watch's last {@code applied} or
 *       {@code in-sync} outcome was recorded by this process (NaN before the first)</li>
 *   <li>{@code cicd_watch_halted{watch}} - 1 while the watch is halted (until the pipeline is restarted)</li>
 *   <li>{@code cicd_watch_restarts_total{watch}} - pipeline restarts because the watch halted</li>
 *   <li>{@code cicd_build_info{version,java}} - always 1</li>
 *   <li>{@code cicd_gaps_total{watch}}, {@code cicd_lost_revisions_total{watch}} - compaction gaps</li>
 *   <li>{@code cicd_source_notices_total{watch,kind}} - gaps, resets, disconnects, reconnects</li>
 *   <li>{@code cicd_leader{group}} - 1 while this runner leads its group</li>
 *   <li>{@code cicd_watch_revision{watch}} - the last revision with an outcome</li>
 *   <li>once {@link #shards} ran (a sharded group): {@code cicd_shards_owned}, {@code cicd_shard_rebalances_total},
 *       {@code cicd_shard_last_handover_seconds}</li>
 * </ul>
 plus, once {@link #bindJvm()} ran, Micrometer's JVM and process metrics ({@code jvm_memory_*},
 * {@code jvm_gc_*}, {@code jvm_threads_*}, {@code jvm_classes_*}, {@code process_cpu_usage},
 * {@code system_cpu_*}, {@code process_uptime_seconds}, {@code process_files_*}).
 *
 * <p>It is an {@link OutcomeSink}: the pipeline tells it of each arrival and each recorded outcome.
 */
public final class RunnerMetrics implements OutcomeSink, AutoCloseable {

    /** Histogram buckets of the latency timers, in seconds: 50 ms to 10 min (rollouts are waited for). */
    static final List<Duration> BUCKETS = List.of(Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250),
            Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5),
            Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofMinutes(1), Duration.ofMinutes(2),
            Duration.ofMinutes(5), Duration.ofMinutes(10));

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Map<String, Long> arrivals = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> revisions = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> lastSuccessMillis = new ConcurrentHashMap<>();
    private final AtomicInteger leader = new AtomicInteger();
    private volatile Predicate<String> halted = w -> false;
    /**
     * The suppliers the function meters read: Micrometer holds a function meter's object weakly, so a lambda
     * handed to it alone could be collected and its meter frozen.
     */
    private volatile java.util.function.LongSupplier prunedRecords = () -> 0;
    private volatile Supplier<ShardMembership.Stats> shardStats;
    private JvmGcMetrics gc;

    public RunnerMetrics(String group, List<String> watches) {
        Gauge.builder("cicd.leader", leader, AtomicInteger::get)
                .description("1 while this runner is the leader of its group")
                .tag("group", group).register(registry);
        Gauge.builder("cicd.build.info", () -> 1)
                .description("the runner's version and Java version; always 1")
                .tag("version", Cli.version()).tag("java", System.getProperty("java.version", "unknown"))
                .register(registry);
        for (String w : watches) {
            latency(w);
            restarts(w);
            actionDuration(w, Outcome.Kind.APPLIED);
            actionDuration(w, Outcome.Kind.FAILED);
            AtomicLong success = lastSuccessMillis.computeIfAbsent(w, x -> new AtomicLong(-1));
            Gauge.builder("cicd.last.success.timestamp.seconds", success, m -> m.get() < 0 ? Double.NaN : m.get() / 1000.0)
                    .description("when the watch's last applied or in-sync outcome was recorded (NaN before the first)")
                    .tag("watch", w).register(registry);
            Gauge.builder("cicd.watch.halted", () -> halted.test(w) ? 1 : 0)
                    .description("1 while the watch is halted (a failed state write; the pipeline is restarted)")
                    .tag("watch", w).register(registry);
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

    /** Binds the JVM and process metrics (memory, GC, threads, classes, CPU, uptime, file descriptors). */
    public synchronized void bindJvm() {
        if (gc != null) {
            return;
        }
        new ClassLoaderMetrics().bindTo(registry);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
        gc = new JvmGcMetrics();
        gc.bindTo(registry);
    }

    /**
     * Registers {@code cicd_status_records_pruned_total}: the per-revision status records this runner deleted
     * in etcd to keep the newest per watch (read at each scrape).
     */
    public void statusRecordsPruned(java.util.function.LongSupplier pruned) {
        this.prunedRecords = java.util.Objects.requireNonNull(pruned, "pruned");
        FunctionCounter.builder("cicd.status.records.pruned", this, m -> (double) m.prunedRecords.getAsLong())
                .description("per-revision status records deleted in etcd to keep runner.statusRetention.maxPerWatch")
                .register(registry);
    }

    /**
     * Registers the meters of this runner's shard membership (a sharded group), read from {@code stats} at
     * each scrape: {@code cicd_shards_owned}, {@code cicd_shard_rebalances_total} and
     * {@code cicd_shard_last_handover_seconds} (NaN until this runner took a shard).
     */
    public void shards(Supplier<ShardMembership.Stats> stats) {
        this.shardStats = java.util.Objects.requireNonNull(stats, "stats");
        Gauge.builder("cicd.shards.owned", this, m -> m.shardStats.get().owned())
                .description("shards this runner owns now")
                .register(registry);
        Gauge.builder("cicd.shard.last.handover.seconds", this, m -> m.shardStats.get().lastHandover()
                        .map(d -> d.toNanos() / 1e9).orElse(Double.NaN))
                .description("for the last shard this runner took: from its assignment here to holding its key (NaN before the first)")
                .register(registry);
        FunctionCounter.builder("cicd.shard.rebalances", this, m -> (double) m.shardStats.get().rebalances())
                .description("changes of the group's live members seen while this runner was a member (each rebalances the shards)")
                .register(registry);
    }

    /** Tells {@code cicd_watch_halted} which watches are halted now (asked at each scrape). */
    public void haltedBy(Predicate<String> isHalted) {
        this.halted = isHalted;
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
            latency(w).record(Duration.ofNanos(System.nanoTime() - arrived));
        }
        if (outcome.kind() == Outcome.Kind.APPLIED || outcome.kind() == Outcome.Kind.FAILED) {
            actionDuration(w, outcome.kind()).record(Duration.between(outcome.started(), outcome.finished()));
        }
        if (outcome.kind() == Outcome.Kind.APPLIED || outcome.kind() == Outcome.Kind.IN_SYNC) {
            lastSuccessMillis.computeIfAbsent(w, x -> new AtomicLong(-1))
                    .accumulateAndGet(outcome.finished().toEpochMilli(), Math::max);
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
            restarts(w).increment();
        }
    }

    private Counter restarts(String w) {
        return Counter.builder("cicd.watch.restarts").description("pipeline restarts because the watch halted")
                .tag("watch", w).register(registry);
    }

    private Timer latency(String w) {
        return Timer.builder("cicd.trigger.latency")
                .description("from the event's arrival from etcd to its recorded outcome")
                .tag("watch", w).serviceLevelObjectives(BUCKETS.toArray(Duration[]::new))
                .register(registry);
    }

    private Timer actionDuration(String w, Outcome.Kind kind) {
        return Timer.builder("cicd.action.duration")
                .description("render and action time of executed plans")
                .tag("watch", w).tag("outcome", kind.label())
                .serviceLevelObjectives(BUCKETS.toArray(Duration[]::new))
                .register(registry);
    }

    @Override
    public synchronized void close() {
        if (gc != null) {
            gc.close();
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
