package dev.cicd.runner.internal.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cicd.runner.RunnerSettings.LogFormat;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/** The runner's log lines on stderr, text and JSON, with the MDC; java.util.logging routed through. */
class LogSetupTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private PrintStream original;

    @BeforeEach
    void captureStderr() {
        original = System.err;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restore() {
        System.setErr(original);
        LogSetup.configure(LogSetup.Settings.DEFAULT);
        MDC.clear();
    }

    private List<String> lines() {
        return err.toString(StandardCharsets.UTF_8).lines().toList();
    }

    private static void logAnOutcome(Logger log) {
        MDC.put("watch", "rollout");
        MDC.put("key", "/cicd/rollout/trigger");
        MDC.put("revision", "42");
        MDC.put("requestId", "ci-7");
        try {
            log.info("outcome={} watch={}", "applied", "rollout");
        } finally {
            MDC.clear();
        }
    }

    @Test
    void jsonLinesCarryTheFixedFieldsTheMdcFlatAndTheException() throws Exception {
        LogSetup.configure(new LogSetup.Settings(LogFormat.JSON, Level.INFO, Level.WARN));
        Logger log = LoggerFactory.getLogger("dev.cicd.core.internal.pipeline.Recorder");
        logAnOutcome(log);
        log.warn("plain \"quoted\"\nsecond line", new IllegalStateException("boom"));
        LoggerFactory.getLogger("dev.cicd.runner.Runner").debug("below the level");
        LoggerFactory.getLogger("io.netty.Something").info("a library's info is below warn");

        List<String> lines = lines();
        assertEquals(2, lines.size(), String.join("\n", lines));
        List<JsonNode> parsed = new ArrayList<>();
        for (String line : lines) {
            parsed.add(JSON.readTree(line));   // every line is one JSON object
        }
        JsonNode outcome = parsed.get(0);
        assertEquals("INFO", outcome.path("level").asText());
        assertEquals("dev.cicd.core.internal.pipeline.Recorder", outcome.path("logger").asText());
        assertEquals(Thread.currentThread().getName(), outcome.path("thread").asText());
        assertEquals("outcome=applied watch=rollout", outcome.path("message").asText());
        assertTrue(outcome.path("timestamp").asText().matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z"),
                outcome.toString());
        assertEquals("rollout", outcome.path("watch").asText());
        assertEquals("/cicd/rollout/trigger", outcome.path("key").asText());
        assertEquals("42", outcome.path("revision").asText());
        assertEquals("ci-7", outcome.path("requestId").asText());
        assertFalse(outcome.has("exception"));

        JsonNode warning = parsed.get(1);
        assertEquals("WARN", warning.path("level").asText());
        assertEquals("plain \"quoted\"\nsecond line", warning.path("message").asText());
        assertTrue(warning.path("exception").asText().startsWith("java.lang.IllegalStateException: boom"), warning.toString());
        assertFalse(warning.has("watch"), "the MDC was cleared");
    }

    @Test
    void anMdcKeyNamedLikeAFixedFieldDoesNotReplaceIt() throws Exception {
        LogSetup.configure(new LogSetup.Settings(LogFormat.JSON, Level.INFO, Level.WARN));
        MDC.put("level", "mine");
        LoggerFactory.getLogger("dev.cicd.x").atInfo().addKeyValue("attempt", 2).log("kv");
        JsonNode n = JSON.readTree(lines().get(0));
        assertEquals("INFO", n.path("level").asText());
        assertEquals("mine", n.path("mdc.level").asText());
        assertEquals("2", n.path("attempt").asText(), "slf4j key-value pairs are fields too");
    }

    @Test
    void textLinesShowTheMdcBeforeTheMessage() {
        LogSetup.configure(LogSetup.Settings.DEFAULT);
        logAnOutcome(LoggerFactory.getLogger("dev.cicd.core.internal.pipeline.Recorder"));
        List<String> lines = lines();
        assertEquals(1, lines.size(), String.join("\n", lines));
        assertTrue(lines.get(0).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}(Z|[+-]\\d\\d:\\d\\d) INFO  Recorder "
                + "\\[watch=rollout key=/cicd/rollout/trigger revision=42 requestId=ci-7] - outcome=applied watch=rollout"),
                lines.get(0));
    }

    @Test
    void javaUtilLoggingGoesThroughTheSameOutputAndLevels() throws Exception {
        LogSetup.configure(new LogSetup.Settings(LogFormat.JSON, Level.INFO, Level.WARN));
        LogSetup.routeJul();
        java.util.logging.Logger grpc = java.util.logging.Logger.getLogger("io.grpc.internal.Test");
        grpc.info("below warn: not shown");
        grpc.warning("a gRPC warning");
        assertFalse(grpc.isLoggable(java.util.logging.Level.INFO), "levels are propagated to java.util.logging");
        List<String> lines = lines();
        assertEquals(1, lines.size(), String.join("\n", lines));
        JsonNode n = JSON.readTree(lines.get(0));
        assertEquals("io.grpc.internal.Test", n.path("logger").asText());
        assertEquals("WARN", n.path("level").asText());
        assertEquals("a gRPC warning", n.path("message").asText());
    }

    @Test
    void switchingTheFormatKeepsTheLevels() throws Exception {
        LogSetup.configure(new LogSetup.Settings(LogFormat.TEXT, Level.DEBUG, Level.INFO));
        LogSetup.format(LogFormat.JSON);
        assertEquals(new LogSetup.Settings(LogFormat.JSON, Level.DEBUG, Level.INFO), LogSetup.current());
        LoggerFactory.getLogger("dev.cicd.x").debug("debug shown");
        JsonNode n = JSON.readTree(lines().get(0));
        assertEquals("DEBUG", n.path("level").asText());
    }

    @Test
    void threadsStartingTogetherAllGetTheStartedFactoryNeverSlf4jsSubstitute() throws Exception {
        List<Object> seen = java.util.Collections.synchronizedList(new ArrayList<>());
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Thread t = new Thread(() -> seen.add(LogSetup.awaitStarted()));
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) {
            t.join(15_000);
        }
        assertEquals(4, seen.size());
        assertTrue(seen.stream().allMatch(f -> f == LoggerFactory.getILoggerFactory()), seen.toString());
        assertFalse(seen.get(0) instanceof org.slf4j.helpers.SubstituteLoggerFactory);
    }
}
