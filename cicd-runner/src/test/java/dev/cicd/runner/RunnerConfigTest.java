package dev.cicd.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cicd.core.WatchSpec.Coalesce;
import dev.cicd.k8s.OnFailure;
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

class RunnerConfigTest {

    static final String BASE = """
            etcd:
              endpoints: [http://127.0.0.1:2379]
            registry: registry.example.com/ns-demo
            runner:
              group: demo
              httpPort: 8080
            watches:
              - name: rollout
                prefix: /cicd/rollout
                keys: [/trigger]
                template: builtin:k8s-rollout
                action: kubernetes
                allowedNamespaces: [ns-demo1-dev]
              - name: deploy-script
                prefix: /cicd/script
                keys: [/trigger]
                template: script.peb
                action:
                  shell:
                    command: [bash, "{plan}"]
                    timeout: 2m
            """;

    @TempDir
    Path dir;

    Path write(String yaml) throws IOException {
        Files.writeString(dir.resolve("script.peb"), "echo {{ data.imageTag | sh }}\n");
        Path f = dir.resolve("cicd.yaml");
        Files.writeString(f, yaml);
        return f;
    }

    RunnerConfig load(String yaml, Map<String, String> env) throws IOException {
        return RunnerConfig.load(write(yaml), env);
    }

    String error(String yaml) throws IOException {
        return error(yaml, Map.of());
    }

    String error(String yaml, Map<String, String> env) throws IOException {
        Path f = write(yaml);
        ConfigException e = assertThrows(ConfigException.class, () -> RunnerConfig.load(f, env));
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        return e.getMessage();
    }

    @Test
    void loadsAFileAndAppliesDefaults() throws IOException {
        RunnerConfig c = load(BASE, Map.of());
        assertEquals(List.of("http://127.0.0.1:2379"), c.etcd().endpoints());
        assertEquals("", c.etcd().user());
        assertFalse(c.etcd().tls().enabled());
        assertEquals("registry.example.com/ns-demo", c.registry());
        assertEquals("demo", c.runner().group());
        assertEquals(16, c.runner().parallelism());
        assertEquals(8080, c.runner().httpPort());
        assertEquals("127.0.0.1", c.runner().httpHost());
        assertEquals(Duration.ofSeconds(10), c.runner().electionTtl());
        assertEquals(Duration.ofDays(7), c.runner().logRetention().maxAge());
        assertEquals(1000, c.runner().logRetention().maxFiles());
        assertEquals(Duration.ofDays(7), c.runner().statusRetention().maxAge());
        assertEquals(1000, c.runner().statusRetention().maxPerWatch());
        assertEquals("/cicd/.state", c.runner().statePrefix());
        assertEquals("/cicd/.status", c.runner().statusPrefix());
        assertEquals(dir.resolve("logs").toString(), c.runner().logDir());
        assertEquals("", c.runner().workDir());
        assertFalse(c.runner().id().isBlank());
        assertEquals(Duration.ofSeconds(30), c.kubernetes().requestTimeout());

        WatchConfig rollout = c.watch("rollout").orElseThrow();
        assertEquals("/cicd/rollout", rollout.prefix());
        assertEquals(List.of("/cicd/rollout/trigger"), rollout.fullKeys());
        assertTrue(rollout.action().isKubernetes());
        assertEquals("k8s-rollout", rollout.builtinTemplateName().orElseThrow());
        assertTrue(rollout.dedupe());
        assertEquals(Duration.ofMinutes(5), rollout.timeout());
        assertEquals(OnFailure.NONE, rollout.onFailure());
        assertEquals("", rollout.target());
        assertEquals(Coalesce.NONE, rollout.coalesce());

        WatchConfig script = c.watch("deploy-script").orElseThrow();
        assertTrue(script.action().isShell());
        assertEquals(List.of("bash", "{plan}"), script.action().shell().command());
        assertEquals(Duration.ofMinutes(2), script.effectiveTimeout());
        assertEquals(dir.resolve("script.peb"), script.templateFile().orElseThrow());
    }

