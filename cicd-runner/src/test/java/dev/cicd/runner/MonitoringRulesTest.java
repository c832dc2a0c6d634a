package dev.cicd.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The shipped alert rules are valid and fire as meant ({@code promtool test rules} on
 * {@code deploy/monitoring/cicd-alerts.test.yaml}; skipped when promtool, from the Debian package
 * {@code prometheus}, is not installed), and the dashboard is a Grafana dashboard whose panels all query.
 * That every metric they use is exported is checked against a real scrape by {@code ObservabilityIT}.
 */
class MonitoringRulesTest {

    static final Path MONITORING = Path.of("..", "deploy", "monitoring");

    static String promtool(String... args) throws IOException, InterruptedException {
        List<String> cmd = new java.util.ArrayList<>(List.of("promtool"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(MONITORING.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "promtool did not finish");
        assertEquals(0, p.exitValue(), "promtool " + String.join(" ", args) + ":\n" + out);
        return out;
    }

    static boolean promtoolInstalled() {
        try {
            Process p = new ProcessBuilder("promtool", "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @Test
    void theAlertRulesAreValidAndTheirUnitTestsPass() throws Exception {
        Assumptions.assumeTrue(promtoolInstalled(), "promtool is not installed (Debian package prometheus): cannot check the rules");
        assertTrue(promtool("check", "rules", "cicd-alerts.yaml").contains("SUCCESS: 8 rules found"));
        assertTrue(promtool("test", "rules", "cicd-alerts.test.yaml").contains("SUCCESS"));
    }

    @Test
    void everyDashboardPanelQueriesPrometheus() throws IOException {
        JsonNode dash = new ObjectMapper().readTree(MONITORING.resolve("cicd-dashboard.json").toFile());
        assertEquals("cicd-runner", dash.path("uid").asText());
        assertTrue(dash.path("panels").size() >= 10, "panels: " + dash.path("panels").size());
        for (JsonNode panel : dash.path("panels")) {
            assertTrue(panel.path("targets").size() > 0, "panel without a query: " + panel.path("title"));
            for (JsonNode t : panel.path("targets")) {
                assertTrue(t.path("expr").asText().matches(".*\\b(cicd|jvm|process)_[a-z_]+.*"), t.toString());
            }
            assertTrue(panel.path("gridPos").has("w") && panel.path("gridPos").has("h"), panel.path("title").asText());
        }
    }
}
