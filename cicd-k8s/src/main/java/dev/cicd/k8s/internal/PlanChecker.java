package dev.cicd.k8s.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cicd.core.CicdException;
import dev.cicd.core.Validation;
import dev.cicd.k8s.KubernetesPlan;
import dev.cicd.k8s.Step;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * Checks a whole plan against the action's allow-lists before anything is sent, and reads the manifests of
 * its {@code apply} steps (which are checked the same way: namespaces, Deployment names, every container
 * image). Every violation is a {@link CicdException} {@code INVALID_FIELD} naming the step, field and value.
 */
public final class PlanChecker {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> CONTAINER_LISTS = Set.of("containers", "initContainers", "ephemeralContainers");

    private final ActionSettings settings;
    private final KubernetesSerialization serialization;

    /**
     * A plan that passed every check.
     *
     * @param plan        the plan
     * @param manifests   step index -> the objects of that {@code apply} step, ready to send
     * @param lockTargets every {@code namespace/deployment} the plan touches
     */
    public record Checked(KubernetesPlan plan, Map<Integer, List<Manifests.Item>> manifests, SortedSet<String> lockTargets) {
    }

    public PlanChecker(ActionSettings settings, KubernetesSerialization serialization) {
        this.settings = settings;
        this.serialization = serialization;
    }

    public Checked check(KubernetesPlan plan) {
        Map<Integer, List<Manifests.Item>> manifests = new HashMap<>();
        SortedSet<String> targets = new TreeSet<>();
        List<Step> steps = plan.steps();
        for (int i = 0; i < steps.size(); i++) {
            Step step = steps.get(i);
            String where = "step " + (i + 1) + " (" + step.type() + "): ";
            try {
                if (step instanceof Step.OnDeployment d) {
                    checkNamespace(step.type() + ".namespace", d.namespace());
                    checkDeployment(step.type() + ".deployment", d.namespace(), d.deployment());
                    targets.add(d.target());
                }
                if (step instanceof Step.SetImage s) {
                    checkRegistry("setImage.image", s.image());
                }
                if (step instanceof Step.Apply a) {
                    List<Manifests.Item> items;
                    if (a.path().isPresent()) {
                        Path realRoot = realRoot(a.path().get());
                        items = Manifests.load(resolve(a.path().get(), realRoot), realRoot, serialization);
                    } else {
                        items = Manifests.parse("apply.manifest", a.manifest().orElseThrow(), serialization);
                    }
                    if (items.isEmpty()) {
                        throw invalid("apply found no Kubernetes object in " + a.path().orElse("apply.manifest"));
                    }
                    for (Manifests.Item item : items) {
                        checkObject(item, a, targets);
                    }
                    manifests.put(i, items);
                }
            } catch (CicdException e) {
                throw new CicdException(e.code(), where + e.getMessage(), e);
            }
        }
        return new Checked(plan, Map.copyOf(manifests), targets);
    }

    private void checkNamespace(String field, String ns) {
        Validation.dns1123Label(field, ns);
        if (!settings.allowedNamespaces().contains(ns)) {
            throw invalid(field + " '" + ns + "' is not on the allow-list of namespaces " + sorted(settings.allowedNamespaces()));
        }
    }

    private void checkDeployment(String field, String ns, String name) {
        Set<String> allowed = settings.allowedDeployments();
        if (!allowed.isEmpty() && !allowed.contains(name) && !allowed.contains(ns + "/" + name)) {
            throw invalid(field + " '" + name + "' (namespace " + ns + ") is not on the allow-list of deployments "
                    + sorted(allowed));
        }
    }

    private void checkRegistry(String field, String image) {
        Set<String> allowed = settings.allowedRegistries();
        if (allowed.isEmpty()) {
            return;
        }
        String registry = ImageRefs.registry(image);
        if (allowed.stream().noneMatch(r -> r.toLowerCase(Locale.ROOT).equals(registry))) {
            throw invalid(field + " '" + image + "' is from registry '" + registry
                    + "', which is not on the allow-list of registries " + sorted(allowed));
        }
    }

    /** The real path of the manifest root; an {@code apply.path} without one is refused, naming the setting. */
    private Path realRoot(String path) {
        Path root = settings.manifestRoot().orElseThrow(() -> invalid("apply.path '" + path
                + "' needs a manifest root, and none is configured: set manifestRoot (KubernetesAction.builder()"
                + ".manifestRoot(dir); runner config watches[].manifestRoot); no file is read without one"));
        try {
            Path real = root.toRealPath();
            if (!Files.isDirectory(real)) {
                throw invalid("the manifest root " + root + " is not a directory");
            }
            return real;
        } catch (IOException e) {
            throw invalid("the manifest root " + root + " does not exist or cannot be read: " + e);
        }
    }