    @Test
    void parallelismTargetAndCoalesceAreRead() throws IOException {
        RunnerConfig c = load(BASE.replace("  group: demo\n", "  group: demo\n  parallelism: 4\n").replace(
                "    template: script.peb\n", """
                    template: script.peb
                    target: "{{ data.k8sNamespace }}/{{ data.appName }}-{{ data.svcName }}"
                    coalesce: Latest
                """), Map.of());
        assertEquals(4, c.runner().parallelism());
        WatchConfig script = c.watch("deploy-script").orElseThrow();
        assertEquals("{{ data.k8sNamespace }}/{{ data.appName }}-{{ data.svcName }}", script.target());
        assertEquals(Coalesce.LATEST, script.coalesce());
    }

    @Test
    void shorthandShellActionRunsThePlanWithBash() throws IOException {
        RunnerConfig c = load(BASE.replace("""
                    action:
                      shell:
                        command: [bash, "{plan}"]
                        timeout: 2m
                """, "    action: shell\n    timeout: 45s\n"), Map.of());
        WatchConfig w = c.watch("deploy-script").orElseThrow();
        assertEquals(List.of("bash", "-eu", "-o", "pipefail", "{plan}"), w.action().shell().command());
        assertEquals(Duration.ofSeconds(45), w.effectiveTimeout());
    }

    @Test
    void environmentOverridesSectionAndWatchKeys() throws IOException {
        RunnerConfig c = load(BASE, Map.ofEntries(
                Map.entry("CICD_ETCD_ENDPOINTS", "http://10.0.0.1:2379, http://10.0.0.2:2379"),
                Map.entry("CICD_ETCD_USER", "root"),
                Map.entry("CICD_ETCD_PASSWORD", "secret"),
                Map.entry("CICD_REGISTRY", "reg.local:5000/team"),
                Map.entry("CICD_RUNNER_GROUP", "prod"),
                Map.entry("CICD_RUNNER_HTTP_PORT", "9464"),
                Map.entry("CICD_RUNNER_LOG_RETENTION_MAX_AGE", "10m"),
                Map.entry("CICD_RUNNER_LOG_RETENTION_MAX_FILES", "5"),
                Map.entry("CICD_RUNNER_STATUS_RETENTION_MAX_AGE", "2d"),
                Map.entry("CICD_RUNNER_STATUS_RETENTION_MAX_PER_WATCH", "250"),
                Map.entry("CICD_RUNNER_ELECTION_TTL", "3s"),
                Map.entry("CICD_RUNNER_WORK_DIR", "work"),
                Map.entry("CICD_RUNNER_PARALLELISM", "3"),
                Map.entry("CICD_KUBERNETES_REQUEST_TIMEOUT", "5s"),
                Map.entry("CICD_WATCHES_ROLLOUT_ALLOWED_NAMESPACES", "ns-a,ns-b"),
                Map.entry("CICD_WATCHES_ROLLOUT_ON_FAILURE", "undo"),
                Map.entry("CICD_WATCHES_ROLLOUT_DEDUPE", "false"),
                Map.entry("CICD_WATCHES_DEPLOY_SCRIPT_ACTION_SHELL_TIMEOUT", "90s"),
                Map.entry("CICD_WATCHES_DEPLOY_SCRIPT_ACTION_SHELL_COMMAND", "sh,{plan}"),
                Map.entry("CICD_WATCHES_DEPLOY_SCRIPT_TARGET", "{{ data.appName }}"),
                Map.entry("CICD_WATCHES_DEPLOY_SCRIPT_COALESCE", "latest"),
                Map.entry("OTHER_VARIABLE", "ignored"),
                Map.entry("CICD_UNRELATED_TOOL_SETTING", "ignored")));
        assertEquals(List.of("http://10.0.0.1:2379", "http://10.0.0.2:2379"), c.etcd().endpoints());
        assertEquals("root", c.etcd().user());
        assertEquals("secret", c.etcd().password());
        assertFalse(c.etcd().toString().contains("secret"), "password is not printed");
        assertEquals("reg.local:5000/team", c.registry());
        assertEquals("prod", c.runner().group());
        assertEquals(9464, c.runner().httpPort());
        assertEquals(Duration.ofMinutes(10), c.runner().logRetention().maxAge());
        assertEquals(5, c.runner().logRetention().maxFiles());
        assertEquals(Duration.ofDays(2), c.runner().statusRetention().maxAge());
        assertEquals(250, c.runner().statusRetention().maxPerWatch());
        assertEquals(Duration.ofSeconds(3), c.runner().electionTtl());
        assertEquals(dir.resolve("work").toString(), c.runner().workDir());
        assertEquals(3, c.runner().parallelism());
        assertEquals(Duration.ofSeconds(5), c.kubernetes().requestTimeout());
        WatchConfig rollout = c.watch("rollout").orElseThrow();
        assertEquals(List.of("ns-a", "ns-b"), rollout.allowedNamespaces());
        assertEquals(OnFailure.UNDO, rollout.onFailure());
        assertFalse(rollout.dedupe());
        WatchConfig script = c.watch("deploy-script").orElseThrow();
        assertEquals(Duration.ofSeconds(90), script.effectiveTimeout());
        assertEquals(List.of("sh", "{plan}"), script.action().shell().command());
        assertEquals("{{ data.appName }}", script.target());
        assertEquals(Coalesce.LATEST, script.coalesce());
    }

