package dev.cicd.testkit.internal.k8s;

import io.fabric8.mockwebserver.http.MockResponse;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The {@code scale} subresource of the simulated API server: an {@code autoscaling/v1 Scale} view of
 * spec.replicas, read with GET and changed with PUT or any merge/JSON patch.
 */
final class ScaleSubresource {

    private final CrudStorage storage;
    private final JsonMapper json;

    ScaleSubresource(CrudStorage storage, JsonMapper json) {
        this.storage = storage;
        this.json = json;
    }

    MockResponse get(ApiPath api) {
        return scaleOf(storage.stored(api));
    }

    /** Sets spec.replicas from a PUT or PATCH of the Scale; the caller serialises writes. */
    MockResponse update(ApiCall call) {
        ApiPath api = call.api();
        JsonNode stored = storage.stored(api);
        JsonNode sent = json.readTree(call.body());
        JsonNode scale;
        if (call.method().equals("PUT")) {
            scale = sent;
        } else if (call.contentType().startsWith("application/strategic-merge-patch+json")) {
            scale = Patches.strategicMergePatch(scaleView(stored), ObjectWrites.requireObject(sent));
        } else if (call.contentType().startsWith("application/merge-patch+json")) {
            scale = Patches.mergePatch(scaleView(stored), ObjectWrites.requireObject(sent));
        } else if (call.contentType().startsWith("application/json-patch+json")) {
            scale = ObjectWrites.jsonPatch(scaleView(stored), sent);
        } else {
            throw new ApiRejection(415, "UnsupportedMediaType", "unsupported patch type " + call.contentType());
        }
        JsonNode replicas = scale.path("spec").path("replicas");
        if (!replicas.isIntegralNumber() || replicas.asInt() < 0) {
            throw new ApiRejection(422, "Invalid", "spec.replicas must be a non-negative integer");
        }
        ObjectNode updated = (ObjectNode) stored.deepCopy();
        (updated.get("spec") instanceof ObjectNode spec ? spec : updated.putObject("spec")).put("replicas", replicas.asInt());
        ApiPath object = new ApiPath(api.group(), api.version(), api.namespace(), api.plural(), api.name(), "");
        MockResponse written = storage.write(new ApiCall(call.request(), "PUT", object, "", call.dryRun()), stored, updated);
        return written.code() == 200 ? scaleOf(json.readTree(ApiCall.body(written))) : written;
    }

    private MockResponse scaleOf(JsonNode object) {
        return new MockResponse().setResponseCode(200).setBody(json.writeValueAsString(scaleView(object)));
    }

    private ObjectNode scaleView(JsonNode object) {
        ObjectNode scale = json.createObjectNode();
        scale.put("kind", "Scale");
        scale.put("apiVersion", "autoscaling/v1");
        ObjectNode meta = scale.putObject("metadata");
        for (String field : new String[] {"name", "namespace", "uid", "resourceVersion", "creationTimestamp"}) {
            if (object.path("metadata").has(field)) {
                meta.set(field, object.path("metadata").get(field));
            }
        }
        scale.putObject("spec").put("replicas", object.path("spec").path("replicas").asInt(1));
        ObjectNode status = scale.putObject("status");
        status.put("replicas", object.path("status").path("replicas").asInt(0));
        StringBuilder selector = new StringBuilder();
        object.path("spec").path("selector").path("matchLabels").properties().forEach(e ->
                selector.append(selector.length() == 0 ? "" : ",").append(e.getKey()).append('=').append(e.getValue().asString("")));
        status.put("selector", selector.toString());
        return scale;
    }
}
