package dev.cicd.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kubectl kustomize deploy/} renders, and what it renders runs the runner as the probes, the
 * security context and the config expect. Skipped when kubectl is not installed (the manifests are then
 * still checked file by file by {@code DeployConfigMapTest} and cicd-k8s's {@code DeployManifestsTest}).
 */
class DeployKustomizeTest {

    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    static List<JsonNode> rendered;

    @TempDir
    Path tmp;

    @BeforeAll
    static void render() throws Exception {
        Assumptions.assumeTrue(kubectlInstalled(), "kubectl is not installed: cannot render deploy/ with kustomize");
        Process p = new ProcessBuilder("kubectl", "kustomize", DeployConfigMapTest.DEPLOY.toString())
                .redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "kubectl kustomize did not finish");
        String text = new String(out, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), "kubectl kustomize deploy/ failed:\n" + text);
        rendered = new ArrayList<>();
        try (YAMLParser parser = new YAMLFactory().createParser(text)) {
            for (JsonNode n : YAML.readValues(parser, JsonNode.class).readAll()) {
                rendered.add(n);
            }
        }
    }

    static boolean kubectlInstalled() {
        try {
            Process p = new ProcessBuilder("kubectl", "version", "--client").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    static JsonNode one(String kind, String namePrefix) {
        return rendered.stream().filter(n -> n.path("kind").asText().equals(kind)
                        && n.path("metadata").path("name").asText().startsWith(namePrefix)).findFirst()
                .orElseThrow(() -> new AssertionError("no " + kind + " " + namePrefix + "* in the rendered deploy/"));
    }

    static JsonNode pod() {
        return one("Deployment", "cicd-runner").path("spec").path("template").path("spec");
    }

    static JsonNode container() {
        return pod().path("containers").get(0);
    }

    static JsonNode volumeMount(String mountPath) {
        for (JsonNode m : container().path("volumeMounts")) {
            if (m.path("mountPath").asText().equals(mountPath)) {
                return m;
            }
        }
        return MissingNode.getInstance();
    }

    static JsonNode volume(String name) {
        for (JsonNode v : pod().path("volumes")) {
            if (v.path("name").asText().equals(name)) {
                return v;
            }
        }
        return MissingNode.getInstance();
    }

    /** The config as the generated ConfigMap holds it, loaded with the Secret's env (stand-in values). */
    RunnerConfig config() throws IOException {
        String text = one("ConfigMap", "cicd-runner").path("data").path("cicd.yaml").asText();
        Path tls = tmp.resolve("tls");
        Files.createDirectories(tls);
        for (String f : List.of("ca.crt", "tls.crt", "tls.key")) {
            Files.writeString(tls.resolve(f), "-----BEGIN " + (f.endsWith(".key") ? "PRIVATE KEY" : "CERTIFICATE") + "-----\n");
        }
        Path file = tmp.resolve("cicd.yaml");
        Files.writeString(file, text.replace("/etc/cicd-etcd/", tls + "/"));
        return RunnerConfig.load(file, Map.of("CICD_ETCD_USER", "cicd-runner", "CICD_ETCD_PASSWORD", "x"));
    }

    @Test
    void theGeneratedConfigMapHasAContentHashAndTheDeploymentMountsIt() {
        String name = one("ConfigMap", "cicd-runner").path("metadata").path("name").asText();
        assertTrue(name.matches("cicd-runner-[a-z0-9]{10}"), name);
        JsonNode mount = volumeMount("/etc/cicd");
        assertEquals(name, volume(mount.path("name").asText()).path("configMap").path("name").asText(),
                "the Deployment refers to the generated name, so a config change rolls it");
        assertEquals(List.of("run", "--config", "/etc/cicd/cicd.yaml"),
                YAML.convertValue(container().path("args"), List.class));
    }

    @Test
    void probesUseLivezAndReadyzOnTheNamedMetricsPort() throws IOException {
        JsonNode port = container().path("ports").get(0);
        assertEquals("metrics", port.path("name").asText());
        assertEquals(config().runner().httpPort().intValue(), port.path("containerPort").asInt(), "runner.httpPort");
        assertEquals("0.0.0.0", config().runner().httpHost(), "reachable by the kubelet");
        assertEquals("/livez", container().path("livenessProbe").path("httpGet").path("path").asText());
        assertEquals("metrics", container().path("livenessProbe").path("httpGet").path("port").asText());
        assertEquals("/livez", container().path("startupProbe").path("httpGet").path("path").asText());
        assertEquals("/readyz", container().path("readinessProbe").path("httpGet").path("path").asText());
        assertEquals("metrics", container().path("readinessProbe").path("httpGet").path("port").asText());
    }

    @Test
    void theRunnerRunsLockedDownWithAWritableTmpForItsLogAndWorkDirectories() throws IOException {
        JsonNode podSc = pod().path("securityContext");
        assertTrue(podSc.path("runAsNonRoot").asBoolean(), podSc.toString());
        assertEquals("RuntimeDefault", podSc.path("seccompProfile").path("type").asText(), podSc.toString());
        JsonNode sc = container().path("securityContext");
        assertTrue(sc.path("readOnlyRootFilesystem").asBoolean(), sc.toString());
        assertEquals(false, sc.path("allowPrivilegeEscalation").asBoolean(true), sc.toString());
        assertEquals(List.of("ALL"), YAML.convertValue(sc.path("capabilities").path("drop"), List.class));

        JsonNode tmpMount = volumeMount("/tmp");
        assertTrue(volume(tmpMount.path("name").asText()).has("emptyDir"), "/tmp is an emptyDir");
        assertNotEquals(true, tmpMount.path("readOnly").asBoolean(false));
        RunnerConfig c = config();
        assertTrue(c.runner().logDir().startsWith("/tmp/"), c.runner().logDir());
        assertTrue(c.runner().workDir().startsWith("/tmp/"), c.runner().workDir());
    }

    @Test
    void theGracePeriodOutlastsTheLongestWatchTimeoutAndTheStop() throws IOException {
        Duration longest = config().watches().stream().map(WatchConfig::effectiveTimeout).max(Duration::compareTo).orElseThrow();
        long grace = pod().path("terminationGracePeriodSeconds").asLong();
        // the pipeline waits the longest timeout + 5 s before it interrupts in-flight actions, then records
        assertTrue(grace >= longest.toSeconds() + 5 + 30, "terminationGracePeriodSeconds " + grace
                + " s does not leave the stop a 30 s margin after the longest watch timeout " + longest + " + 5 s");
    }

    @Test
    void etcdCredentialsComeFromTheSecretNotTheConfig() throws IOException {
        Map<String, String> fromSecret = new HashMap<>();
        for (JsonNode e : container().path("env")) {
            JsonNode ref = e.path("valueFrom").path("secretKeyRef");
            if (ref.isObject()) {
                fromSecret.put(e.path("name").asText(), ref.path("name").asText() + "/" + ref.path("key").asText());
            }
        }
        assertEquals(Map.of("CICD_ETCD_USER", "cicd-runner-etcd/username", "CICD_ETCD_PASSWORD", "cicd-runner-etcd/password"),
                fromSecret);
        String text = one("ConfigMap", "cicd-runner").path("data").path("cicd.yaml").asText();
        assertTrue(!text.contains("password:") && !text.contains("user:"), text);
        assertEquals("cicd-runner-etcd", volume(volumeMount("/etc/cicd-etcd").path("name").asText())
                .path("secret").path("secretName").asText());
        assertEquals("cicd-runner", config().etcd().user());
    }
}
