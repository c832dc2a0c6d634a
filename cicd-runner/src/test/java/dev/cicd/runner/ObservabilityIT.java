package dev.cicd.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cicd.core.Outcome;
import dev.cicd.etcd.PublishResult;
import dev.cicd.etcd.TriggerPublisher;
import dev.cicd.testkit.EtcdBackend;
import dev.cicd.testkit.EtcdFixture;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * Operating the jar: {@code --log-format json} (winning over the config's {@code logFormat: text})
 * writes one JSON object per stderr line with the MDC as fields; {@code /metrics} has histograms, JVM
 * metrics, build info and the last success, and every metric the shipped alert rules and dashboard use;
 * {@code /livez} stays 200 while etcd is down and {@code /readyz} (and {@code /healthz}) turn 503.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 5, unit = java.util.concurrent.TimeUnit.MINUTES)
class ObservabilityIT {

    static final ObjectMapper JSON = new ObjectMapper();
    static final Path MONITORING = Path.of("..", "deploy", "monitoring");

    static EtcdFixture etcd;
    static Path dir;
    static int httpPort;
    static JarProcess runner;
    static Instant started;
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void start() throws Exception {
        started = Instant.now();
        etcd = EtcdFixture.builder().backend(EtcdBackend.LOCAL).build();
        dir = ItSupport.workDir("observability-it-");
        httpPort = ItSupport.freePort();
        Files.writeString(dir.resolve("t.peb"), "echo deploying {{ data.imageTag | sh }}\n");
        Path config = dir.resolve("cicd.yaml");
        Files.writeString(config, """
                etcd: {endpoints: [%s]}
                runner: {group: observe, logDir: logs, httpPort: %d, electionTtl: 3s, logFormat: text}
                watches:
                  - {name: deploy, prefix: /cicd/observe, keys: [/trigger], template: t.peb, action: shell, timeout: 30s}
                """.formatted(etcd.endpoints().get(0), httpPort));
        runner = JarProcess.start(dir.resolve("stdout.txt"), dir.resolve("stderr.txt"), Map.of(),
                "--log-format", "json", "run", "-c", config.toString());
        runner.awaitLog("watching 1 watch(es)", Duration.ofSeconds(60));
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            if (runner != null) {
                runner.close();
            }
        } finally {
            if (etcd != null) {
                etcd.close();
            }
        }
    }

    static HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static List<JsonNode> logLines() throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (String line : Files.readString(dir.resolve("stderr.txt")).lines().toList()) {
            try {
                out.add(JSON.readTree(line));
            } catch (JsonProcessingException e) {
                throw new AssertionError("a stderr line is not JSON: " + line, e);
            }
        }
        return out;
    }

    @Test
    @Order(1)
    void everyStderrLineIsAJsonObjectAndTheOutcomeLineCarriesTheMdc() throws Exception {
        PublishResult r = TriggerPublisher.builder(etcd.client()).build()
                .publishAndAwait("/cicd/observe/trigger", "{\"imageTag\":\"v1\"}", Duration.ofSeconds(60));
        assertEquals(Outcome.Kind.APPLIED, r.kind().orElseThrow(), r.reason());
        runner.awaitLog("outcome=applied", Duration.ofSeconds(30));

        List<JsonNode> lines = logLines();
        assertFalse(lines.isEmpty());
        for (JsonNode n : lines) {
            assertTrue(n.isObject(), n.toString());
            for (String field : List.of("timestamp", "level", "logger", "thread", "message")) {
                assertTrue(n.hasNonNull(field), "no " + field + " in " + n);
            }
        }
        JsonNode outcome = lines.stream().filter(n -> n.path("message").asText().startsWith("outcome=applied"))
                .findFirst().orElseThrow();
        assertEquals("INFO", outcome.path("level").asText());
        assertEquals("deploy", outcome.path("watch").asText(), outcome.toString());
        assertEquals("/cicd/observe/trigger", outcome.path("key").asText(), outcome.toString());
        assertEquals(Long.toString(r.revision()), outcome.path("revision").asText(), outcome.toString());
        assertTrue(Instant.parse(outcome.path("timestamp").asText()).isAfter(started.minusSeconds(1)), outcome.toString());
        assertEquals("", Files.readString(dir.resolve("stdout.txt")), "stdout is for command output, not the log");
    }

    @Test
    @Order(2)
    void metricsHaveHistogramsJvmMetricsBuildInfoAndTheLastSuccess() throws Exception {
        HttpResponse<String> m = get("/metrics");
        assertEquals(200, m.statusCode());
        String body = m.body();
        assertTrue(body.contains("cicd_trigger_latency_seconds_bucket{watch=\"deploy\",le=\"+Inf\"} 1"), body);
        assertTrue(body.contains("cicd_action_duration_seconds_bucket{outcome=\"applied\",watch=\"deploy\",le=\"+Inf\"} 1"), body);
        assertTrue(body.contains("\njvm_memory_used_bytes{"), body);
        assertTrue(body.contains("\njvm_threads_live_threads "), body);
        assertTrue(body.contains("\nprocess_uptime_seconds "), body);
        Matcher build = Pattern.compile("\ncicd_build_info\\{java=\"([^\"]+)\",version=\"([^\"]+)\"} 1").matcher(body);
        assertTrue(build.find(), body);
        double last = HttpEndpointTest.value(body, "cicd_last_success_timestamp_seconds{watch=\"deploy\"}");
        assertTrue(last >= started.getEpochSecond() - 1 && last <= Instant.now().getEpochSecond() + 1,
                "last success " + last + " is not the trigger's time");
    }

    @Test
    @Order(3)
    void everyMetricTheAlertRulesAndTheDashboardUseIsExported() throws Exception {
        String scrape = get("/metrics").body();
        Set<String> exported = new TreeSet<>();
        for (String line : scrape.lines().toList()) {
            if (!line.startsWith("#") && !line.isBlank()) {
                exported.add(line.split("[{ ]", 2)[0]);
            }
        }
        Map<String, Set<String>> used = Map.of(
                "cicd-alerts.yaml", metricNames(Files.readString(MONITORING.resolve("cicd-alerts.yaml"))),
                "cicd-dashboard.json", metricNames(dashboardExpressions()));
        for (Map.Entry<String, Set<String>> e : used.entrySet()) {
            assertFalse(e.getValue().isEmpty(), e.getKey() + " uses no metric?");
            Set<String> missing = new TreeSet<>(e.getValue());
            missing.removeAll(exported);
            assertEquals(Set.of(), missing, e.getKey() + " uses metrics the runner does not export; it exports " + exported);
        }
    }

    /** The names of metrics ({@code cicd_*}, {@code jvm_*}, {@code process_*}, {@code system_*}) in PromQL text. */
    static Set<String> metricNames(String text) {
        Set<String> out = new TreeSet<>();
        Matcher m = Pattern.compile("\\b((?:cicd|jvm|process|system)_[a-z0-9_]+)").matcher(text);
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    /** Every {@code expr} and variable query of the dashboard. */
    static String dashboardExpressions() throws IOException {
        JsonNode dash = JSON.readTree(MONITORING.resolve("cicd-dashboard.json").toFile());
        StringBuilder b = new StringBuilder();
        for (JsonNode panel : dash.path("panels")) {
            for (JsonNode t : panel.path("targets")) {
                b.append(t.path("expr").asText()).append('\n');
            }
        }
        for (JsonNode v : dash.path("templating").path("list")) {
            b.append(v.path("definition").asText()).append('\n');
        }
        return b.toString();
    }

    @Test
    @Order(4)
    void whileEtcdIsDownLivezStays200AndReadyzAndHealthzAnswer503() throws Exception {
        assertEquals(200, get("/readyz").statusCode(), get("/readyz").body());
        assertEquals(200, get("/livez").statusCode());
        etcd.kill();
        try {
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            HttpResponse<String> ready = get("/readyz");
            while (ready.statusCode() != 503 && System.nanoTime() < deadline) {
                Thread.sleep(200);
                ready = get("/readyz");
            }
            assertEquals(503, ready.statusCode(), ready.body());
            assertTrue(ready.body().contains("\"etcd\" : \"unreachable"), ready.body());
            assertEquals(503, get("/healthz").statusCode(), "/healthz is /readyz");
            for (int i = 0; i < 5; i++) {
                HttpResponse<String> live = get("/livez");
                assertEquals(200, live.statusCode(), live.body());
                assertFalse(live.body().contains("etcd"), "liveness does not look at etcd: " + live.body());
                Thread.sleep(200);
            }
        } finally {
            etcd.start();
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        HttpResponse<String> ready = get("/readyz");
        while (ready.statusCode() != 200 && System.nanoTime() < deadline) {
            Thread.sleep(500);
            ready = get("/readyz");
        }
        assertEquals(200, ready.statusCode(), "ready again after etcd came back: " + ready.body());
        assertEquals(200, get("/livez").statusCode());
    }
}
