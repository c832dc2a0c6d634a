package dev.cicd.testkit.internal.k8s;

import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.fabric8.mockwebserver.dsl.HttpMethod;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.zjsonpatch.JsonPatch;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BinaryOperator;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The write verbs of the simulated API server on objects: create, replace (also of {@code status}),
 * delete, every patch type (JSON patch, JSON merge patch per RFC 7386, strategic merge) and server-side
 * apply done simply, each with {@code dryRun=All}. The caller serialises writes.
 */
final class ObjectWrites {

    private static final Set<String> NOT_REPLACED_BY_APPLY = Set.of("apiVersion", "kind", "metadata", "status");

    private final CrudStorage storage;
    private final JsonMapper json;
    private final KubernetesSerialization serialization = new KubernetesSerialization();

    ObjectWrites(CrudStorage storage, JsonMapper json) {
        this.storage = storage;
        this.json = json;
    }

    MockResponse create(ApiCall call) {
        if (!call.api().subresource().isEmpty() || !call.api().isCollection()) {
            throw new ApiRejection(405, "MethodNotAllowed", "POST needs a collection path");
        }
        ObjectNode object = object(call.body());
        if (CrudStorage.hasStatus(call.api())) {
            object.remove("status");
        }
        if (call.dryRun()) {
            return new MockResponse().setResponseCode(201).setBody(json.writeValueAsString(object));
        }
        return storage.forward(HttpMethod.POST, call.request().getPath(), json.writeValueAsString(object));
    }

    MockResponse replace(ApiCall call) {
        ApiPath api = call.api();
        if (api.isCollection()) {
            throw new ApiRejection(405, "MethodNotAllowed", "PUT needs an object name");
        }
        ObjectNode object = object(call.body());
        Optional<JsonNode> stored = storage.find(api);
        if (stored.isEmpty()) {
            throw ApiRejection.notFound(api);
        }
        if (api.subresource().equals("status")) {
            ObjectNode updated = (ObjectNode) stored.get().deepCopy();
            updated.set("status", object.get("status"));
            if (object.path("metadata").has("resourceVersion")) {
                ((ObjectNode) updated.get("metadata")).set("resourceVersion", object.path("metadata").get("resourceVersion"));
            }
            return storage.write(call, stored.get(), updated);
        }
        return storage.write(call, stored.get(), object);
    }

    MockResponse delete(ApiCall call) {
        if (call.dryRun() && !call.api().isCollection()) {
            JsonNode stored = storage.stored(call.api());
            return new MockResponse().setResponseCode(200).setBody(json.writeValueAsString(stored));
        }
        if (call.dryRun()) {
            throw new ApiRejection(400, "BadRequest", "dryRun is not supported on a collection delete");
        }
        return storage.dispatch(call.request());
    }

    MockResponse patch(ApiCall call) {
        ApiPath api = call.api();
        if (api.isCollection()) {
            throw new ApiRejection(405, "MethodNotAllowed", "PATCH needs an object name");
        }
        String type = call.contentType();
        if (type.startsWith("application/apply-patch")) {
            return apply(call);
        }
        BinaryOperator<JsonNode> merge;
        if (type.startsWith("application/merge-patch+json")) {
            merge = (stored, patch) -> Patches.mergePatch(stored, requireObject(patch));
        } else if (type.startsWith("application/strategic-merge-patch+json")) {
            merge = (stored, patch) -> Patches.strategicMergePatch(stored, requireObject(patch));
        } else if (type.isEmpty() || type.startsWith("application/json-patch+json")) {
            merge = ObjectWrites::jsonPatch;
        } else {
            throw new ApiRejection(415, "UnsupportedMediaType", "unsupported patch type " + call.contentType());
        }
        JsonNode stored = storage.stored(api);
        JsonNode updated = merge.apply(stored, json.readTree(call.body()));
        if (!(updated instanceof ObjectNode o)) {
            throw new ApiRejection(422, "Invalid", "the patch does not leave an object");
        }
        return storage.write(call, stored, o);
    }