    @Test
    void environmentCanSwitchAWatchsActionAndFillAMissingSection() throws IOException {
        RunnerConfig c = load(BASE.replace("etcd:\n  endpoints: [http://127.0.0.1:2379]\n", ""),
                Map.of("CICD_WATCHES_DEPLOY_SCRIPT_ACTION", "shell", "CICD_ETCD_TLS_CA", "script.peb",
                        "CICD_ETCD_ENDPOINTS", "https://etcd.example:2379"));
        assertTrue(c.watch("deploy-script").orElseThrow().action().isShell());
        assertEquals(dir.resolve("script.peb").toString(), c.etcd().tls().ca());
    }

    @Test
    void everyKeyHasAnEnvironmentVariable() throws IOException {
        RunnerConfig c = load(BASE, Map.of());
        List<String> vars = c.environmentVariables().stream().map(Map.Entry::getKey).toList();
        for (String v : List.of("CICD_ETCD_ENDPOINTS", "CICD_ETCD_USER", "CICD_ETCD_PASSWORD", "CICD_ETCD_TLS_CA",
                "CICD_ETCD_TLS_CERT", "CICD_ETCD_TLS_KEY", "CICD_KUBERNETES_KUBECONFIG", "CICD_KUBERNETES_CONTEXT",
                "CICD_KUBERNETES_IN_CLUSTER", "CICD_KUBERNETES_URL", "CICD_KUBERNETES_TOKEN",
                "CICD_KUBERNETES_REQUEST_TIMEOUT", "CICD_REGISTRY", "CICD_RUNNER_ID", "CICD_RUNNER_GROUP",
                "CICD_RUNNER_LOG_DIR", "CICD_RUNNER_WORK_DIR", "CICD_RUNNER_LOG_RETENTION_MAX_AGE", "CICD_RUNNER_LOG_RETENTION_MAX_FILES",
                "CICD_RUNNER_STATUS_RETENTION_MAX_AGE", "CICD_RUNNER_STATUS_RETENTION_MAX_PER_WATCH",
                "CICD_RUNNER_STATE_PREFIX", "CICD_RUNNER_STATUS_PREFIX", "CICD_RUNNER_HTTP_HOST",
                "CICD_RUNNER_HTTP_PORT", "CICD_RUNNER_ELECTION_TTL", "CICD_RUNNER_PARALLELISM",
                "CICD_WATCHES_ROLLOUT_TARGET", "CICD_WATCHES_ROLLOUT_COALESCE",
                "CICD_WATCHES_ROLLOUT_PREFIX", "CICD_WATCHES_ROLLOUT_KEYS", "CICD_WATCHES_ROLLOUT_TEMPLATE",
                "CICD_WATCHES_ROLLOUT_ACTION", "CICD_WATCHES_ROLLOUT_ACTION_SHELL_COMMAND",
                "CICD_WATCHES_ROLLOUT_ACTION_SHELL_TIMEOUT", "CICD_WATCHES_ROLLOUT_DEDUPE",
                "CICD_WATCHES_ROLLOUT_TIMEOUT", "CICD_WATCHES_ROLLOUT_ALLOWED_NAMESPACES",
                "CICD_WATCHES_ROLLOUT_ALLOWED_DEPLOYMENTS", "CICD_WATCHES_ROLLOUT_ALLOWED_REGISTRIES",
                "CICD_WATCHES_ROLLOUT_ON_FAILURE", "CICD_WATCHES_DEPLOY_SCRIPT_PREFIX")) {
            assertTrue(vars.contains(v), v + " in " + vars);
        }
    }

