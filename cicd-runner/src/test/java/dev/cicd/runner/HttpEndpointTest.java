package dev.cicd.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cicd.core.Outcome;
import dev.cicd.core.SourceNotice;
import dev.cicd.core.TriggerEvent;
import dev.cicd.etcd.ShardMembership;
import dev.cicd.runner.internal.http.Health;
import dev.cicd.runner.internal.http.HttpEndpoint;
import dev.cicd.runner.internal.http.Liveness;
import dev.cicd.runner.internal.http.RunnerMetrics;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class HttpEndpointTest {

    private final HttpClient http = HttpClient.newHttpClient();

    private HttpResponse<String> get(int port, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static Outcome outcome(String watch, long rev, Outcome.Kind kind) {
        Instant now = Instant.now();
        return new Outcome(TriggerEvent.put(watch, "/cicd/" + watch + "/trigger", "{}", rev), kind,
                kind == Outcome.Kind.FAILED ? "exit code 1" : "", Optional.empty(), OptionalInt.empty(), "",
                Optional.empty(), now.minusMillis(20), now, Optional.empty());
    }

    @Test
    void healthReadinessAndMetricsAreServedOnLoopback() throws Exception {
        RunnerMetrics metrics = new RunnerMetrics("demo", List.of("rollout"));
        AtomicBoolean ready = new AtomicBoolean(false);
        AtomicBoolean live = new AtomicBoolean(true);
        try (HttpEndpoint ep = HttpEndpoint.start("127.0.0.1", 0,
                () -> new Health(ready.get(), Map.of("etcd", "reachable")),
                () -> new Liveness(live.get(), live.get() ? Map.of() : Map.of("wedged", List.of("watch rollout: ..."))),
                metrics)) {
            assertEquals(503, get(ep.port(), "/readyz").statusCode());
            assertEquals(503, get(ep.port(), "/healthz").statusCode(), "/healthz is /readyz");
            assertEquals(200, get(ep.port(), "/livez").statusCode(), "live while not ready");
            ready.set(true);
            HttpResponse<String> h = get(ep.port(), "/readyz");
            assertEquals(200, h.statusCode());
            assertTrue(h.body().contains("\"etcd\" : \"reachable\""), h.body());
            assertEquals(200, get(ep.port(), "/healthz").statusCode());
            live.set(false);
            HttpResponse<String> l = get(ep.port(), "/livez");
            assertEquals(503, l.statusCode());
            assertTrue(l.body().contains("\"wedged\""), l.body());
            assertEquals(404, get(ep.port(), "/nope").statusCode());

            metrics.leader(true);
            metrics.onOutcome(outcome("rollout", 5, Outcome.Kind.APPLIED));
            metrics.onOutcome(outcome("rollout", 6, Outcome.Kind.IN_SYNC));
            metrics.onOutcome(outcome("rollout", 7, Outcome.Kind.FAILED));
            metrics.onNotice(new SourceNotice("rollout", SourceNotice.Kind.GAP, 9, 3, "compacted"));
            HttpResponse<String> m = get(ep.port(), "/metrics");
            assertEquals(200, m.statusCode());
            assertTrue(m.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"), m.headers().toString());
            String body = m.body();
            assertTrue(body.contains("cicd_outcomes_total{outcome=\"applied\",watch=\"rollout\"} 1.0"), body);
            assertTrue(body.contains("cicd_outcomes_total{outcome=\"in-sync\",watch=\"rollout\"} 1.0"), body);
            assertTrue(body.contains("cicd_outcomes_total{outcome=\"failed\",watch=\"rollout\"} 1.0"), body);
            assertTrue(body.contains("cicd_outcomes_total{outcome=\"rejected\",watch=\"rollout\"} 0.0"), body);
            assertTrue(body.contains("cicd_action_duration_seconds_count{outcome=\"applied\",watch=\"rollout\"} 1"), body);
            assertTrue(body.contains("cicd_gaps_total{watch=\"rollout\"} 1.0"), body);
            assertTrue(body.contains("cicd_lost_revisions_total{watch=\"rollout\"} 3.0"), body);
            assertTrue(body.contains("cicd_leader{group=\"demo\"} 1.0"), body);
            assertTrue(body.contains("cicd_watch_revision{watch=\"rollout\"} 7.0"), body);
            assertTrue(body.contains("cicd_triggers_received_total{watch=\"rollout\"} 0.0"), body);
        }
    }

    /** The value of one series in a scrape. */
    static double value(String scrape, String series) {
        return scrape.lines().filter(l -> l.startsWith(series + " ")).findFirst()
                .map(l -> Double.parseDouble(l.substring(series.length() + 1).trim()))
                .orElseThrow(() -> new AssertionError(series + " not in the scrape:\n" + scrape));
    }

    @Test
    void latenciesAreHistogramsAndBuildInfoLastSuccessAndJvmMetricsAreExported() {
        try (RunnerMetrics metrics = new RunnerMetrics("demo", List.of("rollout", "undo"))) {
            metrics.bindJvm();
            metrics.haltedBy("undo"::equals);
            java.util.concurrent.atomic.AtomicLong pruned = new java.util.concurrent.atomic.AtomicLong(7);
            metrics.statusRecordsPruned(pruned::get);
            Outcome applied = outcome("rollout", 5, Outcome.Kind.APPLIED);
            metrics.onReceived(applied.event());
            metrics.onOutcome(applied);
            metrics.onOutcome(outcome("rollout", 6, Outcome.Kind.FAILED));
            String body = metrics.scrape();
            assertTrue(body.contains("# TYPE cicd_action_duration_seconds histogram"), body);
            assertTrue(body.contains("# TYPE cicd_trigger_latency_seconds histogram"), body);
            assertTrue(body.contains("cicd_action_duration_seconds_bucket{outcome=\"applied\",watch=\"rollout\",le=\"0.05\"} 1"), body);
            assertTrue(body.contains("cicd_action_duration_seconds_bucket{outcome=\"applied\",watch=\"rollout\",le=\"+Inf\"} 1"), body);
            assertTrue(body.contains("cicd_trigger_latency_seconds_bucket{watch=\"rollout\",le=\"600.0\"} 1"), body);
            assertTrue(body.contains("cicd_trigger_latency_seconds_bucket{watch=\"undo\",le=\"+Inf\"} 0"), body);
            assertEquals(1.0, value(body, "cicd_build_info{java=\"" + System.getProperty("java.version") + "\",version=\""
                    + dev.cicd.runner.internal.cli.Cli.version() + "\"}"), body);
            assertEquals(applied.finished().toEpochMilli() / 1000.0,
                    value(body, "cicd_last_success_timestamp_seconds{watch=\"rollout\"}"), 0.001, body);
            assertTrue(Double.isNaN(value(body, "cicd_last_success_timestamp_seconds{watch=\"undo\"}")), body);
            assertTrue(body.contains("cicd_watch_halted{watch=\"undo\"} 1.0"), body);
            assertTrue(body.contains("cicd_status_records_pruned_total 7.0"), body);
            assertTrue(body.contains("cicd_watch_halted{watch=\"rollout\"} 0.0"), body);
            for (String jvm : List.of("jvm_memory_used_bytes", "jvm_gc_", "jvm_threads_live_threads", "jvm_classes_loaded_classes",
                    "process_cpu_usage", "process_uptime_seconds", "process_files_open_files")) {
                assertTrue(body.contains(jvm), jvm + " missing:\n" + body);
            }
        }
    }

    @Test
    void shardMetersFollowTheMembershipsStatsAndTheLastHandoverIsNaNBeforeTheFirst() {
        try (RunnerMetrics metrics = new RunnerMetrics("demo", List.of("rollout"))) {
            java.util.concurrent.atomic.AtomicReference<ShardMembership.Stats> stats =
                    new java.util.concurrent.atomic.AtomicReference<>(new ShardMembership.Stats(0, Optional.empty(), 0));
            java.util.concurrent.atomic.AtomicLong pruned = new java.util.concurrent.atomic.AtomicLong(1);
            // lambdas referenced by nothing but the metrics: Micrometer alone would hold them weakly
            metrics.shards(() -> stats.get());
            metrics.statusRecordsPruned(() -> pruned.get());
            String before = metrics.scrape();
            assertTrue(before.contains("# TYPE cicd_shards_owned gauge"), before);
            assertTrue(before.contains("# TYPE cicd_shard_rebalances_total counter"), before);
            assertEquals(0.0, value(before, "cicd_shards_owned"), before);
            assertEquals(0.0, value(before, "cicd_shard_rebalances_total"), before);
            assertTrue(Double.isNaN(value(before, "cicd_shard_last_handover_seconds")), before);

            for (int i = 0; i < 3; i++) {
                System.gc();
            }
            stats.set(new ShardMembership.Stats(3, Optional.of(java.time.Duration.ofMillis(250)), 21));
            pruned.set(9);
            String after = metrics.scrape();
            assertEquals(21.0, value(after, "cicd_shards_owned"), after);
            assertEquals(3.0, value(after, "cicd_shard_rebalances_total"), after);
            assertEquals(0.25, value(after, "cicd_shard_last_handover_seconds"), 1e-9, after);
            assertEquals(9.0, value(after, "cicd_status_records_pruned_total"), after);
        }
    }
}
