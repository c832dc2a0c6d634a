package dev.cicd.etcd.internal.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cicd.core.CicdException;
import dev.cicd.etcd.internal.Checks;
import dev.cicd.etcd.internal.KvTransport;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import javax.net.ssl.SSLContext;

/**
 * {@link KvTransport} over etcd's v3 JSON gateway (etcd 3.4 and later serve it on the client port): one
 * kept-alive HTTP/1.1 connection for requests, one more per watch. With a user, a token from
 * {@code /v3/auth/authenticate} goes with every request and is fetched again once when etcd says it
 * expired. Endpoints are tried in order until one connects.
 */
public final class GatewayTransport implements KvTransport {

    static final ObjectMapper JSON = new ObjectMapper();
    private static final int UNAUTHENTICATED = 16;

    private final List<URI> endpoints;
    private final String user;
    private final String password;
    private final SSLContext ssl;
    private final Duration requestTimeout;
    private final List<GatewayWatch> watches = new ArrayList<>();
    private HttpConnection conn;
    private URI connectedTo;
    private String token;
    private boolean closed;

    /**
     * @param user null for none
     * @param ssl  for https endpoints; null when every endpoint is http
     */
    public GatewayTransport(List<URI> endpoints, String user, String password, SSLContext ssl, Duration requestTimeout) {
        if (endpoints.isEmpty()) {
            throw new IllegalArgumentException("no etcd endpoint given (e.g. http://127.0.0.1:2379)");
        }
        this.endpoints = List.copyOf(endpoints);
        this.user = user;
        this.password = password;
        this.ssl = ssl;
        this.requestTimeout = Objects.requireNonNull(requestTimeout, "requestTimeout");
    }

    @Override
    public long put(String key, byte[] value) {
        ObjectNode b = JSON.createObjectNode().put("key", b64(key)).put("value", Base64.getEncoder().encodeToString(value));
        return revision(call("/v3/kv/put", b, "putting " + key, false));
    }

    @Override
    public Range get(String prefix) {
        JsonNode r = call("/v3/kv/range", range(prefix), "reading the keys under " + prefix, true);
        List<Kv> kvs = new ArrayList<>();
        for (JsonNode kv : r.path("kvs")) {
            kvs.add(kv(kv));
        }
        return new Range(kvs, revision(r));
    }

    @Override
    public long count(String prefix) {
        ObjectNode b = range(prefix).put("count_only", true);
        return call("/v3/kv/range", b, "counting the keys under " + prefix, true).path("count").asLong(0);
    }

    @Override
    public Watching watch(String prefix, long fromRevision, WatchListener listener) {
        return watch(prefix, fromRevision, listener, "watching the keys under " + prefix);
    }

    @Override
    public Watching watchFromNow(String prefix, WatchListener listener) {
        // the stream's first message is etcd's confirmation: the watch exists once GatewayWatch.start returns
        return watch(prefix, 0, listener, "watching the keys under " + prefix);
    }

    private Watching watch(String prefix, long fromRevision, WatchListener listener, String what) {
        ObjectNode create = JSON.createObjectNode();
        ObjectNode request = create.putObject("create_request").put("key", b64(prefix))
                .put("range_end", b64(Checks.prefixEnd(prefix.getBytes(StandardCharsets.UTF_8))));
        if (fromRevision > 0) {
            request.put("start_revision", fromRevision);
        }
        byte[] body = create.toString().getBytes(StandardCharsets.UTF_8);
        synchronized (this) {
            ensureOpen(what);
            authenticate(what);
            GatewayWatch w;
            try {
                HttpConnection c = HttpConnection.open(connectedTo, ssl, requestTimeout);
                w = GatewayWatch.start(c, body, token, listener, what);
            } catch (IOException e) {
                throw unreachable(what, e);
            }
            watches.add(w);
            return w;
        }
    }

    @Override
    public String describe() {
        return "etcd at " + endpoints + " (JSON gateway)";
    }

    @Override
    public synchronized void close() {
        closed = true;
        for (GatewayWatch w : watches) {
            w.close();
        }
        watches.clear();
        dropConnection();
    }

    // ---- requests

    private synchronized JsonNode call(String path, ObjectNode body, String what, boolean idempotent) {
        byte[] bytes = body.toString().getBytes(StandardCharsets.UTF_8);
        boolean retriedConnection = false;
        boolean retriedToken = false;
        while (true) {
            ensureOpen(what);
            authenticate(what);
            boolean reused = conn != null && conn.used();
            HttpConnection.Response r;
            try {
                if (conn == null) {
                    conn = HttpConnection.open(connectedTo, ssl, requestTimeout);
                }
                r = conn.post(path, token, bytes);
                if (!conn.reusable()) {
                    dropConnection();
                }
            } catch (IOException e) {
                dropConnection();
                // a kept-alive connection the server closed meanwhile: once more on a new one, when repeating is safe
                if (reused && idempotent && !retriedConnection) {
                    retriedConnection = true;
                    continue;
                }
                throw unreachable(what, e);
            }
            if (r.status() == 200) {
                return parse(r, what);
            }
            Failure f = Failure.of(r);
            if (f.code() == UNAUTHENTICATED && token != null && !retriedToken) {
                retriedToken = true;     // the token expired: fetch another and ask again (nothing was applied)
                token = null;
                continue;
            }
            throw refused(what, r.status(), f);
        }
    }

