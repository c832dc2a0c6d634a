package dev.cicd.etcd.internal.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import dev.cicd.core.CicdException;
import dev.cicd.etcd.internal.KvTransport;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * One watch over the gateway: {@code POST /v3/watch} with a create request, then the stream of watch
 * responses (one JSON object each, in a chunked body) read on a daemon thread of its own.
 */
final class GatewayWatch implements KvTransport.Watching {

    private final HttpConnection conn;
    private final KvTransport.WatchListener listener;
    private final String what;
    private volatile boolean closed;

    private GatewayWatch(HttpConnection conn, KvTransport.WatchListener listener, String what) {
        this.conn = conn;
        this.listener = listener;
        this.what = what;
    }

    static GatewayWatch start(HttpConnection conn, byte[] createRequest, String token, KvTransport.WatchListener listener,
            String what) throws IOException {
        HttpConnection.Head head;
        try {
            head = conn.postStreaming("/v3/watch", token, createRequest);
            if (head.status() != 200) {
                HttpConnection.Response r = new HttpConnection.Response(head.status(), head.body().readAllBytes());
                GatewayTransport.Failure f = GatewayTransport.Failure.of(r);
                throw new CicdException(CicdException.Code.SOURCE, what + ": etcd refused the watch (HTTP "
                        + head.status() + "): " + f.message());
            }
            conn.readTimeout(Duration.ZERO);
        } catch (IOException | RuntimeException e) {
            conn.close();
            throw e;
        }
        GatewayWatch w = new GatewayWatch(conn, listener, what);
        Thread t = new Thread(() -> w.read(head), "cicd-gateway-watch");
        t.setDaemon(true);
        t.start();
        return w;
    }

    private void read(HttpConnection.Head head) {
        try (MappingIterator<JsonNode> it = GatewayTransport.JSON.readerFor(JsonNode.class).readValues(head.body())) {
            while (it.hasNextValue()) {
                JsonNode message = it.nextValue();
                JsonNode error = message.get("error");
                if (error != null) {
                    end(KvTransport.End.FAILED, new IOException(what + ": " + error.path("message").asText(error.toString())));
                    return;
                }
                JsonNode result = message.path("result");
                if (result.path("compact_revision").asLong(0) > 0) {
                    end(KvTransport.End.COMPACTED, new IOException(what + ": revision compacted (now at "
                            + result.path("compact_revision").asLong() + ")"));
                    return;
                }
                if (result.path("canceled").asBoolean(false)) {
                    end(KvTransport.End.FAILED, new IOException(what + ": etcd cancelled the watch: "
                            + result.path("cancel_reason").asText("")));
                    return;
                }
                List<KvTransport.Kv> puts = new ArrayList<>();
                for (JsonNode e : result.path("events")) {
                    if (!"DELETE".equals(e.path("type").asText("PUT"))) {
                        puts.add(GatewayTransport.kv(e.path("kv")));
                    }
                }
                if (!puts.isEmpty()) {
                    listener.puts(puts);
                }
            }
            end(KvTransport.End.FAILED, new IOException(what + ": etcd ended the watch stream"));
        } catch (IOException | RuntimeException e) {
            end(KvTransport.End.FAILED, e);
        }
    }

    private void end(KvTransport.End end, Throwable cause) {
        if (!closed) {
            closed = true;
            closeQuietly();
            listener.ended(end, cause);
        }
    }

    @Override
    public void close() {
        closed = true;
        closeQuietly();
    }

    private void closeQuietly() {
        try {
            conn.close();
        } catch (IOException e) {
            // nothing to do
        }
    }
}
