package dev.cicd.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The {@code notify} sections: defaults, and bad values named by file, line, key and value. */
class NotifyConfigTest {

    @TempDir
    Path dir;

    static final String BASE = """
            watches:
              - name: app
                prefix: /app
                template: t.peb
                action: shell
            """;

    RunnerConfig load(String yaml) throws IOException {
        Files.writeString(dir.resolve("t.peb"), "true\n");
        Path f = dir.resolve("cicd.yaml");
        Files.writeString(f, yaml);
        return RunnerConfig.load(f, Map.of());
    }

    String error(String yaml) {
        return assertThrows(ConfigException.class, () -> load(yaml)).getMessage();
    }

    @Test
    void defaultsAndTheWatchesOwnList() throws IOException {
        RunnerConfig c = load(BASE + """
                    notify:
                      - {type: slack, url: "env:SLACK_URL", on: [failed, IN_SYNC, failed]}
                notify:
                  - type: webhook
                    url: https://hooks.example.com/cicd
                    secretEnv: HOOK_SECRET
                    headers: {X-Team: platform}
                """);
        assertEquals(1, c.notifications().size());
        NotifyConfig w = c.notifications().get(0);
        assertEquals("webhook", w.type());
        assertEquals(List.of("applied", "failed", "rejected", "superseded"), w.on(), "default: not in-sync");
        assertEquals(Duration.ofSeconds(10), w.timeout());
        assertEquals(5, w.retry().attempts());
        assertEquals(Duration.ofSeconds(1), w.retry().backoff(1));
        assertEquals(Duration.ofSeconds(16), w.retry().backoff(5));
        assertEquals(Duration.ofSeconds(30), w.retry().backoff(9), "capped at maxBackoff");
        assertEquals(1000, w.queueSize());
        assertEquals(Map.of("X-Team", "platform"), w.headers());
        NotifyConfig s = c.watch("app").orElseThrow().notifications().get(0);
        assertEquals(List.of("failed", "in-sync"), s.on());
        assertEquals("env:SLACK_URL", s.url());
        assertTrue(load(BASE).notifications().isEmpty());
    }

    static Stream<Arguments> badSinks() {
        return Stream.of(
                Arguments.of("notify:\n  - {type: email, url: \"http://x\"}\n",
                        ":8: notify[0].type: must be webhook or slack, was 'email'"),
                Arguments.of("notify:\n  - {type: webhook, url: \"ftp://hooks.example.com/x\"}\n",
                        ":8: notify[0].url: 'ftp://hooks.example.com/x' must be an http:// or https:// URL with host"),
                Arguments.of("notify:\n  - {type: webhook}\n", ":8: notify[0].url: is required"),
                Arguments.of("notify:\n  - {type: webhook, url: \"env:1X\"}\n", ":8: notify[0].url: 'env:1X': env: must name"),
                Arguments.of("notify:\n  - {type: slack, url: \"https://x\", secretEnv: S}\n",
                        ":8: notify[0].secretEnv: applies to type webhook only"),
                Arguments.of("notify:\n  - {type: webhook, url: \"https://x\", secretEnv: \"abc def\"}\n",
                        ":8: notify[0].secretEnv: 'abc def' is not an environment variable name"),
                Arguments.of("notify:\n  - {type: webhook, url: \"https://x\", on: [applied, done]}\n",
                        ":8: notify[0].on: 'done' is not an outcome"),
                Arguments.of("notify:\n  - {type: webhook, url: \"https://x\", headers: {Content-Type: text/plain}}\n",
                        ":8: notify[0].headers: 'Content-Type' is set by the runner"),
                Arguments.of("notify:\n  - {type: webhook, url: \"https://x\", retry: {attempts: 0}}\n",
                        ":8: notify[0].retry.attempts: must be between 1 (no retry) and 100, was 0"),
                Arguments.of("notify:\n  - {type: webhook, url: \"https://x\", retry: {initialBackoff: 1m, maxBackoff: 1s}}\n",
                        ":8: notify[0].retry.maxBackoff: must be at least initialBackoff"),
                Arguments.of("notify:\n  - {type: webhook, url: \"https://x\", queueSize: 0}\n",
                        ":8: notify[0].queueSize: must be at least 1, was 0"),
                Arguments.of("notify:\n  - {type: webhook, url: \"https://x\", tmeout: 5s}\n",
                        ":8: unknown key 'notify[0].tmeout'; did you mean 'timeout'?"),
                Arguments.of("notify:\n  - {type: webhook, name: a, url: \"https://x\"}\n  - {type: slack, name: a, url: \"https://y\"}\n",
                        "notify[1].name: 'a' is used by two sinks"));
    }

    @ParameterizedTest
    @MethodSource("badSinks")
    void aBadSinkNamesTheFileLineKeyAndValue(String yaml, String expected) {
        String msg = error(BASE + "  # padding\n" + yaml);
        assertTrue(msg.contains(expected), msg);
        assertTrue(msg.startsWith(dir.resolve("cicd.yaml").toString()), msg);
    }

    @Test
    void aBadSinkOfAWatchNamesTheWatchIndex() {
        String msg = error(BASE + "    notify: [{type: webhook, url: \"mailto:ops@example.com\"}]\n");
        assertTrue(msg.contains(":6: watches[0].notify[0].url: 'mailto:ops@example.com' must be an http:// or https://"),
                msg);
    }
}
