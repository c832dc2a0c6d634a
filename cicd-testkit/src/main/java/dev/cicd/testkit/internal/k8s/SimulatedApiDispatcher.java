package dev.cicd.testkit.internal.k8s;

import dev.cicd.testkit.RequestLog;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.fabric8.mockwebserver.dsl.HttpMethod;
import io.fabric8.mockwebserver.http.Buffer;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.Headers;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.fabric8.zjsonpatch.JsonPatch;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BinaryOperator;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The simulated API server's front door: wraps fabric8's {@link KubernetesCrudDispatcher} and adds
 * what it lacks for kubectl and deploy code: a request log, discovery documents, JSON content
 * types, typed list kinds ({@code DeploymentList} rather than {@code List}), the {@code scale}
 * subresource, status kept on writes to the main resource of types with a status subresource,
 * every patch type applied here (JSON patch, JSON merge patch per RFC 7386, strategic merge and
 * server-side apply done simply) and {@code dryRun=All}. It never touches the CRUD dispatcher's
 * storage: what it adds is expressed as ordinary GET/POST/PUT/DELETE requests to it. Writes are
 * serialised, so a read-modify-write is atomic.
 */
final class SimulatedApiDispatcher extends Dispatcher {

    /** User-Agent prefix of the simulated controller; its requests are not logged. */
    static final String CONTROLLER_AGENT = "cicd-testkit-deployment-controller";

    private static final Logger LOG = LoggerFactory.getLogger(SimulatedApiDispatcher.class);
    private static final Set<String> HEALTH = Set.of("/healthz", "/livez", "/readyz");
    private static final Set<String> NOT_REPLACED_BY_APPLY = Set.of("apiVersion", "kind", "metadata", "status");
    private static final Set<String> SCALABLE = Set.of("deployments", "replicasets", "statefulsets");

    /** A request refused with a Kubernetes {@code Status}. */
    private static final class Rejected extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final int code;
        private final String reason;

