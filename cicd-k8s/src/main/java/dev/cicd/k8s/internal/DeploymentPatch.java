package dev.cicd.k8s.internal;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** One JSON patch (RFC 6902) of a Deployment just read: the only write {@code setImage} and {@code rolloutUndo} make. */
final class DeploymentPatch {

    private DeploymentPatch() {
    }

    /**
     * Sends the operations as one JSON patch. Through {@code resource(item)}: fabric8's
     * {@code withName(..).patch(..)} GETs the object first, which a JSON patch does not need. The item's
     * resourceVersion is not sent as a precondition; the patch's {@code test} operations guard it instead.
     */
    static void send(KubernetesClient client, Deployment current, List<Map<String, Object>> ops) {
        client.apps().deployments().inNamespace(current.getMetadata().getNamespace()).resource(current)
                .patch(PatchContext.of(PatchType.JSON), client.getKubernetesSerialization().asJson(ops));
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