    private void ensureOpen(String what) {
        if (closed) {
            throw new CicdException(CicdException.Code.SOURCE, what + ": the etcd client is closed");
        }
        if (connectedTo != null) {
            return;
        }
        IOException last = null;
        for (URI e : endpoints) {
            try {
                conn = HttpConnection.open(e, ssl, requestTimeout);
                connectedTo = e;
                return;
            } catch (IOException ex) {
                last = ex;
            }
        }
        throw unreachable(what, last);
    }

    private void authenticate(String what) {
        if (user == null || token != null) {
            return;
        }
        ObjectNode b = JSON.createObjectNode().put("name", user).put("password", password);
        try {
            if (conn == null) {
                conn = HttpConnection.open(connectedTo, ssl, requestTimeout);
            }
            HttpConnection.Response r = conn.post("/v3/auth/authenticate", null, b.toString().getBytes(StandardCharsets.UTF_8));
            if (!conn.reusable()) {
                dropConnection();
            }
            if (r.status() != 200) {
                Failure f = Failure.of(r);
                if (r.status() == 404) {
                    throw refused(what, 404, f);
                }
                throw new CicdException(CicdException.Code.SOURCE, what + ": etcd at " + connectedTo
                        + " refused the credentials of user " + user + ": " + f.message());
            }
            token = parse(r, "authenticating as " + user).path("token").asText(null);
            if (token == null || token.isEmpty()) {
                throw new CicdException(CicdException.Code.SOURCE, what + ": etcd at " + connectedTo
                        + " gave no token for user " + user + " (is authentication enabled?)");
            }
        } catch (IOException e) {
            dropConnection();
            throw unreachable(what, e);
        }
    }

    private void dropConnection() {
        if (conn != null) {
            try {
                conn.close();
            } catch (IOException e) {
                // nothing to do
            }
            conn = null;
        }
    }

    private JsonNode parse(HttpConnection.Response r, String what) {
        try {
            return JSON.readTree(r.body());
        } catch (IOException e) {
            throw new GatewayMissingException(what + ": etcd at " + connectedTo + " answered with no JSON ("
                    + abbreviate(r.text()) + "); etcd 3.4 or later serves the v3 JSON gateway on its client port");
        }
    }

    private CicdException refused(String what, int status, Failure f) {
        if (status == 404) {
            return new GatewayMissingException(what + ": etcd at " + connectedTo + " does not serve the v3 JSON "
                    + "gateway (HTTP 404); etcd 3.4 or later serves it on its client port");
        }
        return new CicdException(CicdException.Code.SOURCE, what + ": etcd at " + connectedTo + " refused (HTTP "
                + status + (f.code() >= 0 ? ", code " + f.code() : "") + "): " + f.message());
    }

    private CicdException unreachable(String what, IOException e) {
        return new CicdException(CicdException.Code.SOURCE, what + ": cannot reach etcd at "
                + (connectedTo != null ? connectedTo : endpoints) + ": " + (e == null ? "no endpoint" : e), e);
    }

    // ---- JSON helpers

    private static ObjectNode range(String prefix) {
        return JSON.createObjectNode().put("key", b64(prefix)).put("range_end", b64(Checks.prefixEnd(prefix.getBytes(StandardCharsets.UTF_8))));
    }

    static Kv kv(JsonNode kv) {
        return new Kv(text(kv.path("key").asText("")), text(kv.path("value").asText("")));
    }

    static long revision(JsonNode response) {
        return response.path("header").path("revision").asLong(0);
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    private static String b64(byte[] b) {
        return Base64.getEncoder().encodeToString(b);
    }

    private static String text(String b64) {
        return new String(Base64.getDecoder().decode(b64), StandardCharsets.UTF_8);
    }


    static String abbreviate(String s) {
        String one = s.strip().replaceAll("\\s+", " ");
        return one.length() > 120 ? one.substring(0, 120) + "..." : one;
    }

    /** The error body of the gateway: {@code {"error": "...", "code": 9, "message": "..."}}. */
    record Failure(int code, String message) {
        static Failure of(HttpConnection.Response r) {
            try {
                JsonNode n = JSON.readTree(r.body());
                String m = n.path("message").asText(n.path("error").asText(""));
                return new Failure(n.path("code").asInt(-1), m.isEmpty() ? abbreviate(r.text()) : m);
            } catch (IOException | RuntimeException e) {
                return new Failure(-1, abbreviate(r.text()));
            }
        }
    }

    /** The endpoint answers HTTP but not etcd's JSON gateway (an older etcd, or a gRPC-only proxy). */
    public static final class GatewayMissingException extends CicdException {
        GatewayMissingException(String message) {
            super(Code.SOURCE, message);
        }
    }
}