    /** Applies a JSON patch (RFC 6902) to a copy of {@code stored}, creating missing parent objects first. */
    static JsonNode jsonPatch(JsonNode stored, JsonNode patch) {
        if (!patch.isArray()) {
            throw new ApiRejection(400, "BadRequest", "a JSON patch must be an array of operations");
        }
        JsonNode target = stored.deepCopy();
        // like the CRUD dispatcher: missing parent objects of a patched path are created
        for (JsonNode op : patch) {
            String[] parts = op.path("path").asString("").replaceFirst("^/", "").split("/");
            JsonNode node = target;
            for (int i = 0; i < parts.length - 1 && node instanceof ObjectNode o; i++) {
                String key = parts[i].replace("~1", "/").replace("~0", "~");
                if (!o.has(key)) {
                    o.putObject(key);
                }
                node = o.get(key);
            }
        }
        try {
            return JsonPatch.apply(patch, target);
        } catch (RuntimeException e) {
            throw new ApiRejection(422, "Invalid", "the JSON patch cannot be applied: " + e.getMessage());
        }
    }

    /** A merge patch (JSON or strategic) must be an object. */
    static JsonNode requireObject(JsonNode patch) {
        if (!patch.isObject()) {
            throw new ApiRejection(400, "BadRequest", "a merge patch must be a JSON object");
        }
        return patch;
    }

    /**
     * Server-side apply done simply: create when absent; otherwise every top-level field sent
     * (spec, data, ...) replaces the stored one, and labels and annotations sent are merged over
     * the stored ones. No field ownership, no conflicts, no managedFields.
     */
    private MockResponse apply(ApiCall call) {
        ApiPath api = call.api();
        ObjectNode object = object(serialization.convertToJson(call.body()));
        ObjectNode metadata = object.get("metadata") instanceof ObjectNode m ? m : object.putObject("metadata");
        if (!metadata.has("name")) {
            metadata.put("name", api.name());
        }
        if (!api.namespace().isEmpty() && !metadata.has("namespace")) {
            metadata.put("namespace", api.namespace());
        }
        if (!metadata.path("name").asString("").equals(api.name())) {
            throw new ApiRejection(400, "BadRequest", "the name of the object (" + metadata.path("name").asString("")
                    + ") does not match the name on the URL (" + api.name() + ")");
        }
        Optional<JsonNode> found = storage.find(api);
        if (found.isEmpty()) {
            if (!api.subresource().isEmpty()) {
                throw ApiRejection.notFound(api);
            }
            if (CrudStorage.hasStatus(api)) {
                object.remove("status");
            }
            if (call.dryRun()) {
                return new MockResponse().setResponseCode(201).setBody(json.writeValueAsString(object));
            }
            return storage.forward(HttpMethod.POST, api.collectionPath(), json.writeValueAsString(object));
        }
        JsonNode stored = found.get();
        ObjectNode updated = (ObjectNode) stored.deepCopy();
        if (api.subresource().equals("status")) {
            updated.set("status", object.get("status"));
        } else {
            for (Map.Entry<String, JsonNode> e : object.properties()) {
                if (!NOT_REPLACED_BY_APPLY.contains(e.getKey())) {
                    updated.set(e.getKey(), e.getValue());
                }
            }
            ObjectNode updatedMeta = (ObjectNode) updated.get("metadata");
            for (String map : new String[] {"labels", "annotations"}) {
                if (metadata.get(map) instanceof ObjectNode sentMap) {
                    ObjectNode target = updatedMeta.get(map) instanceof ObjectNode m ? m : updatedMeta.putObject(map);
                    sentMap.properties().forEach(e -> target.set(e.getKey(), e.getValue()));
                }
            }
            for (String field : new String[] {"ownerReferences", "finalizers"}) {
                if (metadata.has(field)) {
                    updatedMeta.set(field, metadata.get(field));
                }
            }
        }
        return storage.write(call, stored, updated);
    }

    private ObjectNode object(String text) {
        JsonNode node = json.readTree(text);
        if (!(node instanceof ObjectNode o)) {
            throw new ApiRejection(400, "BadRequest", "the request body is not an object");
        }
        return o;
    }
}
