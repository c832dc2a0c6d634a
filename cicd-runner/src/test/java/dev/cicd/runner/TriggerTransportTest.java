package dev.cicd.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code trigger --transport}: against an endpoint that answers HTTP without etcd's JSON gateway (an etcd
 * before 3.4, a gRPC-only proxy), {@code http} stops with exit 5 naming the gateway, and {@code auto} goes on
 * with gRPC (which fails here too, since nothing there speaks gRPC, with the gRPC client's message).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TriggerTransportTest {

    @Test
    void httpStopsNamingTheGatewayAndAutoFallsBackToGrpc() throws Exception {
        AtomicInteger requests = new AtomicInteger();
        try (ServerSocket server = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            Thread t = new Thread(() -> answer404(server, requests), "not-a-gateway");
            t.setDaemon(true);
            t.start();
            String endpoint = "http://127.0.0.1:" + server.getLocalPort();

            CliTestSupport.Run http = CliTestSupport.run("trigger", "--transport", "http", "--endpoints", endpoint,
                    "--key", "/cicd/t/trigger", "--json", "{\"imageTag\":\"v1\"}");
            assertEquals(5, http.exitCode(), http.toString());
            assertTrue(http.err().contains("does not serve the v3 JSON gateway") && http.err().contains(endpoint),
                    http.toString());
            assertEquals(1, requests.get(), "one put tried, refused with 404, nothing repeated");

            CliTestSupport.Run auto = CliTestSupport.run("trigger", "--endpoints", endpoint, "--key", "/cicd/t/trigger",
                    "--json", "{\"imageTag\":\"v1\"}");
            assertEquals(5, auto.exitCode(), auto.toString());
            assertTrue(auto.err().contains("connecting to etcd at"), "fell back to gRPC: " + auto);
            assertTrue(!auto.err().contains("JSON gateway"), auto.toString());
        }
    }

    private static void answer404(ServerSocket server, AtomicInteger requests) {
        while (!server.isClosed()) {
            try (Socket s = server.accept()) {
                InputStream in = s.getInputStream();
                byte[] buf = new byte[8192];
                int n = in.read(buf);
                if (n > 0 && new String(buf, 0, n, StandardCharsets.ISO_8859_1).startsWith("POST ")) {
                    requests.incrementAndGet();
                }
                OutputStream out = s.getOutputStream();
                out.write(("HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 9\r\n"
                        + "Connection: close\r\n\r\nnot found").getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
            } catch (IOException e) {
                if (server.isClosed()) {
                    return;
                }
            }
        }
    }
}
