package dev.cicd.runner.internal.notify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cicd.core.ActionResult;
import dev.cicd.core.InMemoryStateStore;
import dev.cicd.core.InMemoryTriggerSource;
import dev.cicd.core.Outcome;
import dev.cicd.core.PebbleRenderer;
import dev.cicd.core.Pipeline;
import dev.cicd.core.WatchSpec;
import dev.cicd.runner.RunnerConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Notifications as a pipeline sink: a webhook that never answers holds back no outcome. */
class PipelineNotifyTest {

    @TempDir
    Path dir;

    @Test
    void aWebhookThatNeverAnswersDelaysNoOutcomeOfTheSameTarget() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (HookServer hook = new HookServer(n -> 0)) { // holds every request until released
            Files.writeString(dir.resolve("t.peb"), "true\n");
            Path f = dir.resolve("cicd.yaml");
            Files.writeString(f, """
                    watches:
                      - {name: w, prefix: /w, keys: [/k], template: t.peb, action: shell}
                    notify:
                      - {type: webhook, name: hang, url: "%s", timeout: 2m, retry: {attempts: 3}}
                    """.formatted(hook.url("/")));
            RunnerConfig config = RunnerConfig.load(f, Map.of());
            InMemoryTriggerSource source = new InMemoryTriggerSource();
            InMemoryStateStore state = new InMemoryStateStore();
            try (Notifications notifications = Notifications.create(config, registry, Map.of(), Duration.ofMillis(200));
                 Pipeline p = Pipeline.builder().source(source).state(state).sink(notifications).workDir(dir)
                         .renderer(PebbleRenderer.builder().template("t", "{{ value }}").build())
                         .action("a", (plan, ctx) -> ActionResult.applied(""))
                         .watch(WatchSpec.builder("w").prefix("/w").key("/k").template("t").action("a").dedupe(false)
                                 .build())
                         .build()) {
                p.start();
                source.put("/w/k", "v1");
                source.put("/w/k", "v2");
                source.put("/w/k", "v3");
                for (long deadline = System.nanoTime() + 30_000_000_000L; state.outcomes().size() < 3
                        && System.nanoTime() < deadline; ) {
                    Thread.sleep(10);
                }
                assertEquals(List.of(Outcome.Kind.APPLIED, Outcome.Kind.APPLIED, Outcome.Kind.APPLIED),
                        state.outcomes().stream().map(Outcome::kind).toList(),
                        "three outcomes of one target recorded one after the other");
                HookServer.Received first = hook.next(Duration.ofSeconds(20));
                assertNotNull(first, "the first notification was sent");
                assertEquals(1, hook.count(), "and is still unanswered: the others wait in the sink's queue");
                assertEquals(0.0, registry.get("cicd.notifications").tag("sink", "hang").tag("result", "sent")
                        .counter().count());
                JsonNode body = new ObjectMapper().readTree(first.body());
                assertEquals(List.of("/w/k"), List.of(body.get("targets").get(0).asText()), "the plan's targets");
                assertEquals("applied", body.get("outcome").asText());
            }
        }
    }
}
