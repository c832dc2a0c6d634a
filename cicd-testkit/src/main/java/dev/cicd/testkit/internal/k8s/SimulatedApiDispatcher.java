package dev.cicd.testkit.internal.k8s;

import dev.cicd.testkit.RequestLog;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
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
 * subresource ({@link ScaleSubresource}), status kept on writes to the main resource of types with a
 * status subresource, every patch type applied here (JSON patch, JSON merge patch per RFC 7386,
 * strategic merge and server-side apply done simply) and {@code dryRun=All} ({@link ObjectWrites}).
 * It never touches the CRUD dispatcher's storage: what it adds is expressed as ordinary
 * GET/POST/PUT/DELETE requests to it ({@link CrudStorage}). Writes are serialised, so a
 * read-modify-write is atomic. This class logs and routes each request and turns refusals into
 * Kubernetes {@code Status} answers.
 */
final class SimulatedApiDispatcher extends Dispatcher {

    /** User-Agent prefix of the simulated controller; its requests are not logged. */
    static final String CONTROLLER_AGENT = "cicd-testkit-deployment-controller";

    private static final Logger LOG = LoggerFactory.getLogger(SimulatedApiDispatcher.class);
    private static final Set<String> HEALTH = Set.of("/healthz", "/livez", "/readyz");
    private static final Set<String> SCALABLE = Set.of("deployments", "replicasets", "statefulsets");

    private final RecordingRequestLog log;
    private final JsonMapper json = JsonMapper.builder().build();
    private final Discovery discovery = new Discovery(json);
    private final CrudStorage storage;
    private final ObjectWrites writes;
    private final ScaleSubresource scale;
    private final ReentrantLock writeLock = new ReentrantLock();

    SimulatedApiDispatcher(KubernetesCrudDispatcher crud, RecordingRequestLog log) {
        this.log = log;
        this.storage = new CrudStorage(crud, json);
        this.writes = new ObjectWrites(storage, json);
        this.scale = new ScaleSubresource(storage, json);
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
        } catch (ApiRejection e) {
            response = status(e.code(), e.reason(), e.getMessage());
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
            throw new ApiRejection(415, "UnsupportedMediaType", "protobuf is not supported, send JSON");
        }
        ApiPath api = ApiPath.parse(path)
                .orElseThrow(() -> new ApiRejection(404, "NotFound", "the server could not find the requested resource"));
        boolean dryRun = Arrays.stream(query.split("&")).anyMatch(p -> p.equals("dryRun=All"));
        ApiCall call = new ApiCall(request, method, api, contentType.toLowerCase(Locale.ROOT), dryRun);
        if (api.subresource().equals("scale") && SCALABLE.contains(api.plural())) {
            return switch (method) {
                case "GET" -> scale.get(api);
                case "PUT", "PATCH" -> locked(() -> scale.update(call));
                default -> throw new ApiRejection(405, "MethodNotAllowed", method + " is not supported on scale");
            };
        }
        return switch (method) {
            case "GET" -> list(request, api, query);
            case "POST" -> locked(() -> writes.create(call));
            case "PUT" -> locked(() -> writes.replace(call));
            case "PATCH" -> locked(() -> writes.patch(call));
            case "DELETE" -> locked(() -> writes.delete(call));
            default -> throw new ApiRejection(405, "MethodNotAllowed", method + " is not supported");
        };
    }

    /** GETs go to the CRUD dispatcher; lists get their typed kind. */
    private MockResponse list(RecordedRequest request, ApiPath api, String query) {
        MockResponse response = storage.dispatch(request);
        boolean watch = Arrays.stream(query.split("&")).anyMatch(p -> p.equals("watch=true") || p.equals("watch=1"));
        if (!watch && api.isCollection() && response.code() == 200) {
            Optional<Discovery.Resource> type = Discovery.resource(api.groupVersion(), api.plural());
            if (type.isPresent()) {
                JsonNode list = json.readTree(ApiCall.body(response));
                if (list instanceof ObjectNode o && "List".equals(o.path("kind").asString(""))) {
                    o.put("kind", type.get().kind() + "List");
                    o.put("apiVersion", api.groupVersion());
                    response.setBody(json.writeValueAsString(o));
                }
            }
        }
        return response;
    }

    private MockResponse locked(Supplier<MockResponse> action) {
        writeLock.lock();
        try {
            return action.get();
        } finally {
            writeLock.unlock();
        }
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
}