    @Test
    void readmeDocumentsEveryKeysEnvironmentVariable() throws IOException {
        // the config reference lives in the root README (the module's README points there)
        String readme = Files.readString(Path.of("..", "README.md"));
        for (Map.Entry<String, String> e : dev.cicd.runner.internal.config.EnvironmentOverrides.environmentVariableTemplate()) {
            assertTrue(readme.contains("`" + e.getKey() + "`"), e.getKey() + " (" + e.getValue() + ") is in the root README.md");
        }
    }

    @Test
    void unknownKeyNamesTheKeyTheFileAndTheLine() throws IOException {
        String msg = error(BASE.replace("  httpPort: 8080\n", "  httpPort: 8080\n  logdir: /tmp\n"));
        assertTrue(msg.startsWith(dir.resolve("cicd.yaml") + ":7: unknown key 'runner.logdir'"), msg);
        assertTrue(msg.contains("did you mean 'logDir'?"), msg);
    }

    @Test
    void unknownKeyInAWatchNamesItsIndex() throws IOException {
        String msg = error(BASE.replace("    allowedNamespaces: [ns-demo1-dev]\n",
                "    allowedNamespaces: [ns-demo1-dev]\n    allowedNamespace: [x]\n"));
        assertTrue(msg.contains("cicd.yaml:14: unknown key 'watches[0].allowedNamespace'"), msg);
    }

    @Test
    void unknownTopLevelSection() throws IOException {
        String msg = error("kubernets: {}\n" + BASE);
        assertTrue(msg.contains("cicd.yaml:1: unknown key 'kubernets'; did you mean 'kubernetes'?"), msg);
    }