    /**
     * {@code path} below the root, as a real path (every symlink resolved), which must lie below the root's
     * real path. {@code ..} is refused outright.
     */
    private Path resolve(String path, Path realRoot) {
        Path p;
        try {
            p = Path.of(path);
        } catch (java.nio.file.InvalidPathException e) {
            throw invalid("apply.path '" + path + "' is not a valid path: " + e.getMessage());
        }
        for (Path part : p) {
            if (part.toString().equals("..")) {
                throw invalid("apply.path '" + path + "' contains '..'; paths stay below the manifest root " + realRoot);
            }
        }
        Path resolved = realRoot.resolve(p).normalize();
        if (!resolved.startsWith(realRoot)) {
            throw invalid("apply.path '" + path + "' is outside the manifest root " + realRoot);
        }
        if (!Files.exists(resolved)) {
            throw invalid("apply.path '" + path + "' does not exist (looked for " + resolved + ")");
        }
        Path real;
        try {
            real = resolved.toRealPath();
        } catch (IOException e) {
            throw invalid("apply.path '" + path + "' cannot be resolved: " + e.getMessage());
        }
        if (!real.startsWith(realRoot)) {
            throw invalid("apply.path '" + path + "' leads to " + real + ", outside the manifest root " + realRoot
                    + " (a symlink leaving the root is refused)");
        }
        return real;
    }

    private void checkObject(Manifests.Item item, Step.Apply step, Set<String> targets) {
        HasMetadata o = item.object();
        String what = item.source() + " (" + o.getKind() + ")";
        String name = o.getMetadata().getName();
        if (name.length() > 253 || name.chars().anyMatch(c -> c == '/' || c == '%' || c < 0x21 || c == 0x7f)) {
            throw invalid("metadata.name '" + name + "' of " + what + " is not a valid object name");
        }
        if (!(o instanceof Namespaced) && !(o instanceof Namespace)
                && !settings.allowedKinds().contains(o.getKind())) {
            throw invalid(what + " " + name + " is cluster-scoped; apply sends a cluster-scoped kind only when "
                    + "allowedKinds lists it (allowedKinds: " + sorted(settings.allowedKinds()) + ")");
        }
        if (o instanceof Namespace) {
            checkNamespace("metadata.name of " + what, name);
        } else if (o instanceof Namespaced) {
            String ns = o.getMetadata().getNamespace();
            if (ns == null || ns.isEmpty()) {
                ns = step.namespace().orElseThrow(() -> invalid(what + " " + name
                        + " names no namespace; set metadata.namespace or apply.namespace"));
                o.getMetadata().setNamespace(ns);
            }
            checkNamespace("metadata.namespace of " + what, ns);
        }
        if (o instanceof Deployment) {
            Validation.dns1123Subdomain("metadata.name of " + what, name);
            checkDeployment("metadata.name of " + what, o.getMetadata().getNamespace(), name);
            targets.add(o.getMetadata().getNamespace() + "/" + name);
        }
        JsonNode tree;
        try {
            tree = JSON.readTree(serialization.asJson(o));
        } catch (IOException e) {
            throw invalid("cannot read " + what + ": " + e.getMessage());
        }
        checkImages(tree, what);
    }

    private void checkImages(JsonNode node, String what) {
        if (node.isObject()) {
            for (Map.Entry<String, JsonNode> e : node.properties()) {
                if (CONTAINER_LISTS.contains(e.getKey()) && e.getValue().isArray()) {
                    for (JsonNode c : e.getValue()) {
                        JsonNode image = c.get("image");
                        if (image != null && image.isTextual()) {
                            String field = e.getKey() + "[" + c.path("name").asText("?") + "].image of " + what;
                            Validation.imageReference(field, image.asText());
                            checkRegistry(field, image.asText());
                        }
                    }
                } else {
                    checkImages(e.getValue(), what);
                }
            }
        } else if (node.isArray()) {
            node.forEach(n -> checkImages(n, what));
        }
    }

    private static String sorted(Set<String> s) {
        return new TreeSet<>(s).toString();
    }

    private static CicdException invalid(String msg) {
        return new CicdException(CicdException.Code.INVALID_FIELD, msg);
    }
}
