package dev.cicd.runner.internal.wiring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cicd.core.Plan;
import dev.cicd.core.PebbleRenderer;
import dev.cicd.core.TriggerEvent;
import dev.cicd.core.WatchSpec;
import dev.cicd.runner.RunnerConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WiringTest {

    static final String PAYLOAD = "{\"action\":\"deploy\",\"k8sNamespace\":\"ns-demo1-dev\",\"appName\":\"demo1\","
            + "\"svcName\":\"gateway\",\"imageTag\":\"v1\"}";

    @TempDir
    Path dir;

    RunnerConfig config() throws Exception {
        Files.writeString(dir.resolve("script.peb"), "{# a comment #}\necho {{ registry | sh }} {{ data.imageTag | sh }}\n");
        Path f = dir.resolve("cicd.yaml");
        Files.writeString(f, """
                registry: reg.example.com:5000/team
                watches:
                  - {name: rollout, prefix: /cicd/rollout, keys: [/trigger], template: "builtin:k8s-rollout",
                     action: kubernetes, allowedNamespaces: [ns-demo1-dev], timeout: 90s}
                  - {name: undo, prefix: /cicd/undo, keys: [/trigger], template: "builtin:k8s-undo",
                     action: kubernetes, allowedNamespaces: [ns-demo1-dev]}
                  - {name: script, prefix: /cicd/script, keys: [/trigger], template: script.peb, action: shell, dedupe: false,
                     target: "{{ data.k8sNamespace }}/{{ data.appName }}", coalesce: latest, maxValueBytes: 4096}
                """);
        return RunnerConfig.load(f, Map.of());
    }

    Plan render(RunnerConfig c, String watch) {
        PebbleRenderer r = Wiring.renderer(c);
        WatchSpec spec = Wiring.watchSpecs(c).stream().filter(w -> w.name().equals(watch)).findFirst().orElseThrow();
        String key = spec.fullKeys().get(0);
        return r.render(spec, TriggerEvent.put(watch, key, PAYLOAD, 9), new TreeMap<>(Map.of("/trigger", PAYLOAD)));
    }

    @Test
    void getenvAndLookupsReachOnlyWhatTheTemplatesKeyAllows() throws Exception {
        Files.writeString(dir.resolve("env.peb"), "{{ getenv('PATH') | length > 0 }} {{ lookupIP('localhost') | length > 0 }}");
        Path f = dir.resolve("env.yaml");
        Files.writeString(f, """
                templates:
                  allowEnv: [PATH]
                  allowLookup: [localhost]
                watches:
                  - {name: script, prefix: /cicd/script, keys: [/trigger], template: env.peb, action: shell}
                """);
        RunnerConfig c = RunnerConfig.load(f, Map.of());
        assertEquals(List.of("PATH"), c.templates().allowEnv());
        assertEquals(List.of("HOME", "USER"), RunnerConfig.load(f, Map.of("CICD_TEMPLATES_ALLOW_ENV", "HOME,USER")).templates().allowEnv());
        assertEquals("true true", render(c, "script").text());

        Files.writeString(f, "watches:\n  - {name: script, prefix: /cicd/script, keys: [/trigger], template: env.peb, action: shell}\n");
        dev.cicd.core.CicdException e = org.junit.jupiter.api.Assertions.assertThrows(dev.cicd.core.CicdException.class,
                () -> render(RunnerConfig.load(f, Map.of()), "script"));
        assertTrue(e.getMessage().contains("getenv: environment variable 'PATH' is not on the allow-list []"), e.getMessage());
    }

    @Test
    void builtinRolloutTemplateUsesTheConfiguredRegistry() throws Exception {
        String plan = render(config(), "rollout").text();
        assertTrue(plan.contains("image: \"reg.example.com:5000/team/demo1-gateway:v1\""), plan);
        assertTrue(plan.contains("deployment: \"demo1-gateway\""), plan);
    }

    @Test
    void builtinUndoTemplateRendersItsSteps() throws Exception {
        String plan = render(config(), "undo").text();
        assertTrue(plan.contains("rolloutUndo: {namespace: \"ns-demo1-dev\", deployment: \"demo1-gateway\"}"), plan);
    }

    @Test
    void fileTemplatesSeeTheRegistryVariableAndKeepTheirLineNumbers() throws Exception {
        RunnerConfig c = config();
        assertEquals("\necho 'reg.example.com:5000/team' 'v1'\n", render(c, "script").text());
        assertTrue(Wiring.templateSource(c, c.watch("script").orElseThrow()).lines().count() == 2);
    }

    @Test
    void watchSpecsCarryTheWatchSettingsAndNameTheirOwnAction() throws Exception {
        List<WatchSpec> specs = Wiring.watchSpecs(config());
        WatchSpec rollout = specs.get(0);
        assertEquals("rollout", rollout.action());
        assertEquals(java.time.Duration.ofSeconds(90), rollout.timeout());
        assertEquals(List.of("/cicd/rollout/trigger"), rollout.fullKeys());
        assertEquals(false, specs.get(2).dedupe());
        assertEquals("watch/script.peb", specs.get(2).template());
        assertEquals(java.util.Optional.empty(), rollout.target());
        assertEquals(WatchSpec.Coalesce.NONE, rollout.coalesce());
        assertEquals(java.util.Optional.of("{{ data.k8sNamespace }}/{{ data.appName }}"), specs.get(2).target());
        assertEquals(WatchSpec.Coalesce.LATEST, specs.get(2).coalesce());
        assertEquals(4096, specs.get(2).maxValueBytes());
        assertEquals(WatchSpec.DEFAULT_MAX_VALUE_BYTES, rollout.maxValueBytes());
    }
}