    static Stream<Arguments> invalidValues() {
        return Stream.of(
                Arguments.of("  httpPort: 8080\n", "  httpPort: 70000\n", ":6: runner.httpPort: must be between 0 (off) and 65535, was 70000"),
                Arguments.of("  httpPort: 8080\n", "  httpPort: eighty\n", ":6: runner.httpPort: 'eighty' is not a whole number"),
                Arguments.of("  group: demo\n", "  group: Demo_Group\n", ":5: runner.group: 'Demo_Group' must be a DNS-1123 label"),
                Arguments.of("  group: demo\n", "  group: demo\n  electionTtl: 1500ms\n", ":6: runner.electionTtl: must be whole seconds"),
                Arguments.of("  group: demo\n", "  group: demo\n  statePrefix: cicd\n", ":6: runner.statePrefix: must start with '/'"),
                Arguments.of("  group: demo\n", "  group: demo\n  logRetention: {maxAge: soon}\n", ":6: runner.logRetention.maxAge: 'soon' is not a duration"),
                Arguments.of("  group: demo\n", "  group: demo\n  logRetention: {maxFiles: 0}\n", ":6: runner.logRetention.maxFiles: must be at least 1"),
                Arguments.of("  group: demo\n", "  group: demo\n  statusRetention: {maxPerWatch: 0}\n", ":6: runner.statusRetention.maxPerWatch: must be at least 1, was 0"),
                Arguments.of("  group: demo\n", "  group: demo\n  statusRetention: {maxAge: 5s}\n", ":6: runner.statusRetention.maxAge: must be at least 10s, was PT5S"),
                Arguments.of("  group: demo\n", "  group: demo\n  statusRetention: {maxAge: later}\n", ":6: runner.statusRetention.maxAge: 'later' is not a duration"),
                Arguments.of("  group: demo\n", "  group: demo\n  parallelism: 0\n", ":6: runner.parallelism: must be at least 1, was 0"),
                Arguments.of("  group: demo\n", "  group: demo\n  logFormat: jsn\n", ":6: runner.logFormat: must be text or json, was 'jsn'; did you mean 'json'?"),
                Arguments.of("  group: demo\n", "  group: demo\n  parallelism: many\n", ":6: runner.parallelism: 'many' is not a whole number"),
                Arguments.of("    template: script.peb\n", "    template: script.peb\n    coalesce: lastest\n",
                        ":18: watches[1].coalesce: must be none or latest, was 'lastest'; did you mean 'latest'?"),
                Arguments.of("    template: script.peb\n", "    template: script.peb\n    coalesce: [latest]\n", ":18: watches[1].coalesce: expected none or latest"),
                Arguments.of("    template: script.peb\n", "    template: script.peb\n    target: '{{ data.appName }'\n",
                        ":18: watches[1].target: '{{ data.appName }' is not a template expression: its {{ and }} do not pair up"),
                Arguments.of("  endpoints: [http://127.0.0.1:2379]\n", "  endpoints: [localhost]\n", ":2: etcd.endpoints: 'localhost' must be an http:// or https:// URL"),
                Arguments.of("  endpoints: [http://127.0.0.1:2379]\n", "  endpoints: [http://127.0.0.1:2379]\n  password: x\n", "etcd.user: a password is set but no user"),
                Arguments.of("  endpoints: [http://127.0.0.1:2379]\n", "  endpoints: [http://127.0.0.1:2379]\n  tls: {cert: a.pem}\n", ":3: etcd.tls.key: cert and key must be set together"),
                Arguments.of("  endpoints: [http://127.0.0.1:2379]\n", "  endpoints: [http://127.0.0.1:2379]\n  tls: {ca: script.peb}\n", "etcd.endpoints: tls is configured but an endpoint uses http://"),
                Arguments.of("  endpoints: [http://127.0.0.1:2379]\n", "  endpoints: [https://127.0.0.1:2379]\n  tls: {ca: missing-ca.pem}\n", ":3: etcd.tls.ca: file " ),
                Arguments.of("registry: registry.example.com/ns-demo\n", "registry: 'Registry Example'\n", ":3: registry: 'Registry Example' is not a registry prefix"),
                Arguments.of("registry: registry.example.com/ns-demo\n", "registry: r.io\nkubernetes: {inCluster: true, url: 'https://k:6443'}\n", ":4: kubernetes.inCluster: choose one of kubeconfig, inCluster and url"),
                Arguments.of("registry: registry.example.com/ns-demo\n", "registry: r.io\nkubernetes: {token: abc}\n", ":4: kubernetes.token: a token needs url"),
                Arguments.of("registry: registry.example.com/ns-demo\n", "registry: r.io\nkubernetes: {kubeconfig: nope.yaml}\n", ":4: kubernetes.kubeconfig: file "),
                Arguments.of("  - name: rollout\n", "  - name: Rollout!\n", ":8: watches[0].name: 'Rollout!' must be 1-63 characters"),
                Arguments.of("    prefix: /cicd/rollout\n", "", ":8: watches[0].prefix: is required"),
                Arguments.of("    prefix: /cicd/rollout\n", "    prefix: cicd/rollout\n", ":9: watches[0].prefix: must start with '/'"),
                Arguments.of("    keys: [/trigger]\n    template: builtin:k8s-rollout\n", "    keys: [trigger]\n    template: builtin:k8s-rollout\n", ":10: watches[0].keys: each key must start with '/'"),
                Arguments.of("    template: builtin:k8s-rollout\n", "    template: builtin:k8s-rollback\n", ":11: watches[0].template: no built-in template 'k8s-rollback'"),
                Arguments.of("    template: script.peb\n", "    template: templates/missing.peb\n", ":17: watches[1].template: file "),
                Arguments.of("    template: builtin:k8s-rollout\n", "    template: k8s-rollout.peb\n", ":11: watches[0].template: file "),
                Arguments.of("    template: builtin:k8s-rollout\n", "    template: k8s-rollout.peb\n", "not found; did you mean builtin:k8s-rollout?"),
                Arguments.of("    template: builtin:k8s-rollout\n", "", ":8: watches[0].template: is required"),
                Arguments.of("    action: kubernetes\n", "", ":8: watches[0].action: is required"),
                Arguments.of("    action: kubernetes\n", "    action: kubectl\n", ":12: watches[0].action: must be kubernetes or shell, was 'kubectl'"),
                Arguments.of("    allowedNamespaces: [ns-demo1-dev]\n", "", ":8: watches[0].allowedNamespaces: a kubernetes watch must list the namespaces"),
                Arguments.of("    allowedNamespaces: [ns-demo1-dev]\n", "    allowedNamespaces: [NS_1]\n", ":13: watches[0].allowedNamespaces: 'NS_1' is not a DNS-1123 label"),
                Arguments.of("    allowedNamespaces: [ns-demo1-dev]\n", "    allowedNamespaces: [ns-demo1-dev]\n    onFailure: retry\n", ":14: watches[0].onFailure: must be none or undo, was 'retry'"),
                Arguments.of("    allowedNamespaces: [ns-demo1-dev]\n", "    allowedNamespaces: [ns-demo1-dev]\n    timeout: 0s\n", ":14: watches[0].timeout: must be positive"),
                Arguments.of("        timeout: 2m\n", "        timeout: 2m\n    allowedNamespaces: [a]\n", ":22: watches[1].allowedNamespaces: applies to kubernetes actions only"),
                Arguments.of("    prefix: /cicd/script\n", "    prefix: /cicd/rollout\n", "watches[1].keys: watches 'rollout' and 'deploy-script' both watch /cicd/rollout/trigger"),
                Arguments.of("  - name: deploy-script\n", "  - name: rollout\n", "watches[1].name: 'rollout' is used by two watches"),
                Arguments.of("    template: script.peb\n", "    template: builtin:k8s-rollout\n", ":17: watches[1].template: builtin:k8s-rollout renders kubernetes steps; it needs action: kubernetes"),
                Arguments.of("registry: registry.example.com/ns-demo\n", "", ":10: watches[0].template: builtin:k8s-rollout builds the image from registry; set registry"),
                Arguments.of("    template: builtin:k8s-rollout\n", "    template: builtin:confd-rollout\n", ":11: watches[0].template: builtin:confd-rollout renders a shell script; it needs action: shell"),
                Arguments.of("    allowedNamespaces: [ns-demo1-dev]\n", "    allowedNamespaces: [ns-demo1-dev]\n    allowedRegistries: [registry.example.com/ns-demo]\n", ":14: watches[0].allowedRegistries: 'registry.example.com/ns-demo' is not a registry host"),
                Arguments.of("    allowedNamespaces: [ns-demo1-dev]\n", "    allowedNamespaces: [ns-demo1-dev]\n    allowedDeployments: [ns-demo1-dev/Demo]\n", ":14: watches[0].allowedDeployments: 'ns-demo1-dev/Demo' is not a deployment name or namespace/name"),
                Arguments.of("    template: builtin:k8s-rollout\n", "    template: builtin:k8s-apply\n", ":11: watches[0].template: builtin:k8s-apply applies a directory below the manifest root; set watches[].manifestRoot (or CICD_WATCHES_ROLLOUT_MANIFEST_ROOT)"),
                Arguments.of("    allowedNamespaces: [ns-demo1-dev]\n", "    allowedNamespaces: [ns-demo1-dev]\n    manifestRoot: no-such-dir\n", ":14: watches[0].manifestRoot: directory "),
                Arguments.of("    allowedNamespaces: [ns-demo1-dev]\n", "    allowedNamespaces: [ns-demo1-dev]\n    allowedKinds: [clusterroles]\n", ":14: watches[0].allowedKinds: 'clusterroles' is not a kind like ClusterRole"),
                Arguments.of("        timeout: 2m\n", "        timeout: 2m\n    manifestRoot: m\n", ":22: watches[1].manifestRoot: applies to kubernetes actions only"),
                Arguments.of("  httpPort: 8080\n", "  httpPort: 8080\n  httpPort: 9090\n", ":7: not valid YAML: Duplicate field 'httpPort'"),
                Arguments.of("  httpPort: 8080\n", "  httpPort: [8080\n", "not valid YAML"));
    }

