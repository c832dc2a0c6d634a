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

    /**
     * Sends the create request and reads etcd's first answer (the confirmation that the watch exists) before
     * returning; the rest of the stream is read on a daemon thread.
     */
    static GatewayWatch start(HttpConnection conn, byte[] createRequest, String token, KvTransport.WatchListener listener,
            String what) throws IOException {
        MappingIterator<JsonNode> stream;
        JsonNode first;
        try {
            HttpConnection.Head head = conn.postStreaming("/v3/watch", token, createRequest);
            if (head.status() != 200) {
                HttpConnection.Response r = new HttpConnection.Response(head.status(), head.body().readAllBytes());
                GatewayTransport.Failure f = GatewayTransport.Failure.of(r);
                throw new CicdException(CicdException.Code.SOURCE, what + ": etcd refused the watch (HTTP "
                        + head.status() + "): " + f.message());
            }
            stream = GatewayTransport.JSON.readerFor(JsonNode.class).readValues(head.body());
            if (!stream.hasNextValue()) {
                throw new IOException(what + ": etcd ended the watch stream before confirming the watch");
            }
            first = stream.nextValue();
            conn.readTimeout(Duration.ZERO);
        } catch (IOException | RuntimeException e) {
            conn.close();
            throw e;
        }
        GatewayWatch w = new GatewayWatch(conn, listener, what);
        Thread t = new Thread(() -> w.read(first, stream), "cicd-gateway-watch");
        t.setDaemon(true);
        t.start();
        return w;
    }

    private void read(JsonNode first, MappingIterator<JsonNode> stream) {
        try (stream) {
            if (!handle(first)) {
                return;
            }
            while (stream.hasNextValue()) {
                if (!handle(stream.nextValue())) {
                    return;
                }
            }
            end(KvTransport.End.FAILED, new IOException(what + ": etcd ended the watch stream"));
        } catch (IOException | RuntimeException e) {
            end(KvTransport.End.FAILED, e);
        }
    }

    /** One message of the stream; false when it ended the watch. */
    private boolean handle(JsonNode message) {
        JsonNode error = message.get("error");
        if (error != null) {
            end(KvTransport.End.FAILED, new IOException(what + ": " + error.path("message").asText(error.toString())));
            return false;
        }
        JsonNode result = message.path("result");
        if (result.path("compact_revision").asLong(0) > 0) {
            end(KvTransport.End.COMPACTED, new IOException(what + ": revision compacted (now at "
                    + result.path("compact_revision").asLong() + ")"));
            return false;
        }
        if (result.path("canceled").asBoolean(false)) {
            end(KvTransport.End.FAILED, new IOException(what + ": etcd cancelled the watch: "
                    + result.path("cancel_reason").asText("")));
            return false;
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
        return true;
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
