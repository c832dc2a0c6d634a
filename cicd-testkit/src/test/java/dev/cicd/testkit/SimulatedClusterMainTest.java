package dev.cicd.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class SimulatedClusterMainTest {

    @TempDir
    Path dir;

    @Test
    void servesAClusterWritesTheKubeconfigAndPrintsOneLine() throws IOException {
        Path kubeconfig = dir.resolve("sub/sim.kubeconfig");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();

        try (KubernetesFixture fixture = SimulatedClusterMain.start(
                List.of("--port", "0", "--kubeconfig", kubeconfig.toString(), "--rollout-delay-ms", "10"),
                new PrintStream(bytes, true, StandardCharsets.UTF_8))) {
            String out = bytes.toString(StandardCharsets.UTF_8);
            assertEquals(1, out.lines().count(), out);
            Matcher m = Pattern.compile("Simulated Kubernetes API at (http://127\\.0\\.0\\.1:(\\d+)) - kubeconfig: (.+)")
                    .matcher(out.trim());
            assertTrue(m.matches(), out);
            assertEquals(fixture.apiUrl().toString(), m.group(1));
            assertEquals(kubeconfig.toAbsolutePath().toString(), m.group(3));
            assertEquals(fixture.kubeconfig(), Files.readString(kubeconfig));
            try (KubernetesClient client = new KubernetesClientBuilder()
                    .withConfig(Config.fromKubeconfig(kubeconfig.toFile())).build()) {
                assertTrue(client.apps().deployments().inNamespace("default").list().getItems().isEmpty());
            }
        }
        assertTrue(Files.exists(kubeconfig), "a kubeconfig path given by the user is left in place");
    }

    @Test
    void badOptionsAreRejected() {
        PrintStream out = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        assertThrows(IllegalArgumentException.class, () -> SimulatedClusterMain.start(List.of("--port"), out));
        assertThrows(IllegalArgumentException.class, () -> SimulatedClusterMain.start(List.of("--port", "x"), out));
        assertThrows(IllegalArgumentException.class, () -> SimulatedClusterMain.start(List.of("--nope", "1"), out));
    }
}