    @ParameterizedTest
    @MethodSource("invalidValues")
    void invalidValueNamesTheKeyAndLine(String from, String to, String expected) throws IOException {
        assertTrue(BASE.contains(from), from);
        String msg = error(BASE.replace(from, to));
        assertTrue(msg.contains(expected), "expected '" + expected + "' in: " + msg);
        assertTrue(msg.contains("cicd.yaml"), msg);
    }

    @Test
    void manifestRootIsADirectoryRelativeToTheConfigFileAndAllowedKindsAreKept() throws IOException {
        Files.createDirectories(dir.resolve("manifests/ns-demo1-dev"));
        RunnerConfig c = load(BASE.replace("    allowedNamespaces: [ns-demo1-dev]\n",
                "    allowedNamespaces: [ns-demo1-dev]\n    manifestRoot: manifests\n    allowedKinds: [ClusterRole]\n"), Map.of());
        WatchConfig w = c.watch("rollout").orElseThrow();
        assertEquals(dir.resolve("manifests").toString(), w.manifestRoot());
        assertEquals(List.of("ClusterRole"), w.allowedKinds());
        assertEquals("", c.watch("deploy-script").orElseThrow().manifestRoot(), "none by default");

        RunnerConfig env = load(BASE, Map.of("CICD_WATCHES_ROLLOUT_MANIFEST_ROOT", "manifests/ns-demo1-dev",
                "CICD_WATCHES_ROLLOUT_ALLOWED_KINDS", "ClusterRole,StorageClass"));
        assertEquals(dir.resolve("manifests/ns-demo1-dev").toString(), env.watch("rollout").orElseThrow().manifestRoot());
        assertEquals(List.of("ClusterRole", "StorageClass"), env.watch("rollout").orElseThrow().allowedKinds());
    }

