package dev.cicd.testkit.internal.k8s;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The discovery documents of the simulated API server ({@code /version}, {@code /api},
 * {@code /apis}, {@code /api/v1}, {@code /apis/GROUP/VERSION}, {@code /}) for a fixed set of
 * built-in resources, so kubectl and client-go can map kinds and short names to URLs.
 */
final class Discovery {

    /** One served resource type. */
    record Resource(String groupVersion, String plural, String singular, String kind,
            boolean namespaced, List<String> shortNames, boolean statusSubresource, boolean inAll) {
    }

    static final String GIT_VERSION = "v1.32.0-cicd-simulated";

    private static final List<String> VERBS =
            List.of("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch");

    private static final List<Resource> RESOURCES = List.of(
            r("v1", "namespaces", "Namespace", false, List.of("ns"), true, false),
            r("v1", "pods", "Pod", true, List.of("po"), true, true),
            r("v1", "services", "Service", true, List.of("svc"), true, true),
            r("v1", "configmaps", "ConfigMap", true, List.of("cm"), false, false),
            r("v1", "secrets", "Secret", true, List.of(), false, false),
            r("v1", "serviceaccounts", "ServiceAccount", true, List.of("sa"), false, false),
            r("v1", "events", "Event", true, List.of("ev"), false, false),
            r("v1", "endpoints", "Endpoints", true, List.of("ep"), false, false),
            r("v1", "persistentvolumeclaims", "PersistentVolumeClaim", true, List.of("pvc"), true, false),
            r("v1", "nodes", "Node", false, List.of("no"), true, false),
            r("apps/v1", "deployments", "Deployment", true, List.of("deploy"), true, true),
            r("apps/v1", "replicasets", "ReplicaSet", true, List.of("rs"), true, true),
            r("apps/v1", "statefulsets", "StatefulSet", true, List.of("sts"), true, true),
            r("apps/v1", "daemonsets", "DaemonSet", true, List.of("ds"), true, true),
            r("apps/v1", "controllerrevisions", "ControllerRevision", true, List.of(), false, false),
            r("batch/v1", "jobs", "Job", true, List.of(), true, true),
            r("batch/v1", "cronjobs", "CronJob", true, List.of("cj"), true, true),
            r("networking.k8s.io/v1", "ingresses", "Ingress", true, List.of("ing"), true, false),
            r("networking.k8s.io/v1", "networkpolicies", "NetworkPolicy", true, List.of("netpol"), false, false),
            r("autoscaling/v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler", true, List.of("hpa"), true, true),
            r("policy/v1", "poddisruptionbudgets", "PodDisruptionBudget", true, List.of("pdb"), true, false),
            r("rbac.authorization.k8s.io/v1", "roles", "Role", true, List.of(), false, false),
            r("rbac.authorization.k8s.io/v1", "rolebindings", "RoleBinding", true, List.of(), false, false),
            r("rbac.authorization.k8s.io/v1", "clusterroles", "ClusterRole", false, List.of(), false, false),
            r("rbac.authorization.k8s.io/v1", "clusterrolebindings", "ClusterRoleBinding", false, List.of(), false, false),
            r("coordination.k8s.io/v1", "leases", "Lease", true, List.of(), false, false),
            r("apiextensions.k8s.io/v1", "customresourcedefinitions", "CustomResourceDefinition", false,
                    List.of("crd", "crds"), true, false));

    private final JsonMapper json;
    private final Map<String, String> documents = new LinkedHashMap<>();

    Discovery(JsonMapper json) {
        this.json = json;
        Map<String, List<Resource>> byGroupVersion = new LinkedHashMap<>();
        for (Resource r : RESOURCES) {
            byGroupVersion.computeIfAbsent(r.groupVersion(), k -> new ArrayList<>()).add(r);
        }
        documents.put("/version", version());
        documents.put("/api", apiVersions());
        documents.put("/apis", groupList(byGroupVersion));
        byGroupVersion.forEach((gv, resources) ->
                documents.put(gv.contains("/") ? "/apis/" + gv : "/api/" + gv, resourceList(gv, resources)));
        documents.put("/openapi/v3", openApiIndex(byGroupVersion));
        byGroupVersion.forEach((gv, resources) ->
                documents.put("/openapi/v3/" + prefix(gv), openApi(gv, resources)));
        documents.put("/", rootPaths());
    }

    /** The document served at {@code path} (no query string), if it is a discovery path. */
    Optional<String> document(String path) {
        String p = path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
        return Optional.ofNullable(documents.get(p));
    }

    /** The served resource type for a group/version and plural name. */
    static Optional<Resource> resource(String groupVersion, String plural) {
        return RESOURCES.stream()
                .filter(r -> r.groupVersion().equals(groupVersion) && r.plural().equals(plural))
                .findFirst();
    }

    private static Resource r(String gv, String plural, String kind, boolean namespaced,
            List<String> shortNames, boolean status, boolean inAll) {
        String singular = kind.toLowerCase(java.util.Locale.ROOT);
        return new Resource(gv, plural, singular, kind, namespaced, shortNames, status, inAll);
    }