        Rejected(int code, String reason, String message) {
            super(message);
            this.code = code;
            this.reason = reason;
        }
    }

    /** What one request asks for, parsed once. */
    private record Call(RecordedRequest request, String method, ApiPath api, String contentType, boolean dryRun) {
    }

    private final KubernetesCrudDispatcher crud;
    private final RecordingRequestLog log;
    private final JsonMapper json = JsonMapper.builder().build();
    private final Discovery discovery = new Discovery(json);
    private final KubernetesSerialization serialization = new KubernetesSerialization();
    private final ReentrantLock writes = new ReentrantLock();

    SimulatedApiDispatcher(KubernetesCrudDispatcher crud, RecordingRequestLog log) {
        this.crud = crud;
        this.log = log;
    }

    @Override
    public MockResponse dispatch(RecordedRequest request) {
        String full = request.getPath() == null ? "/" : request.getPath();
        int q = full.indexOf('?');
        String path = q < 0 ? full : full.substring(0, q);
        String query = q < 0 ? "" : full.substring(q + 1);
        String method = request.getMethod() == null ? "GET" : request.getMethod().toUpperCase(Locale.ROOT);
        String contentType = Optional.ofNullable(request.getHeader("Content-Type")).orElse("");
        String agent = Optional.ofNullable(request.getHeader("User-Agent")).orElse("");
        if (!agent.startsWith(CONTROLLER_AGENT)) {
            log.record(new RequestLog.Request(method, path, query, contentType));
        }
        MockResponse response;
        try {
            response = route(request, method, path, query, contentType);
        } catch (Rejected e) {
            response = status(e.code, e.reason, e.getMessage());
        } catch (JacksonException e) {
            response = status(400, "BadRequest", "cannot parse the request body: " + e.getOriginalMessage());
        } catch (RuntimeException e) {
            LOG.warn("simulated API server failed on {} {}", method, full, e);
            response = status(500, "InternalError", e.toString());
        }
        if (response.getWebSocketListener() == null && response.header("Content-Type") == null) {
            response.setHeader("Content-Type", "application/json");
        }
        return response;
    }

    private MockResponse route(RecordedRequest request, String method, String path, String query, String contentType) {
        if (method.equals("GET") || method.equals("HEAD")) {
            Optional<String> document = discovery.document(path);
            if (document.isPresent()) {
                return new MockResponse().setResponseCode(200).setBody(document.get());
            }
            if (HEALTH.contains(path)) {
                return new MockResponse().setResponseCode(200).setHeader("Content-Type", "text/plain").setBody("ok");
            }
        }
        if (contentType.toLowerCase(Locale.ROOT).startsWith("application/vnd.kubernetes.protobuf")) {
            // client-go (kubectl's typed clients) falls back to JSON on a 415
            throw new Rejected(415, "UnsupportedMediaType", "protobuf is not supported, send JSON");
        }
        ApiPath api = ApiPath.parse(path)
                .orElseThrow(() -> new Rejected(404, "NotFound", "the server could not find the requested resource"));
        boolean dryRun = Arrays.stream(query.split("&")).anyMatch(p -> p.equals("dryRun=All"));
        Call call = new Call(request, method, api, contentType.toLowerCase(Locale.ROOT), dryRun);
        if (api.subresource().equals("scale") && SCALABLE.contains(api.plural())) {
            return switch (method) {
                case "GET" -> scaleOf(stored(api));
                case "PUT", "PATCH" -> locked(() -> updateScale(call));
                default -> throw new Rejected(405, "MethodNotAllowed", method + " is not supported on scale");
            };
        }
        return switch (method) {
            case "GET" -> list(request, api, query);
            case "POST" -> locked(() -> create(call));
            case "PUT" -> locked(() -> replace(call));
            case "PATCH" -> locked(() -> patch(call));
            case "DELETE" -> locked(() -> delete(call));
            default -> throw new Rejected(405, "MethodNotAllowed", method + " is not supported");
        };
    }

    /** GETs go to the CRUD dispatcher; lists get their typed kind. */
    private MockResponse list(RecordedRequest request, ApiPath api, String query) {
        MockResponse response = crud.dispatch(request);
        boolean watch = Arrays.stream(query.split("&")).anyMatch(p -> p.equals("watch=true") || p.equals("watch=1"));
        if (!watch && api.isCollection() && response.code() == 200) {
            Optional<Discovery.Resource> type = Discovery.resource(api.groupVersion(), api.plural());
            if (type.isPresent()) {
                JsonNode list = json.readTree(body(response));
                if (list instanceof ObjectNode o && "List".equals(o.path("kind").asString(""))) {
                    o.put("kind", type.get().kind() + "List");
                    o.put("apiVersion", api.groupVersion());
                    response.setBody(json.writeValueAsString(o));
                }
            }
        }
        return response;
    }

    private MockResponse create(Call call) {
        if (!call.api().subresource().isEmpty() || !call.api().isCollection()) {
            throw new Rejected(405, "MethodNotAllowed", "POST needs a collection path");
        }
        ObjectNode object = object(body(call.request()));
        if (hasStatus(call.api())) {
            object.remove("status");
        }
        if (call.dryRun()) {
            return new MockResponse().setResponseCode(201).setBody(json.writeValueAsString(object));
        }
        return forward(HttpMethod.POST, call.request().getPath(), json.writeValueAsString(object));
    }

    private MockResponse replace(Call call) {
        ApiPath api = call.api();
        if (api.isCollection()) {
            throw new Rejected(405, "MethodNotAllowed", "PUT needs an object name");
        }
        ObjectNode object = object(body(call.request()));
        Optional<JsonNode> stored = find(api);
        if (stored.isEmpty()) {
            throw notFound(api);
        }
        if (api.subresource().equals("status")) {
            ObjectNode updated = (ObjectNode) stored.get().deepCopy();
            updated.set("status", object.get("status"));
            if (object.path("metadata").has("resourceVersion")) {
                ((ObjectNode) updated.get("metadata")).set("resourceVersion", object.path("metadata").get("resourceVersion"));
            }
            return write(call, stored.get(), updated);
        }
        return write(call, stored.get(), object);
    }

    private MockResponse delete(Call call) {
        if (call.dryRun() && !call.api().isCollection()) {
            JsonNode stored = find(call.api()).orElseThrow(() -> notFound(call.api()));
            return new MockResponse().setResponseCode(200).setBody(json.writeValueAsString(stored));
        }
        if (call.dryRun()) {
            throw new Rejected(400, "BadRequest", "dryRun is not supported on a collection delete");
        }
        return crud.dispatch(call.request());
    }

    private MockResponse patch(Call call) {
        ApiPath api = call.api();
        if (api.isCollection()) {
            throw new Rejected(405, "MethodNotAllowed", "PATCH needs an object name");
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
            merge = SimulatedApiDispatcher::jsonPatch;
        } else {
            throw new Rejected(415, "UnsupportedMediaType", "unsupported patch type " + call.contentType());
        }
        JsonNode stored = find(api).orElseThrow(() -> notFound(api));
        JsonNode updated = merge.apply(stored, json.readTree(body(call.request())));
        if (!(updated instanceof ObjectNode o)) {
            throw new Rejected(422, "Invalid", "the patch does not leave an object");
        }
        return write(call, stored, o);
    }

    private static JsonNode jsonPatch(JsonNode stored, JsonNode patch) {
        if (!patch.isArray()) {
            throw new Rejected(400, "BadRequest", "a JSON patch must be an array of operations");
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
            throw new Rejected(422, "Invalid", "the JSON patch cannot be applied: " + e.getMessage());
        }
    }

    /**
     * Server-side apply done simply: create when absent; otherwise every top-level field sent
     * (spec, data, ...) replaces the stored one, and labels and annotations sent are merged over
     * the stored ones. No field ownership, no conflicts, no managedFields.
     */
    private MockResponse apply(Call call) {
        ApiPath api = call.api();
        ObjectNode object = object(serialization.convertToJson(body(call.request())));
        ObjectNode metadata = object.get("metadata") instanceof ObjectNode m ? m : object.putObject("metadata");
        if (!metadata.has("name")) {
            metadata.put("name", api.name());
        }
        if (!api.namespace().isEmpty() && !metadata.has("namespace")) {
            metadata.put("namespace", api.namespace());
        }
        if (!metadata.path("name").asString("").equals(api.name())) {
            throw new Rejected(400, "BadRequest", "the name of the object (" + metadata.path("name").asString("")
                    + ") does not match the name on the URL (" + api.name() + ")");
        }
        Optional<JsonNode> found = find(api);
        if (found.isEmpty()) {
            if (!api.subresource().isEmpty()) {
                throw notFound(api);
            }
            if (hasStatus(api)) {
                object.remove("status");
            }
            if (call.dryRun()) {
                return new MockResponse().setResponseCode(201).setBody(json.writeValueAsString(object));
            }
            return forward(HttpMethod.POST, api.collectionPath(), json.writeValueAsString(object));
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
        return write(call, stored, updated);
    }

    /** The {@code scale} subresource: an {@code autoscaling/v1 Scale} view of spec.replicas. */
    private MockResponse updateScale(Call call) {
        ApiPath api = call.api();
        JsonNode stored = stored(api);
        JsonNode sent = json.readTree(body(call.request()));
        JsonNode scale;
        if (call.method().equals("PUT")) {
            scale = sent;
        } else if (call.contentType().startsWith("application/strategic-merge-patch+json")) {
            scale = Patches.strategicMergePatch(scaleView(stored), requireObject(sent));
        } else if (call.contentType().startsWith("application/merge-patch+json")) {
            scale = Patches.mergePatch(scaleView(stored), requireObject(sent));
        } else if (call.contentType().startsWith("application/json-patch+json")) {
            scale = jsonPatch(scaleView(stored), sent);
        } else {
            throw new Rejected(415, "UnsupportedMediaType", "unsupported patch type " + call.contentType());
        }
        JsonNode replicas = scale.path("spec").path("replicas");
        if (!replicas.isIntegralNumber() || replicas.asInt() < 0) {
            throw new Rejected(422, "Invalid", "spec.replicas must be a non-negative integer");
        }
        ObjectNode updated = (ObjectNode) stored.deepCopy();
        (updated.get("spec") instanceof ObjectNode spec ? spec : updated.putObject("spec")).put("replicas", replicas.asInt());
        ApiPath object = new ApiPath(api.group(), api.version(), api.namespace(), api.plural(), api.name(), "");
        MockResponse written = write(new Call(call.request(), "PUT", object, "", call.dryRun()), stored, updated);
        return written.code() == 200 ? scaleOf(json.readTree(body(written))) : written;
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

    /**
     * Stores {@code updated} with a PUT: to {@code /status} for the status subresource (only the
     * status changes), else to the object, keeping the stored status when the type has a status
     * subresource. With {@code dryRun} the object is returned and nothing is stored.
     */
    private MockResponse write(Call call, JsonNode stored, ObjectNode updated) {
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

    private Optional<JsonNode> find(ApiPath api) {
        MockResponse response = forward(HttpMethod.GET, api.objectPath(), null);
        return response.code() == 200 ? Optional.of(json.readTree(body(response))) : Optional.empty();
    }

    private JsonNode stored(ApiPath api) {
        return find(api).orElseThrow(() -> notFound(api));
    }

    private MockResponse locked(Supplier<MockResponse> action) {
        writes.lock();
        try {
            return action.get();
        } finally {
            writes.unlock();
        }
    }

    private MockResponse forward(HttpMethod method, String path, String body) {
        Headers headers = Headers.builder().add("Content-Type", "application/json").build();
        Buffer buffer = new Buffer();
        if (body != null) {
            buffer.writeUtf8(body);
        }
        return crud.dispatch(new RecordedRequest("HTTP/1.1", method, path, headers, buffer));
    }

    private ObjectNode object(String text) {
        JsonNode node = json.readTree(text);
        if (!(node instanceof ObjectNode o)) {
            throw new Rejected(400, "BadRequest", "the request body is not an object");
        }
        return o;
    }

    private static JsonNode requireObject(JsonNode patch) {
        if (!patch.isObject()) {
            throw new Rejected(400, "BadRequest", "a merge patch must be a JSON object");
        }
        return patch;
    }

    private static boolean hasStatus(ApiPath api) {
        return Discovery.resource(api.groupVersion(), api.plural()).map(Discovery.Resource::statusSubresource).orElse(false);
    }

    private static Rejected notFound(ApiPath api) {
        return new Rejected(404, "NotFound", api.plural() + " \"" + api.name() + "\" not found");
    }

    private MockResponse status(int code, String reason, String message) {
        ObjectNode status = json.createObjectNode();
        status.put("kind", "Status");
        status.put("apiVersion", "v1");
        status.putObject("metadata");
        status.put("status", "Failure");
        status.put("message", message);
        status.put("reason", reason);
        status.put("code", code);
        return new MockResponse().setResponseCode(code).setBody(json.writeValueAsString(status));
    }

    private static String body(RecordedRequest request) {
        return request.getBody() == null ? "" : new String(request.getBody().getBytes(), StandardCharsets.UTF_8);
    }

    private static String body(MockResponse response) {
        return response.getBody() == null ? "" : new String(response.getBody().getBytes(), StandardCharsets.UTF_8);
    }
}