    @Test
    void noWatchesIsAnError() throws IOException {
        String msg = error("runner: {group: demo}\n");
        assertTrue(msg.contains("cicd.yaml: watches: at least one watch is required"), msg);
    }

    @Test
    void emptyFileIsAnError() throws IOException {
        assertTrue(error("").contains("the file is empty"));
    }

    @Test
    void missingFileNamesTheFile() {
        ConfigException e = assertThrows(ConfigException.class, () -> RunnerConfig.load(dir.resolve("nope.yaml"), Map.of()));
        assertEquals("config file " + dir.resolve("nope.yaml") + " not found", e.getMessage());
    }

    @Test
    void badEnvironmentValueNamesTheVariable() throws IOException {
        String msg = error(BASE, Map.of("CICD_RUNNER_HTTP_PORT", "99999"));
        assertTrue(msg.startsWith("CICD_RUNNER_HTTP_PORT (environment override of runner.httpPort in "), msg);
        assertTrue(msg.endsWith("runner.httpPort: must be between 0 (off) and 65535, was 99999"), msg);
        msg = error(BASE, Map.of("CICD_WATCHES_ROLLOUT_TIMEOUT", "forever"));
        assertTrue(msg.startsWith("CICD_WATCHES_ROLLOUT_TIMEOUT (environment override of watches[0].timeout"), msg);
        msg = error(BASE, Map.of("CICD_WATCHES_ROLLOUT_COALESCE", "newest"));
        assertTrue(msg.startsWith("CICD_WATCHES_ROLLOUT_COALESCE (environment override of watches[0].coalesce in "), msg);
        assertTrue(msg.endsWith("watches[0].coalesce: must be none or latest, was 'newest'"), msg);
        msg = error(BASE, Map.of("CICD_WATCHES_ROLLOUT_ACTION", "helm"));
        assertTrue(msg.startsWith("CICD_WATCHES_ROLLOUT_ACTION (environment override"), msg);
        assertTrue(msg.contains("must be kubernetes or shell, was 'helm'"), msg);
    }

