package dev.cicd.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The runner's config in {@code deploy/config/cicd.yaml} (the ConfigMap {@code deploy/kustomization.yaml}
 * generates) loads as the pod of {@code deploy/50-deployment.yaml} would load it: with the etcd TLS files where the Deployment mounts the Secret, and the etcd user and
 * password from the Deployment's environment.
 */
class DeployConfigMapTest {

    static final Path DEPLOY = Path.of("..", "deploy");
    static final String SECRET = "cicd-runner-etcd";
    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    @TempDir
    Path tmp;

    static JsonNode container() throws IOException {
        return YAML.readTree(DEPLOY.resolve("50-deployment.yaml").toFile())
                .path("spec").path("template").path("spec").path("containers").get(0);
    }

    static JsonNode podSpec() throws IOException {
        return YAML.readTree(DEPLOY.resolve("50-deployment.yaml").toFile()).path("spec").path("template").path("spec");
    }

    static String configText() throws IOException {
        return Files.readString(DEPLOY.resolve("config").resolve("cicd.yaml"));
    }

    /**
     * Writes the Secret's files as the Deployment mounts them, below {@code tmp}, and the config with the
     * mount path pointing there; returns the config file.
     */
    Path materialize() throws IOException {
        JsonNode volume = null;
        for (JsonNode v : podSpec().path("volumes")) {
            if (SECRET.equals(v.path("secret").path("secretName").asText())) {
                volume = v;
            }
        }
        assertTrue(volume != null, "50-deployment.yaml mounts no volume of Secret " + SECRET);
        String mountPath = null;
        for (JsonNode m : container().path("volumeMounts")) {
            if (m.path("name").asText().equals(volume.path("name").asText())) {
                mountPath = m.path("mountPath").asText();
            }
        }
        assertTrue(mountPath != null, "the runner container does not mount volume " + volume.path("name").asText());
        Path mount = tmp.resolve("secret");
        for (JsonNode item : volume.path("secret").path("items")) {
            Path f = mount.resolve(item.path("path").asText());
            Files.createDirectories(f.getParent());
            Files.writeString(f, "-----BEGIN " + (item.path("key").asText().endsWith(".key") ? "PRIVATE KEY" : "CERTIFICATE")
                    + "-----\n");
        }
        Path file = tmp.resolve("cicd.yaml");
        Files.writeString(file, configText().replace(mountPath + "/", mount + "/"));
        return file;
    }

    /** The Deployment's environment taken from the Secret, with a stand-in for each value. */
    static Map<String, String> envFromSecret() throws IOException {
        Map<String, String> env = new HashMap<>();
        for (JsonNode e : container().path("env")) {
            JsonNode ref = e.path("valueFrom").path("secretKeyRef");
            if (SECRET.equals(ref.path("name").asText())) {
                env.put(e.path("name").asText(), ref.path("key").asText().equals("username") ? "cicd-runner" : "secret-" + e.path("name").asText());
            }
        }
        return env;
    }

    @Test
    void inClusterConfigMapOfTheDeployManifestsLoads() throws IOException {
        RunnerConfig c = RunnerConfig.load(materialize(), envFromSecret());
        assertEquals(List.of("rollout", "undo"), c.watches().stream().map(WatchConfig::name).toList());
        assertEquals(Boolean.TRUE, c.kubernetes().inCluster());
        assertEquals("/tmp/cicd/logs", c.runner().logDir());
        assertEquals(RunnerSettings.LogFormat.JSON, c.runner().logFormat());
    }

    @Test
    void etcdIsReachedOverTlsWithTheFilesTheDeploymentMountsFromTheSecret() throws IOException {
        RunnerConfig c = RunnerConfig.load(materialize(), envFromSecret());
        assertFalse(c.etcd().endpoints().isEmpty());
        assertTrue(c.etcd().endpoints().stream().allMatch(e -> e.startsWith("https://")), c.etcd().endpoints().toString());
        Path mount = tmp.resolve("secret");
        assertEquals(mount.resolve("ca.crt").toString(), c.etcd().tls().ca());
        assertEquals(mount.resolve("tls.crt").toString(), c.etcd().tls().cert());
        assertEquals(mount.resolve("tls.key").toString(), c.etcd().tls().key());
    }

    @Test
    void theEtcdUserAndPasswordComeFromTheSecretNotFromTheConfigMap() throws IOException {
        Map<String, String> env = envFromSecret();
        assertEquals(Map.of("CICD_ETCD_USER", "cicd-runner", "CICD_ETCD_PASSWORD", "secret-CICD_ETCD_PASSWORD"), env);
        String text = configText();
        assertFalse(text.contains("user:") || text.contains("password:"), "credentials in the ConfigMap:\n" + text);
        RunnerConfig c = RunnerConfig.load(materialize(), env);
        assertEquals("cicd-runner", c.etcd().user());
        assertEquals("secret-CICD_ETCD_PASSWORD", c.etcd().password());
    }
}
