package dev.cicd.testkit.internal.k8s;

import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.mockwebserver.dsl.HttpMethod;
import io.fabric8.mockwebserver.http.Buffer;
import io.fabric8.mockwebserver.http.Headers;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.util.Optional;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The simulated API server's access to its objects: fabric8's {@link KubernetesCrudDispatcher}, reached
 * only with ordinary GET/POST/PUT/DELETE requests, never by touching its storage.
 */
final class CrudStorage {

    private final KubernetesCrudDispatcher crud;
    private final JsonMapper json;

    CrudStorage(KubernetesCrudDispatcher crud, JsonMapper json) {
        this.crud = crud;
        this.json = json;
    }

    /** Hands a client's request to the CRUD dispatcher as it is. */
    MockResponse dispatch(RecordedRequest request) {
        return crud.dispatch(request);
    }

    /** Sends a JSON request of our own to the CRUD dispatcher ({@code body} null for none). */
    MockResponse forward(HttpMethod method, String path, String body) {
        Headers headers = Headers.builder().add("Content-Type", "application/json").build();
        Buffer buffer = new Buffer();
        if (body != null) {
            buffer.writeUtf8(body);
        }
        return crud.dispatch(new RecordedRequest("HTTP/1.1", method, path, headers, buffer));
    }

    Optional<JsonNode> find(ApiPath api) {
        MockResponse response = forward(HttpMethod.GET, api.objectPath(), null);
        return response.code() == 200 ? Optional.of(json.readTree(ApiCall.body(response))) : Optional.empty();
    }

    /** The stored object, or a 404 {@link ApiRejection}. */
    JsonNode stored(ApiPath api) {
        return find(api).orElseThrow(() -> ApiRejection.notFound(api));
    }

    /**
     * Stores {@code updated} with a PUT: to {@code /status} for the status subresource (only the
     * status changes), else to the object, keeping the stored status when the type has a status
     * subresource. With {@code dryRun} the object is returned and nothing is stored.
     */
    MockResponse write(ApiCall call, JsonNode stored, ObjectNode updated) {
        ApiPath api = call.api();
        ObjectNode meta = updated.get("metadata") instanceof ObjectNode m ? m : updated.putObject("metadata");
        if (!meta.has("resourceVersion")) {
            meta.set("resourceVersion", stored.path("metadata").path("resourceVersion"));
        }
        boolean statusOnly = api.subresource().equals("status");
        if (!statusOnly && hasStatus(api)) {
            JsonNode storedStatus = stored.get("status");
            if (storedStatus == null) {
                updated.remove("status");
            } else {
                updated.set("status", storedStatus);
            }
        }
        if (call.dryRun()) {
            return new MockResponse().setResponseCode(200).setBody(json.writeValueAsString(updated));
        }
        MockResponse response = forward(HttpMethod.PUT, statusOnly ? api.objectPath() + "/status" : api.objectPath(),
                json.writeValueAsString(updated));
        return response.code() == 202 ? response.setResponseCode(200) : response;
    }

    /** Whether the resource type has a status subresource (its main resource then keeps the stored status). */
    static boolean hasStatus(ApiPath api) {
        return Discovery.resource(api.groupVersion(), api.plural()).map(Discovery.Resource::statusSubresource).orElse(false);
    }
}
