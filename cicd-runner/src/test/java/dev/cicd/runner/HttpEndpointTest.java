package dev.cicd.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cicd.core.Outcome;
import dev.cicd.core.SourceNotice;
import dev.cicd.core.TriggerEvent;
import dev.cicd.runner.internal.http.Health;
import dev.cicd.runner.internal.http.HttpEndpoint;
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
        try (HttpEndpoint ep = HttpEndpoint.start("127.0.0.1", 0,
                () -> new Health(true, ready.get(), Map.of("etcd", "reachable")), metrics)) {
            HttpResponse<String> h = get(ep.port(), "/healthz");
            assertEquals(200, h.statusCode());
            assertTrue(h.body().contains("\"etcd\" : \"reachable\""), h.body());
            assertEquals(503, get(ep.port(), "/readyz").statusCode());
            ready.set(true);
            assertEquals(200, get(ep.port(), "/readyz").statusCode());
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
}
