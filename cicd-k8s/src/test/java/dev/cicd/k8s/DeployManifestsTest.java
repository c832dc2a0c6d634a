package dev.cicd.k8s;

import static dev.cicd.k8s.K8sTestSupport.NS;
import static dev.cicd.k8s.K8sTestSupport.create;
import static dev.cicd.k8s.K8sTestSupport.deployment;
import static dev.cicd.k8s.K8sTestSupport.image;
import static dev.cicd.k8s.K8sTestSupport.rolloutPlan;
import static dev.cicd.k8s.K8sTestSupport.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cicd.core.Outcome;
import dev.cicd.testkit.KubernetesBackend;
import dev.cicd.testkit.KubernetesFixture;
import dev.cicd.testkit.RequestLog;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesList;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The manifests in {@code deploy/} parse, fit together, and grant exactly what the steps call. */
class DeployManifestsTest {

    static final Path DEPLOY = Path.of("..", "deploy");
    static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

    @TempDir
    Path work;

    static List<HasMetadata> load(Path dir, boolean recursive) throws IOException {
        List<HasMetadata> out = new ArrayList<>();
        try (Stream<Path> files = recursive ? Files.walk(dir) : Files.list(dir)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
                Object parsed = SERIALIZATION.unmarshal(Files.readString(f));
                if (parsed instanceof KubernetesList list) {
                    out.addAll(list.getItems());
                } else if (parsed instanceof List<?> list) {
                    list.forEach(o -> out.add((HasMetadata) o));
                } else {
                    out.add((HasMetadata) parsed);
                }
            }
        }
        return out;
    }

    static <T> T one(List<HasMetadata> objects, Class<T> type, String name) {
        return objects.stream().filter(type::isInstance).map(type::cast)
                .filter(o -> ((HasMetadata) o).getMetadata().getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no " + type.getSimpleName() + " " + name + " in deploy/"));
    }

    @Test
    void manifestsParseAndReferToEachOther() throws IOException {
        List<HasMetadata> objects = load(DEPLOY, false);
        ServiceAccount sa = one(objects, ServiceAccount.class, "cicd-runner");
        ClusterRole role = one(objects, ClusterRole.class, "cicd-deployer");
        RoleBinding binding = one(objects, RoleBinding.class, "cicd-deployer");
        Deployment runner = one(objects, Deployment.class, "cicd-runner");
        ConfigMap config = one(objects, ConfigMap.class, "cicd-runner");
        assertEquals(role.getMetadata().getName(), binding.getRoleRef().getName());
        assertEquals("ClusterRole", binding.getRoleRef().getKind());
        assertEquals(sa.getMetadata().getName(), binding.getSubjects().get(0).getName());
        assertEquals(sa.getMetadata().getNamespace(), binding.getSubjects().get(0).getNamespace());
        assertEquals(sa.getMetadata().getName(), runner.getSpec().getTemplate().getSpec().getServiceAccountName());
        assertEquals(config.getMetadata().getName(),
                runner.getSpec().getTemplate().getSpec().getVolumes().get(0).getConfigMap().getName());
        assertTrue(config.getData().containsKey("cicd.yaml"));
        assertEquals(runner.getSpec().getSelector().getMatchLabels(),
                runner.getSpec().getTemplate().getMetadata().getLabels());

        List<HasMetadata> optional = load(DEPLOY.resolve("optional"), true);
        one(optional, ClusterRole.class, "cicd-applier");
        one(optional, ClusterRoleBinding.class, "cicd-namespace-applier");
    }

    /** {@code group/resource:verb} of every API request recorded since the last clear. */
    static Set<String> permissionsUsed(RequestLog log) {
        Set<String> used = new TreeSet<>();
        for (RequestLog.Request r : log.requests()) {
            String[] s = r.path().replaceFirst("^/", "").split("/");
            int rest;
            String group;
            if (s[0].equals("api")) {
                group = "";
                rest = 2;
            } else if (s[0].equals("apis")) {
                group = s[1];
                rest = 3;
            } else {
                continue;
            }
            List<String> parts = List.of(s).subList(rest, s.length);
            String resource;
            boolean named;
            if (parts.get(0).equals("namespaces") && parts.size() >= 3) {
                resource = parts.get(2);
                named = parts.size() >= 4;
            } else {
                resource = parts.get(0);
                named = parts.size() >= 2;
            }
            String verb = switch (r.method()) {
                case "GET" -> r.query().contains("watch=true") ? "watch" : named ? "get" : "list";
                case "PATCH" -> "patch";
                case "PUT" -> "update";
                case "POST" -> "create";
                case "DELETE" -> "delete";
                default -> r.method().toLowerCase();
            };
            used.add(group + "/" + resource + ":" + verb);
        }
        return used;
    }

    static Set<String> granted(ClusterRole... roles) {
        Set<String> out = new TreeSet<>();
        for (ClusterRole role : roles) {
            for (PolicyRule rule : role.getRules()) {
                for (String g : rule.getApiGroups()) {
                    for (String res : rule.getResources()) {
                        for (String v : rule.getVerbs()) {
                            out.add(g + "/" + res + ":" + v);
                        }
                    }
                }
            }
        }
        return out;
    }

    @Test
    void theDeployerRoleGrantsExactlyWhatTheDeploymentStepsCall() throws Exception {
        ClusterRole deployer = one(load(DEPLOY, false), ClusterRole.class, "cicd-deployer");
        try (KubernetesFixture k8s = KubernetesFixture.builder().backend(KubernetesBackend.SIMULATED).build()) {
            KubernetesAction action = KubernetesAction.builder(k8s.client()).allowedNamespaces(Set.of(NS))
                    .onFailure(OnFailure.UNDO).build();
            create(k8s.client(), action, work, deployment(NS, "rbac", "app", image("rbac", "v1")));
            k8s.requestLog().clear();
            assertEquals(Outcome.Kind.APPLIED, run(action, rolloutPlan(NS, "rbac", "app", image("rbac", "v2"), null)
                    + "  - rolloutHistory: {namespace: \"" + NS + "\", deployment: \"rbac\"}\n"
                    + "  - rolloutUndo: {namespace: \"" + NS + "\", deployment: \"rbac\"}\n"
                    + "  - waitForRollout: {namespace: \"" + NS + "\", deployment: \"rbac\"}\n", work).kind());
            Set<String> used = permissionsUsed(k8s.requestLog());
            assertFalse(used.isEmpty());
            assertEquals(granted(deployer), used, "deploy/20-clusterrole.yaml vs the requests the steps sent");
        }
    }

    @Test
    void theOptionalApplyRolesCoverWhatApplyCalls() throws Exception {
        List<HasMetadata> optional = load(DEPLOY.resolve("optional"), true);
        Set<String> granted = granted(one(optional, ClusterRole.class, "cicd-applier"),
                one(optional, ClusterRole.class, "cicd-namespace-applier"));
        Path dir = Files.createDirectories(work.resolve("app"));
        Files.writeString(dir.resolve("all.yaml"), """
                apiVersion: v1
                kind: Namespace
                metadata: {name: ns-demo1-dev}
                ---
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: web, namespace: ns-demo1-dev}
                spec:
                  selector: {matchLabels: {app: web}}
                  template:
                    metadata: {labels: {app: web}}
                    spec: {containers: [{name: web, image: "registry.example.com/ns-demo/web:v1"}]}
                ---
                apiVersion: v1
                kind: Service
                metadata: {name: web, namespace: ns-demo1-dev}
                spec: {selector: {app: web}, ports: [{port: 80}]}
                ---
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: web, namespace: ns-demo1-dev}
                data: {a: "1"}
                """);
        try (KubernetesFixture k8s = KubernetesFixture.builder().backend(KubernetesBackend.SIMULATED).build()) {
            KubernetesAction action = KubernetesAction.builder(k8s.client()).allowedNamespaces(Set.of(NS))
                    .manifestRoot(work).build();
            k8s.requestLog().clear();
            assertEquals(Outcome.Kind.APPLIED, run(action, "steps:\n  - apply: {path: \"" + dir + "\"}\n", work).kind());
            assertEquals(granted, permissionsUsed(k8s.requestLog()));
        }
    }
}
