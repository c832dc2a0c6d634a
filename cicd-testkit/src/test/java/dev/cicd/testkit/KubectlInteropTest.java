package dev.cicd.testkit;

import static dev.cicd.testkit.K8sTestObjects.await;
import static dev.cicd.testkit.K8sTestObjects.awaitRolledOut;
import static dev.cicd.testkit.K8sTestObjects.deployment;
import static dev.cicd.testkit.K8sTestObjects.namespace;
import static dev.cicd.testkit.K8sTestObjects.revision;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** kubectl against the simulated cluster; skipped when kubectl is not installed. */
@WithKubernetes(backend = KubernetesBackend.SIMULATED, rolloutDelayMillis = 100, failAfterMillis = 500)
@Timeout(120)
class KubectlInteropTest {

    private static final Optional<Path> KUBECTL = findKubectl();

    KubernetesFixture k8s;
    KubernetesClient client;

    @TempDir
    static Path cacheDir;

    @BeforeAll
    static void needsKubectl() {
        Assumptions.assumeTrue(KUBECTL.isPresent(),
                "kubectl is not installed (not on PATH, not /usr/bin/kubectl): kubectl interop tests skipped");
    }

    @Test
    void kubectlGetShowsAnImageSetThroughFabric8() {
        String ns = namespace();
        client.apps().deployments().inNamespace(ns).resource(deployment(ns, "web", "registry.test/web:v1", 1)).create();
        // fabric8's updateImage patches with the resourceVersion of an earlier GET: let the controller settle
        awaitRolledOut(client, ns, "web");
        client.apps().deployments().inNamespace(ns).withName("web").updateImage("registry.test/web:v2");

        Result result = kubectl("get", "deploy", "web", "-n", ns, "-o", "jsonpath={..image}");

        assertEquals(0, result.exit(), result.toString());
        assertEquals("registry.test/web:v2", result.stdout().trim());
    }

    @Test
    void kubectlRolloutHistoryListsTheRevisions() {
        String ns = namespace();
        twoRevisions(ns, "hist");

        Result result = kubectl("rollout", "history", "deployment/hist", "-n", ns);

        assertEquals(0, result.exit(), result.toString());
        List<String> revisions = result.stdout().lines().map(String::trim)
                .filter(l -> l.matches("\\d+\\s+.*")).map(l -> l.split("\\s+")[0]).toList();
        assertEquals(List.of("1", "2"), revisions, result.stdout());
    }

    @Test
    void kubectlRolloutUndoBringsBackThePreviousTemplateAsRevisionThree() {
        String ns = namespace();
        twoRevisions(ns, "undo");

        Result result = kubectl("rollout", "undo", "deployment/undo", "-n", ns);

        assertEquals(0, result.exit(), result.toString());
        Deployment undone = await("revision 3", Duration.ofSeconds(10), () -> {
            Deployment d = client.apps().deployments().inNamespace(ns).withName("undo").get();
            return "3".equals(revision(d)) && K8sTestObjects.rolledOut(d) ? Optional.of(d) : Optional.empty();
        });
        assertEquals("registry.test/undo:v1", undone.getSpec().getTemplate().getSpec().getContainers().get(0).getImage());
        Result history = kubectl("rollout", "history", "deployment/undo", "-n", ns);
        assertTrue(history.stdout().lines().anyMatch(l -> l.trim().startsWith("3 ")), history.stdout());
    }

    @Test
    void kubectlSetImageMakesANewRevision() {
        String ns = namespace();
        client.apps().deployments().inNamespace(ns).resource(deployment(ns, "set", "registry.test/set:v1", 1)).create();
        awaitRolledOut(client, ns, "set");

        Result result = kubectl("-n", ns, "set", "image", "deployment/set", "set=registry.test/set:v2");

        assertEquals(0, result.exit(), result.toString());
        Deployment d = await("revision 2", Duration.ofSeconds(10), () -> {
            Deployment x = client.apps().deployments().inNamespace(ns).withName("set").get();
            return "2".equals(revision(x)) ? Optional.of(x) : Optional.empty();
        });
        assertEquals("registry.test/set:v2", d.getSpec().getTemplate().getSpec().getContainers().get(0).getImage());
    }

