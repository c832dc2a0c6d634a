package dev.cicd.testkit.internal.k8s;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Merge patches applied in memory: JSON merge patch (RFC 7386) exactly, and strategic merge patch
 * done simply (lists of containers, env vars, volumes, ports, ... merged by their key; every other
 * list replaced; {@code $patch: delete} in a keyed list honoured; other directives ignored).
 */
final class Patches {

    /** Merge keys of the strategic-merge lists, by field name. */
    private static final Map<String, String> MERGE_KEYS = Map.ofEntries(
            Map.entry("containers", "name"),
            Map.entry("initContainers", "name"),
            Map.entry("ephemeralContainers", "name"),
            Map.entry("env", "name"),
            Map.entry("volumes", "name"),
            Map.entry("imagePullSecrets", "name"),
            Map.entry("volumeMounts", "mountPath"),
            Map.entry("volumeDevices", "devicePath"),
            Map.entry("conditions", "type"),
            Map.entry("hostAliases", "ip"),
            Map.entry("ownerReferences", "uid"));

    private Patches() {
    }

    /** RFC 7386: objects merged recursively, {@code null} removes, everything else replaces. */
    static JsonNode mergePatch(JsonNode target, JsonNode patch) {
        if (!patch.isObject()) {
            return patch.deepCopy();
        }
        ObjectNode result = target != null && target.isObject()
                ? (ObjectNode) target.deepCopy()
                : ((ObjectNode) patch).objectNode();
        for (Map.Entry<String, JsonNode> e : patch.properties()) {
            if (e.getValue().isNull()) {
                result.remove(e.getKey());
            } else {
                result.set(e.getKey(), mergePatch(result.get(e.getKey()), e.getValue()));
            }
        }
        return result;
    }

    /** Strategic merge patch, simplified (see the class comment). */
    static JsonNode strategicMergePatch(JsonNode target, JsonNode patch) {
        if (!patch.isObject()) {
            return patch.deepCopy();
        }
        ObjectNode result = target != null && target.isObject()
                ? (ObjectNode) target.deepCopy()
                : ((ObjectNode) patch).objectNode();
        for (Map.Entry<String, JsonNode> e : patch.properties()) {
            String field = e.getKey();
            JsonNode value = e.getValue();
            if (field.startsWith("$")) {
                continue;
            }
            if (value.isNull()) {
                result.remove(field);
                continue;
            }
            JsonNode current = result.get(field);
            if (value.isArray() && current != null && current.isArray()) {
                Optional<String> key = mergeKey(field, value);
                if (key.isPresent()) {
                    result.set(field, mergeList((ArrayNode) current, (ArrayNode) value, key.get()));
                    continue;
                }
            }
            if (value.isObject()) {
                result.set(field, strategicMergePatch(current, value));
            } else {
                result.set(field, value.deepCopy());
            }
        }
        return result;
    }

    private static Optional<String> mergeKey(String field, JsonNode patchList) {
        String key = MERGE_KEYS.get(field);
        if (key == null && field.equals("ports")) {
            key = hasKeyEverywhere(patchList, "containerPort") ? "containerPort" : "port";
        }
        return key != null && hasKeyEverywhere(patchList, key) ? Optional.of(key) : Optional.empty();
    }

    private static boolean hasKeyEverywhere(JsonNode list, String key) {
        for (JsonNode item : list) {
            if (!item.isObject() || !item.has(key)) {
                return false;
            }
        }
        return true;
    }

    private static ArrayNode mergeList(ArrayNode current, ArrayNode patch, String key) {
        List<JsonNode> items = new ArrayList<>();
        current.forEach(items::add);
        for (JsonNode p : patch) {
            int at = indexOf(items, key, p.get(key));
            boolean delete = "delete".equals(p.path("$patch").asString(""));
            if (delete) {
                if (at >= 0) {
                    items.remove(at);
                }
            } else if (at >= 0) {
                items.set(at, strategicMergePatch(items.get(at), p));
            } else {
                items.add(strategicMergePatch(null, p));
            }
        }
        ArrayNode result = current.arrayNode();
        items.forEach(result::add);
        return result;
    }

    private static int indexOf(List<JsonNode> items, String key, JsonNode value) {
        for (int i = 0; i < items.size(); i++) {
            if (value.equals(items.get(i).get(key))) {
                return i;
            }
        }
        return -1;
    }
}
