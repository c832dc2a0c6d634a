package dev.cicd.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.cicd.core.Outcome;
import dev.cicd.etcd.PublishResult;
import dev.cicd.etcd.TriggerPublisher;
import dev.cicd.testkit.EtcdBackend;
import dev.cicd.testkit.EtcdFixture;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Notifications through the jar: a real etcd, a shell watch, a signed webhook and a Slack-style sink on a
 * local HTTP server; each trigger's outcome reaches them, and the metrics count what was sent.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class NotifyIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    record Hook(String path, String signature, String body) {
    }

    @Test
    void aTriggersOutcomeReachesTheWebhookSignedAndAFailureReachesSlack() throws Exception {
        Path dir = ItSupport.workDir("notify-it-");
        Files.writeString(dir.resolve("app.peb"), "test {{ data.tag | sh }} != bad || exit 3\necho deployed\n");
        BlockingQueue<Hook> hooks = new LinkedBlockingQueue<>();
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", ex -> {
            try (ex) {
                hooks.add(new Hook(ex.getRequestURI().getPath(), ex.getRequestHeaders().getFirst("X-Cicd-Signature"),
                        new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8)));
                ex.sendResponseHeaders(204, -1);
            }
        });
        server.start();
        int httpPort = ItSupport.freePort();
        String base = "http://127.0.0.1:" + server.getAddress().getPort();
        try (EtcdFixture etcd = EtcdFixture.builder().backend(EtcdBackend.LOCAL).build()) {
            Path config = dir.resolve("cicd.yaml");
            Files.writeString(config, """
                    etcd:
                      endpoints: [%s]
                    runner:
                      id: notify-runner
                      group: notify
                      logDir: logs
                      workDir: work
                      httpPort: %d
                    notify:
                      - type: webhook
                        name: hook
                        url: %s/hook
                        secretEnv: HOOK_SECRET
                    watches:
                      - name: app
                        prefix: /app
                        keys: [/trigger]
                        template: app.peb
                        action: shell
                        timeout: 30s
                        notify:
                          - {type: slack, name: chat, url: "env:CHAT_URL", on: [failed]}
                    """.formatted(etcd.endpoints().get(0), httpPort, base));
            Map<String, String> env = Map.of("HOOK_SECRET", "it-secret", "CHAT_URL", base + "/services/chat");
            TriggerPublisher ci = TriggerPublisher.builder(etcd.client()).build();
            try (JarProcess runner = JarProcess.start(dir.resolve("runner.log"), env, "run", "-c", config.toString())) {
                runner.awaitLog("watching 1 watch(es)", Duration.ofSeconds(60));

                PublishResult ok = ci.publishAndAwait("/app/trigger", "{\"tag\":\"v1\",\"requestId\":\"it-req-1\"}",
                        Duration.ofSeconds(60));
                assertEquals(Optional.of(Outcome.Kind.APPLIED), ok.kind(), ok.reason());
                Hook h = hooks.poll(30, TimeUnit.SECONDS);
                assertNotNull(h, "the applied outcome reached the webhook");
                assertEquals("/hook", h.path());
                assertEquals(hmac("it-secret", h.body()), h.signature());
                JsonNode b = JSON.readTree(h.body());
                assertEquals("applied", b.get("outcome").asText());
                assertEquals("it-req-1", b.get("requestId").asText());
                assertEquals("app", b.get("watch").asText());
                assertEquals("/app/trigger", b.get("key").asText());
                assertEquals("notify-runner", b.get("runner").asText());
                assertEquals(0, b.get("exitCode").asInt());
                assertTrue(b.get("revision").asLong() > 0);

                PublishResult bad = ci.publishAndAwait("/app/trigger", "{\"tag\":\"bad\",\"requestId\":\"it-req-2\"}",
                        Duration.ofSeconds(60));
                assertEquals(Optional.of(Outcome.Kind.FAILED), bad.kind(), bad.reason());
                Hook first = hooks.poll(30, TimeUnit.SECONDS);
                Hook second = hooks.poll(30, TimeUnit.SECONDS);
                assertNotNull(second, "the failure reached both sinks");
                Hook chat = first.path().equals("/services/chat") ? first : second;
                Hook hook = chat == first ? second : first;
                assertEquals("/services/chat", chat.path());
                String text = JSON.readTree(chat.body()).get("text").asText();
                assertTrue(text.contains("*failed*") && text.contains("request it-req-2") && text.contains("exit 3"), text);
                assertEquals("failed", JSON.readTree(hook.body()).get("outcome").asText());

                // the counters move once the server answered: read them until both show
                Pattern hookSent = Pattern.compile("cicd_notifications_total\\{result=\"sent\",sink=\"hook\"} 2\\.0");
                Pattern chatSent = Pattern.compile("cicd_notifications_total\\{result=\"sent\",sink=\"chat\"} 1\\.0");
                String metrics = "";
                for (long deadline = System.nanoTime() + 20_000_000_000L; System.nanoTime() < deadline; Thread.sleep(100)) {
                    metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + httpPort + "/metrics")).build(),
                            HttpResponse.BodyHandlers.ofString()).body();
                    if (hookSent.matcher(metrics).find() && chatSent.matcher(metrics).find()) {
                        break;
                    }
                }
                assertTrue(hookSent.matcher(metrics).find(), metrics);
                assertTrue(chatSent.matcher(metrics).find(), metrics);
                assertTrue(metrics.contains("cicd_notifications_total{result=\"dropped\",sink=\"chat\"} 0.0"), metrics);
                runner.terminate(Duration.ofSeconds(30));
            }
        } finally {
            server.stop(0);
        }
    }

    static String hmac(String secret, String body) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        return "sha256=" + HexFormat.of().formatHex(mac.doFinal(body.getBytes(StandardCharsets.UTF_8)));
    }
}
