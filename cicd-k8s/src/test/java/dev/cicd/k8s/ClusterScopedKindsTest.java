package dev.cicd.k8s;

import static dev.cicd.k8s.K8sTestSupport.NS;
import static dev.cicd.k8s.K8sTestSupport.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cicd.core.ActionResult;
import dev.cicd.core.Outcome;
import dev.cicd.testkit.KubernetesBackend;
import dev.cicd.testkit.KubernetesFixture;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code apply} sends no cluster-scoped kind unless {@code allowedKinds} lists it; a Namespace is allowed when
 * its name is on the namespace allow-list. Every rejection happens before any request.
 */
class ClusterScopedKindsTest {

    static KubernetesFixture k8s;
    static KubernetesAction action;

    @TempDir
    static Path work;

    @BeforeAll
    static void start() {
        k8s = KubernetesFixture.builder().backend(KubernetesBackend.SIMULATED).build();
        action = KubernetesAction.builder(k8s.client()).allowedNamespaces(Set.of(NS)).build();
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

    static String applyInline(String manifest) {
        return "steps:\n  - apply:\n      namespace: \"" + NS + "\"\n      manifest: |\n" + manifest.indent(8);
    }

    static final String CONFIG_MAP = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: harmless}\ndata: {a: \"1\"}\n---\n";

    static Stream<Arguments> clusterScoped() {
        return Stream.of(
                Arguments.of("ClusterRole", "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\n"
                        + "metadata: {name: pwn}\nrules: [{apiGroups: ['*'], resources: ['*'], verbs: ['*']}]\n"),
                Arguments.of("ClusterRoleBinding", "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\n"
                        + "metadata: {name: pwn}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}\n"
                        + "subjects: [{kind: ServiceAccount, name: default, namespace: " + NS + "}]\n"),
                Arguments.of("MutatingWebhookConfiguration", "apiVersion: admissionregistration.k8s.io/v1\n"
                        + "kind: MutatingWebhookConfiguration\nmetadata: {name: hook}\nwebhooks: []\n"),
                Arguments.of("ValidatingWebhookConfiguration", "apiVersion: admissionregistration.k8s.io/v1\n"
                        + "kind: ValidatingWebhookConfiguration\nmetadata: {name: hook}\nwebhooks: []\n"),
                Arguments.of("CustomResourceDefinition", "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n"
                        + "metadata: {name: widgets.example.com}\nspec: {group: example.com, names: {kind: Widget, plural: widgets},"
                        + " scope: Namespaced, versions: []}\n"),
                Arguments.of("PersistentVolume", "apiVersion: v1\nkind: PersistentVolume\nmetadata: {name: pv}\n"
                        + "spec: {capacity: {storage: 1Gi}, accessModes: [ReadWriteOnce], hostPath: {path: /}}\n"),
                Arguments.of("StorageClass", "apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata: {name: fast}\n"
                        + "provisioner: example.com/fast\n"),
                Arguments.of("PriorityClass", "apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata: {name: top}\n"
                        + "value: 1000000000\n"),
                Arguments.of("Node", "apiVersion: v1\nkind: Node\nmetadata: {name: n1}\n"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("clusterScoped")
    void aClusterScopedKindIsRejectedBeforeAnyRequest(String kind, String manifest) {
        ActionResult r = run(action, applyInline(CONFIG_MAP + manifest), work);
        assertEquals(Outcome.Kind.REJECTED, r.kind(), kind + ": " + r.reason());
        assertTrue(r.reason().contains("(" + kind + ")") && r.reason().contains("is cluster-scoped"), r.reason());
        assertTrue(r.reason().contains("allowedKinds"), r.reason());
        assertEquals(0, k8s.requestLog().requests().size(), k8s.requestLog().requests().toString());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("clusterScoped")
    void aClusterScopedKindInAManifestFileIsRejectedBeforeAnyRequest(String kind, String manifest) throws Exception {
        Path root = java.nio.file.Files.createDirectories(work.resolve("root-" + kind));
        java.nio.file.Files.writeString(root.resolve("all.yaml"), CONFIG_MAP + manifest);
        KubernetesAction rooted = KubernetesAction.builder(k8s.client()).allowedNamespaces(Set.of(NS))
                .manifestRoot(root).build();
        ActionResult r = run(rooted, "steps:\n  - apply: {path: \"all.yaml\", namespace: \"" + NS + "\"}\n", work);
        assertEquals(Outcome.Kind.REJECTED, r.kind(), kind + ": " + r.reason());
        assertTrue(r.reason().contains("all.yaml#2 (" + kind + ")"), r.reason());
        assertEquals(0, k8s.requestLog().requests().size(), k8s.requestLog().requests().toString());
    }

    @Test
    void aClusterScopedKindListedInAllowedKindsIsApplied() {
        KubernetesAction allowing = KubernetesAction.builder(k8s.client()).allowedNamespaces(Set.of(NS))
                .allowedKinds(Set.of("ClusterRole")).build();
        ActionResult r = run(allowing, applyInline("apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\n"
                + "metadata: {name: reader}\nrules: [{apiGroups: [''], resources: [pods], verbs: [get]}]\n"), work);
        assertEquals(Outcome.Kind.APPLIED, r.kind(), r.reason());
        assertNotNull(k8s.client().rbac().clusterRoles().withName("reader").get());

        ActionResult other = run(allowing, applyInline("apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\n"
                + "metadata: {name: b}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: reader}\n"), work);
        assertEquals(Outcome.Kind.REJECTED, other.kind(), "only the listed kinds: " + other.reason());
    }

    @Test
    void aNamespaceIsAppliedOnlyWhenItIsOnTheNamespaceAllowList() {
        ActionResult ok = run(action, applyInline("apiVersion: v1\nkind: Namespace\nmetadata: {name: " + NS + "}\n"), work);
        assertEquals(Outcome.Kind.APPLIED, ok.kind(), ok.reason());

        k8s.requestLog().clear();
        ActionResult other = run(action, applyInline("apiVersion: v1\nkind: Namespace\nmetadata: {name: kube-public}\n"), work);
        assertEquals(Outcome.Kind.REJECTED, other.kind(), other.reason());
        assertTrue(other.reason().contains("'kube-public' is not on the allow-list of namespaces"), other.reason());
        assertEquals(0, k8s.requestLog().requests().size(), k8s.requestLog().requests().toString());
    }

    @Test
    void allowedKindsEntriesMustBeKindNames() {
        assertThrows(IllegalArgumentException.class, () -> KubernetesAction.builder(k8s.client())
                .allowedNamespaces(Set.of(NS)).allowedKinds(Set.of("clusterroles")).build());
    }
}