    private String version() {
        ObjectNode v = json.createObjectNode();
        v.put("major", "1");
        v.put("minor", "32");
        v.put("gitVersion", GIT_VERSION);
        v.put("gitCommit", "0000000000000000000000000000000000000000");
        v.put("gitTreeState", "clean");
        v.put("buildDate", "2025-01-01T00:00:00Z");
        v.put("goVersion", "go1.23");
        v.put("compiler", "gc");
        v.put("platform", "linux/amd64");
        return json.writeValueAsString(v);
    }

    private String apiVersions() {
        ObjectNode v = json.createObjectNode();
        v.put("kind", "APIVersions");
        v.putArray("versions").add("v1");
        ObjectNode cidr = v.putArray("serverAddressByClientCIDRs").addObject();
        cidr.put("clientCIDR", "0.0.0.0/0");
        cidr.put("serverAddress", "127.0.0.1");
        return json.writeValueAsString(v);
    }

    private String groupList(Map<String, List<Resource>> byGroupVersion) {
        ObjectNode list = json.createObjectNode();
        list.put("kind", "APIGroupList");
        list.put("apiVersion", "v1");
        ArrayNode groups = list.putArray("groups");
        for (String gv : byGroupVersion.keySet()) {
            int slash = gv.indexOf('/');
            if (slash < 0) {
                continue;
            }
            ObjectNode group = groups.addObject();
            group.put("name", gv.substring(0, slash));
            ObjectNode version = json.createObjectNode();
            version.put("groupVersion", gv);
            version.put("version", gv.substring(slash + 1));
            group.putArray("versions").add(version);
            group.set("preferredVersion", version.deepCopy());
        }
        return json.writeValueAsString(list);
    }

    private String resourceList(String gv, List<Resource> resources) {
        ObjectNode list = json.createObjectNode();
        list.put("kind", "APIResourceList");
        list.put("apiVersion", "v1");
        list.put("groupVersion", gv);
        ArrayNode items = list.putArray("resources");
        for (Resource r : resources) {
            ObjectNode item = items.addObject();
            item.put("name", r.plural());
            item.put("singularName", r.singular());
            item.put("namespaced", r.namespaced());
            item.put("kind", r.kind());
            ArrayNode verbs = item.putArray("verbs");
            VERBS.forEach(verbs::add);
            if (!r.shortNames().isEmpty()) {
                ArrayNode shortNames = item.putArray("shortNames");
                r.shortNames().forEach(shortNames::add);
            }
            if (r.inAll()) {
                item.putArray("categories").add("all");
            }
            if (r.statusSubresource()) {
                ObjectNode status = items.addObject();
                status.put("name", r.plural() + "/status");
                status.put("singularName", "");
                status.put("namespaced", r.namespaced());
                status.put("kind", r.kind());
                status.putArray("verbs").add("get").add("patch").add("update");
            }
        }
        return json.writeValueAsString(list);
    }

    private static String prefix(String gv) {
        return gv.contains("/") ? "apis/" + gv : "api/" + gv;
    }

    /**
     * The OpenAPI v3 index. kubectl reads it to learn whether the server validates fields itself
     * ({@code fieldValidation}); when it does, kubectl skips client-side schema validation, which
     * would need full schemas this server does not have.
     */
    private String openApiIndex(Map<String, List<Resource>> byGroupVersion) {
        ObjectNode index = json.createObjectNode();
        ObjectNode paths = index.putObject("paths");
        for (String gv : byGroupVersion.keySet()) {
            paths.putObject(prefix(gv)).put("serverRelativeURL", "/openapi/v3/" + prefix(gv) + "?hash=simulated");
        }
        return json.writeValueAsString(index);
    }

    /** A minimal OpenAPI v3 document: one PATCH per resource, declaring {@code fieldValidation}. */
    private String openApi(String gv, List<Resource> resources) {
        ObjectNode doc = json.createObjectNode();
        doc.put("openapi", "3.0.0");
        ObjectNode info = doc.putObject("info");
        info.put("title", "Kubernetes (simulated)");
        info.put("version", GIT_VERSION);
        ObjectNode paths = doc.putObject("paths");
        int slash = gv.indexOf('/');
        String group = slash < 0 ? "" : gv.substring(0, slash);
        String version = gv.substring(slash + 1);
        for (Resource r : resources) {
            String path = "/" + prefix(gv) + (r.namespaced() ? "/namespaces/{namespace}/" : "/") + r.plural() + "/{name}";
            ObjectNode patch = paths.putObject(path).putObject("patch");
            patch.put("operationId", "patch" + r.kind());
            ObjectNode param = patch.putArray("parameters").addObject();
            param.put("name", "fieldValidation");
            param.put("in", "query");
            param.putObject("schema").put("type", "string");
            ObjectNode gvk = patch.putObject("x-kubernetes-group-version-kind");
            gvk.put("group", group);
            gvk.put("version", version);
            gvk.put("kind", r.kind());
            patch.putObject("responses").putObject("200").put("description", "OK");
        }
        return json.writeValueAsString(doc);
    }

    private String rootPaths() {
        ObjectNode root = json.createObjectNode();
        ArrayNode paths = root.putArray("paths");
        documents.keySet().forEach(paths::add);
        paths.add("/healthz").add("/livez").add("/readyz");
        return json.writeValueAsString(root);
    }
}
