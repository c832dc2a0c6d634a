package dev.cicd.k8s;

import static dev.cicd.k8s.K8sTestSupport.NS;
import static dev.cicd.k8s.K8sTestSupport.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cicd.core.ActionResult;
import dev.cicd.core.Outcome;
import dev.cicd.testkit.KubernetesBackend;
import dev.cicd.testkit.KubernetesFixture;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code apply.path} is read only below the configured manifest root: without a root the plan is rejected naming
 * the setting; {@code ..}, absolute paths elsewhere and symlinks whose real location leaves the root are refused.
 * Every rejection happens before any request.
 */
class ApplyManifestRootTest {

    static final String CONFIG_MAP = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: %s}\ndata: {a: \"1\"}\n";

    static KubernetesFixture k8s;

    @TempDir
    static Path work;
    static Path root;
    static Path outside;
    static KubernetesAction rooted;

    @BeforeAll
    static void start() throws IOException {
        k8s = KubernetesFixture.builder().backend(KubernetesBackend.SIMULATED).build();
        root = Files.createDirectories(work.resolve("manifests"));
        outside = Files.createDirectories(work.resolve("secret-elsewhere"));
        Files.writeString(outside.resolve("stolen.yaml"), CONFIG_MAP.formatted("stolen"));
        Files.createDirectories(root.resolve(NS + "/app"));
        Files.writeString(root.resolve(NS + "/app/config.yaml"), CONFIG_MAP.formatted("app-config"));
        rooted = KubernetesAction.builder(k8s.client()).allowedNamespaces(Set.of(NS)).manifestRoot(root).build();
    }

    @AfterAll
    static void stop() {
        if (k8s != null) {
            k8s.close();
        }
    }

    @BeforeEach
    void clearLog() {
        k8s.requestLog().clear();
    }

    static String applyPath(String path) {
        return "steps:\n  - apply: {path: " + KubernetesPlanTest.jsonString(path) + ", namespace: \"" + NS + "\"}\n";
    }

    private static void assertRejectedWithoutRequest(ActionResult r, String expected) {
        assertEquals(Outcome.Kind.REJECTED, r.kind(), r.reason() + "\n" + r.output());
        assertTrue(r.reason().contains(expected), r.reason());
        assertEquals(0, k8s.requestLog().requests().size(), k8s.requestLog().requests().toString());
    }

    @Test
    void anApplyPathWithoutAConfiguredManifestRootIsRejectedNamingTheSetting() {
        KubernetesAction unrooted = KubernetesAction.builder(k8s.client()).allowedNamespaces(Set.of(NS)).build();
        ActionResult r = run(unrooted, applyPath(root.resolve(NS + "/app").toString()), work);
        assertRejectedWithoutRequest(r, "needs a manifest root, and none is configured: set manifestRoot");
        assertTrue(r.reason().contains("watches[].manifestRoot"), r.reason());
    }

    @Test
    void anInlineManifestNeedsNoManifestRoot() {
        KubernetesAction unrooted = KubernetesAction.builder(k8s.client()).allowedNamespaces(Set.of(NS)).build();
        ActionResult r = run(unrooted, "steps:\n  - apply:\n      namespace: \"" + NS + "\"\n      manifest: |\n"
                + CONFIG_MAP.formatted("inline").indent(8), work);
        assertEquals(Outcome.Kind.APPLIED, r.kind(), r.reason());
    }

    @Test
    void aPathBelowTheRootIsApplied() {
        ActionResult r = run(rooted, applyPath(NS + "/app/"), work);
        assertEquals(Outcome.Kind.APPLIED, r.kind(), r.reason() + "\n" + r.output());
        assertTrue(r.output().contains("created ConfigMap " + NS + "/app-config"), r.output());
    }

    @Test
    void dotDotIsRefusedEvenWhenItWouldStayInside() {
        assertRejectedWithoutRequest(run(rooted, applyPath("../secret-elsewhere/stolen.yaml"), work), "contains '..'");
        assertRejectedWithoutRequest(run(rooted, applyPath(NS + "/../" + NS + "/app"), work), "contains '..'");
    }

    @Test
    void anAbsolutePathOutsideTheRootIsRefused() {
        assertRejectedWithoutRequest(run(rooted, applyPath(outside.resolve("stolen.yaml").toString()), work),
                "is outside the manifest root");
    }

    @Test
    void aSymlinkedDirectoryInsideTheRootPointingOutsideIsRefused() throws IOException {
        Path link = root.resolve("linked-dir");
        Files.createSymbolicLink(link, outside);
        assertRejectedWithoutRequest(run(rooted, applyPath("linked-dir"), work), "outside the manifest root");
        assertRejectedWithoutRequest(run(rooted, applyPath("linked-dir/stolen.yaml"), work), "outside the manifest root");
    }

    @Test
    void aSymlinkedFileInsideAnAppliedDirectoryPointingOutsideIsRefused() throws IOException {
        Path dir = Files.createDirectories(root.resolve(NS + "/sneaky"));
        Files.writeString(dir.resolve("a.yaml"), CONFIG_MAP.formatted("sneaky"));
        Files.createSymbolicLink(dir.resolve("b.yaml"), outside.resolve("stolen.yaml"));
        ActionResult r = run(rooted, applyPath(NS + "/sneaky"), work);
        assertRejectedWithoutRequest(r, "b.yaml leads to " + outside.toRealPath().resolve("stolen.yaml"));
        assertTrue(r.reason().contains("a symlink leaving the root is refused"), r.reason());
    }

    @Test
    void aSymlinkThatStaysInsideTheRootIsFollowed() throws IOException {
        Path dir = Files.createDirectories(root.resolve(NS + "/shared"));
        Files.writeString(dir.resolve("shared.yaml"), CONFIG_MAP.formatted("shared-config"));
        Path app = Files.createDirectories(root.resolve(NS + "/uses-shared"));
        Files.createSymbolicLink(app.resolve("shared.yaml"), dir.resolve("shared.yaml"));
        ActionResult r = run(rooted, applyPath(NS + "/uses-shared"), work);
        assertEquals(Outcome.Kind.APPLIED, r.kind(), r.reason());
    }

    @Test
    void aRootThatIsItselfASymlinkIsResolvedOnce() throws IOException {
        Path linkedRoot = Files.createSymbolicLink(work.resolve("root-link"), root);
        KubernetesAction viaLink = KubernetesAction.builder(k8s.client()).allowedNamespaces(Set.of(NS))
                .manifestRoot(linkedRoot).build();
        ActionResult r = run(viaLink, applyPath(NS + "/app"), work);
        assertTrue(r.kind() == Outcome.Kind.APPLIED || r.kind() == Outcome.Kind.IN_SYNC, r.kind() + ": " + r.reason());
    }

    @Test
    void aMissingManifestRootIsRejected() {
        KubernetesAction missing = KubernetesAction.builder(k8s.client()).allowedNamespaces(Set.of(NS))
                .manifestRoot(work.resolve("no-such-root")).build();
        assertRejectedWithoutRequest(run(missing, applyPath(NS + "/app"), work), "does not exist");
    }
}