    @Test
    void kubectlApplyCreatesThenUpdatesBothClientAndServerSide() throws IOException {
        String ns = namespace();
        Path file = cacheDir.resolve(ns + ".yaml");
        Files.writeString(file, manifest(ns, "registry.test/app:v1"));
        assertEquals(0, kubectl("apply", "-f", file.toString()).exit());
        awaitRolledOut(client, ns, "app");

        Files.writeString(file, manifest(ns, "registry.test/app:v2"));
        Result clientSide = kubectl("apply", "-f", file.toString());
        assertEquals(0, clientSide.exit(), clientSide.toString());
        awaitImage(ns, "app", "registry.test/app:v2");

        Files.writeString(file, manifest(ns, "registry.test/app:v3"));
        Result serverSide = kubectl("apply", "--server-side", "-f", file.toString());
        assertEquals(0, serverSide.exit(), serverSide.toString());
        Deployment d = awaitImage(ns, "app", "registry.test/app:v3");
        assertEquals(3L, d.getMetadata().getGeneration());
    }

    @Test
    void kubectlScaleGoesThroughTheScaleSubresource() {
        String ns = namespace();
        client.apps().deployments().inNamespace(ns).resource(deployment(ns, "sc", "registry.test/sc:v1", 1)).create();

        Result result = kubectl("-n", ns, "scale", "deployment/sc", "--replicas=3");

        assertEquals(0, result.exit(), result.toString());
        assertEquals(3, client.apps().deployments().inNamespace(ns).withName("sc").get().getSpec().getReplicas());
    }

    @Test
    void kubectlRolloutStatusReportsTheProgressDeadline() {
        String ns = namespace();
        client.apps().deployments().inNamespace(ns).resource(deployment(ns, "st", "registry.test/st:v1", 1)).create();
        awaitRolledOut(client, ns, "st");
        Result ok = kubectl("-n", ns, "rollout", "status", "deployment/st", "--timeout=20s");
        assertEquals(0, ok.exit(), ok.toString());

        k8s.failImages(Pattern.compile("st:broken"));
        try {
            client.apps().deployments().inNamespace(ns).withName("st").updateImage("registry.test/st:broken");
            Result failed = kubectl("-n", ns, "rollout", "status", "deployment/st", "--timeout=20s");
            assertNotEquals(0, failed.exit(), failed.toString());
            assertTrue(failed.stderr().contains("exceeded its progress deadline"), failed.toString());
        } finally {
            k8s.clearFailures();
        }
    }

    private void twoRevisions(String ns, String name) {
        client.apps().deployments().inNamespace(ns).resource(deployment(ns, name, "registry.test/" + name + ":v1", 1)).create();
        awaitRolledOut(client, ns, name);
        client.apps().deployments().inNamespace(ns).withName(name).updateImage("registry.test/" + name + ":v2");
        Deployment d = awaitRolledOut(client, ns, name);
        assertEquals("2", revision(d));
    }

    private Deployment awaitImage(String ns, String name, String image) {
        return await(image, Duration.ofSeconds(10), () -> {
            Deployment d = client.apps().deployments().inNamespace(ns).withName(name).get();
            return d != null && image.equals(d.getSpec().getTemplate().getSpec().getContainers().get(0).getImage())
                    ? Optional.of(d) : Optional.empty();
        });
    }

    private static String manifest(String ns, String image) {
        return """
                apiVersion: apps/v1
                kind: Deployment
                metadata:
                  name: app
                  namespace: %s
                spec:
                  replicas: 2
                  selector:
                    matchLabels: {app: app}
                  template:
                    metadata:
                      labels: {app: app}
                    spec:
                      containers:
                      - name: app
                        image: %s
                """.formatted(ns, image);
    }

    record Result(int exit, String stdout, String stderr) {
    }

    private Result kubectl(String... args) {
        List<String> command = new ArrayList<>(List.of(KUBECTL.orElseThrow().toString(),
                "--kubeconfig", k8s.kubeconfigFile().toString(), "--cache-dir", cacheDir.resolve("cache").toString()));
        command.addAll(List.of(args));
        try {
            Path out = Files.createTempFile(cacheDir, "out", ".txt");
            Path err = Files.createTempFile(cacheDir, "err", ".txt");
            Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("kubectl did not finish within 60 s: " + command);
            }
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new AssertionError("cannot run " + command, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted running " + command, e);
        }
    }

    private static Optional<Path> findKubectl() {
        String path = Optional.ofNullable(System.getenv("PATH")).orElse("");
        for (String dir : path.split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "kubectl"))) {
                return Optional.of(Path.of(dir, "kubectl"));
            }
        }
        Path usual = Path.of("/usr/bin/kubectl");
        return Files.isExecutable(usual) ? Optional.of(usual) : Optional.empty();
    }
}
