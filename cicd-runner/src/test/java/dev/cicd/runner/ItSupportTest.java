package dev.cicd.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cicd.k8s.OnFailure;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The acceptance tests' config is the recipe's (examples/recipe.yaml) on the fixtures. */
class ItSupportTest {

    @TempDir
    Path dir;

    @Test
    void recipeConfigHasTheRecipesRolloutAndUndoWatchesOnTheFixturesAndTakesAnAppendedWatch() throws Exception {
        Path kubeconfig = Files.writeString(dir.resolve("kubeconfig"), "");
        String yaml = ItSupport.recipeConfig("http://127.0.0.1:23790", kubeconfig, dir.resolve("logs"), 9999) + """
                  - name: script
                    prefix: /cicd/script
                    keys: [/trigger]
                    template: script.peb
                    action: shell
                """;
        Files.writeString(dir.resolve("script.peb"), "echo hi\n");
        Path config = Files.writeString(dir.resolve("cicd.yaml"), yaml);
        RunnerConfig c = RunnerConfig.load(config, Map.of());
        RunnerConfig recipe = RunnerConfig.load(Path.of("..", "examples", "recipe.yaml"), Map.of());

        assertEquals(List.of("rollout", "undo", "script"), c.watches().stream().map(WatchConfig::name).toList(), yaml);
        for (String name : List.of("rollout", "undo")) {
            WatchConfig w = c.watch(name).orElseThrow();
            WatchConfig r = recipe.watch(name).orElseThrow();
            assertEquals(r.fullKeys(), w.fullKeys());
            assertEquals(r.template(), w.template());
            assertEquals(r.allowedNamespaces(), w.allowedNamespaces());
        }
        assertEquals(OnFailure.NONE, c.watch("rollout").orElseThrow().onFailure());
        assertEquals(List.of("http://127.0.0.1:23790"), c.etcd().endpoints());
        assertEquals(ItSupport.REGISTRY, c.registry());
        assertEquals("it", c.runner().group());
        assertTrue(yaml.contains("\n  - name: rollout\n"), yaml);
    }
}
