package dev.cicd.runner.internal.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code /livez}, {@code /readyz} (alias {@code /healthz}) and {@code /metrics} on the JDK's HTTP server.
 * Answers 200 or 503 with a small JSON body for the probes, Prometheus text for the metrics, 404 otherwise.
 */
public final class HttpEndpoint implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(HttpEndpoint.class);
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final HttpServer server;
    private final ExecutorService executor;

    private HttpEndpoint(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    /** Binds {@code host:port} (port 0: any free port) and starts serving. */
    public static HttpEndpoint start(String host, int port, Supplier<Health> health, Supplier<Liveness> liveness,
                                     RunnerMetrics metrics) {
        HttpServer server;
        try {
            server = HttpServer.create(new InetSocketAddress(host, port), 16);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on " + host + ":" + port + " for /livez, /readyz and /metrics: "
                    + e.getMessage(), e);
        }
        ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "cicd-http");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/", ex -> {
            try (ex) {
                String path = ex.getRequestURI().getPath();
                if (!ex.getRequestMethod().equals("GET") && !ex.getRequestMethod().equals("HEAD")) {
                    send(ex, 405, "text/plain; charset=utf-8", "method not allowed\n");
                    return;
                }
                switch (path) {
                    case "/livez" -> {
                        Liveness l = liveness.get();
                        send(ex, l.live() ? 200 : 503, "application/json", json(l.details(), l.live()));
                    }
                    case "/readyz", "/healthz" -> {
                        Health h = health.get();
                        send(ex, h.ready() ? 200 : 503, "application/json", json(h.details(), h.ready()));
                    }
                    case "/metrics" -> send(ex, 200, "text/plain; version=0.0.4; charset=utf-8", metrics.scrape());
                    default -> send(ex, 404, "text/plain; charset=utf-8", "not found; try /livez, /readyz, /metrics\n");
                }
            } catch (RuntimeException e) {
                LOG.warn("HTTP request {} failed: {}", ex.getRequestURI(), e.toString());
            }
        });
        server.start();
        LOG.info("health and metrics on http://{}:{}/ (livez, readyz, metrics)", host, server.getAddress().getPort());
        return new HttpEndpoint(server, executor);
    }

    /** The port actually bound. */
    public int port() {
        return server.getAddress().getPort();
    }

    private static String json(Map<String, Object> details, boolean ok) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", ok ? "ok" : "unavailable");
        body.putAll(new java.util.TreeMap<>(details));
        try {
            return JSON.writeValueAsString(body) + "\n";
        } catch (JsonProcessingException e) {
            return "{\"status\":\"" + (ok ? "ok" : "unavailable") + "\"}\n";
        }
    }

    private static void send(HttpExchange ex, int code, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", type);
        boolean head = ex.getRequestMethod().equals("HEAD");
        ex.sendResponseHeaders(code, head ? -1 : bytes.length);
        if (!head) {
            try (OutputStream o = ex.getResponseBody()) {
                o.write(bytes);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