    @Test
    void unknownEnvironmentVariableInAConfigSectionIsAnError() throws IOException {
        String msg = error(BASE, Map.of("CICD_RUNNER_LOGDIR", "/tmp"));
        assertTrue(msg.startsWith("CICD_RUNNER_LOGDIR is not a config override"), msg);
        assertTrue(msg.contains("CICD_RUNNER_LOG_DIR"), msg);
        msg = error(BASE, Map.of("CICD_WATCHES_ROLLBACK_PREFIX", "/x"));
        assertTrue(msg.startsWith("CICD_WATCHES_ROLLBACK_PREFIX names no watch key"), msg);
        assertTrue(msg.contains("ROLLOUT") && msg.contains("DEPLOY_SCRIPT"), msg);
    }

    @Test
    void recipeExampleLoadsWithTheRecipesApplyAndTwoWatches() {
        Path recipe = Path.of("..", "examples", "recipe.yaml");
        RunnerConfig c = RunnerConfig.load(recipe, Map.of());
        assertEquals(List.of("deploy", "rollout", "undo"), c.watches().stream().map(WatchConfig::name).toList());
        WatchConfig deploy = c.watch("deploy").orElseThrow();
        assertEquals("k8s-apply", deploy.builtinTemplateName().orElseThrow());
        assertEquals(recipe.toAbsolutePath().getParent().resolve("manifests").normalize(),
                Path.of(deploy.manifestRoot()).toAbsolutePath().normalize());
        assertTrue(Files.isRegularFile(Path.of(deploy.manifestRoot(), "ns-demo1-dev", "demoproject", "deployment.yaml")));
        assertEquals(List.of("/cicd/rollout/trigger"), c.watch("rollout").orElseThrow().fullKeys());
        assertEquals(List.of("/cicd/undo/trigger"), c.watch("undo").orElseThrow().fullKeys());
        assertEquals("k8s-rollout", c.watch("rollout").orElseThrow().builtinTemplateName().orElseThrow());
        assertEquals("k8s-undo", c.watch("undo").orElseThrow().builtinTemplateName().orElseThrow());
        assertEquals(OnFailure.UNDO, c.watch("rollout").orElseThrow().onFailure());
        assertEquals("registry.cn-hangzhou.aliyuncs.com/ns-demo", c.registry());
    }
}
