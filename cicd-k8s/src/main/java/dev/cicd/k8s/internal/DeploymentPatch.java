package dev.cicd.k8s.internal;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/** One JSON patch (RFC 6902) of a Deployment just read: the only write {@code setImage} and {@code rolloutUndo} make. */
final class DeploymentPatch {

    /** The words of every failure caused by a change made between reading a Deployment and patching it. */
    static final String CHANGED_BY_SOMEONE_ELSE = "changed by someone else since it was read";

    /** Called with {@code namespace/name} and the operation right before a patch is sent. */
    @FunctionalInterface
    interface BeforePatch {
        void beforePatch(String target, String operation);

        BeforePatch NONE = (target, operation) -> { };
    }

    /** A JSON patch sent as field manager {@value Applier#FIELD_MANAGER}: managedFields name who changed what. */
    private static final PatchContext PATCH = new PatchContext.Builder().withPatchType(PatchType.JSON)
            .withFieldManager(Applier.FIELD_MANAGER).build();

    private DeploymentPatch() {
    }

    /**
     * Sends the operations as one JSON patch. Through {@code resource(item)}: fabric8's
     * {@code withName(..).patch(..)} GETs the object first, which a JSON patch does not need. The field manager is
     * {@value Applier#FIELD_MANAGER}. The item's
     * resourceVersion is not sent as a precondition (status updates change it all the time); the patch's
     * {@code test} operations guard it instead.
     *
     * @return the Deployment the server returned
     */
    static Deployment send(KubernetesClient client, Deployment current, List<Map<String, Object>> ops) {
        return client.apps().deployments().inNamespace(current.getMetadata().getNamespace()).resource(current)
                .patch(PATCH, client.getKubernetesSerialization().asJson(ops));
    }

    /**
     * {@code test} operations on the state read: the uid, the generation (the API server bumps it on every
     * spec change, and only then) and each container's name and image at its index. A patch that starts with
     * them is refused when the Deployment was recreated or its spec changed since it was read.
     */
    static List<Map<String, Object>> readState(Deployment d) {
        List<Map<String, Object>> ops = new ArrayList<>();
        ops.add(op("test", "/metadata/uid", d.getMetadata().getUid()));
        if (d.getMetadata().getGeneration() != null) {
            ops.add(op("test", "/metadata/generation", d.getMetadata().getGeneration()));
        }
        List<Container> containers = containers(d);
        for (int i = 0; i < containers.size(); i++) {
            String base = "/spec/template/spec/containers/" + i;
            ops.add(op("test", base + "/name", containers.get(i).getName()));
            ops.add(op("test", base + "/image", containers.get(i).getImage()));
        }
        return ops;
    }

    /**
     * {@link #send} a patch that starts with {@link #readState}. When the server refuses it and a fresh read
     * shows the Deployment differs from {@code read} (deleted, recreated, another generation or image), the
     * failure is a {@link StepFailure} saying it was {@value #CHANGED_BY_SOMEONE_ELSE}, what changed, and
     * {@code consequence}; any other refusal is rethrown.
     */
    static Deployment sendGuarded(KubernetesClient client, Deployment read, List<Map<String, Object>> ops,
                                  String consequence) {
        try {
            return send(client, read, ops);
        } catch (KubernetesClientException e) {
            String ns = read.getMetadata().getNamespace();
            String name = read.getMetadata().getName();
            Deployment now;
            try {
                now = client.apps().deployments().inNamespace(ns).withName(name).get();
            } catch (KubernetesClientException again) {
                e.addSuppressed(again);
                throw e;
            }
            String what = difference(read, now);
            if (what.isEmpty()) {
                throw e;
            }
            throw new StepFailure("deployment " + ns + "/" + name + " was " + CHANGED_BY_SOMEONE_ELSE + " (" + what
                    + "); " + consequence, e);
        }
    }

    /** How {@code now} differs from {@code read} in what {@link #readState} tests; empty when it does not. */
    static String difference(Deployment read, Deployment now) {
        if (now == null) {
            return "it was deleted";
        }
        if (!Objects.equals(read.getMetadata().getUid(), now.getMetadata().getUid())) {
            return "it was deleted and created again";
        }
        List<String> changes = new ArrayList<>();
        Map<String, String> before = images(read);
        Map<String, String> after = images(now);
        if (!before.keySet().equals(after.keySet())) {
            changes.add("containers " + before.keySet() + " -> " + after.keySet());
        } else {
            before.forEach((c, image) -> {
                if (!Objects.equals(image, after.get(c))) {
                    changes.add("container " + c + " image " + image + " -> " + after.get(c));
                }
            });
        }
        Long g1 = read.getMetadata().getGeneration();
        Long g2 = now.getMetadata().getGeneration();
        if (g1 != null && !g1.equals(g2)) {
            changes.add("generation " + g1 + " -> " + g2);
        }
        return String.join(", ", changes);
    }

    /** The pod template's containers (empty when there are none). */
    static List<Container> containers(Deployment d) {
        return d.getSpec() == null || d.getSpec().getTemplate() == null || d.getSpec().getTemplate().getSpec() == null
                || d.getSpec().getTemplate().getSpec().getContainers() == null
                ? List.of() : d.getSpec().getTemplate().getSpec().getContainers();
    }

    /** Container name -> image of the pod template, in order. */
    static Map<String, String> images(Deployment d) {
        Map<String, String> out = new LinkedHashMap<>();
        for (Container c : containers(d)) {
            out.put(c.getName(), c.getImage());
        }
        return out;
    }

    /** One operation. */
    static Map<String, Object> op(String op, String path, Object value) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("op", op);
        m.put("path", path);
        m.put("value", value);
        return m;
    }

    /** RFC 6901: {@code ~} -> {@code ~0}, {@code /} -> {@code ~1}. */
    static String pointerEscape(String s) {
        return s.replace("~", "~0").replace("/", "~1");
    }
}
