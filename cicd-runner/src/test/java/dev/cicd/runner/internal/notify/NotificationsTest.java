package dev.cicd.runner.internal.notify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cicd.core.Outcome;
import dev.cicd.core.TriggerEvent;
import dev.cicd.runner.ConfigException;
import dev.cicd.runner.RunnerConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.BooleanSupplier;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The webhook and Slack sinks against a local HTTP server: bodies, signature, filters, retries, the queue. */
class NotificationsTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    /** A config with one shell watch {@code app} (and {@code other}), the top-level and the app watch's notify. */
    RunnerConfig config(String notify, String watchNotify) throws IOException {
        Files.writeString(dir.resolve("t.peb"), "true\n");
        String yaml = """
                runner: {id: runner-7, group: grp}
                watches:
                  - name: app
                    prefix: /app
                    keys: [/trigger]
                    template: t.peb
                    action: shell
                %s
                  - name: other
                    prefix: /other
                    template: t.peb
                    action: shell
                %s
                """.formatted(watchNotify.isEmpty() ? "" : "    notify:\n" + watchNotify.indent(6).stripTrailing(),
                notify.isEmpty() ? "" : "notify:\n" + notify.indent(2).stripTrailing());
        Path f = dir.resolve("cicd.yaml");
        Files.writeString(f, yaml);
        return RunnerConfig.load(f, Map.of());
    }

    static Outcome outcome(String watch, Outcome.Kind kind, long revision, String requestId) {
        String value = requestId == null ? "x" : "{\"requestId\":\"" + requestId + "\"}";
        Instant started = Instant.parse("2026-11-27T10:00:00Z");
        return new Outcome(TriggerEvent.put(watch, "/" + watch + "/trigger", value, revision), kind,
                kind == Outcome.Kind.APPLIED || kind == Outcome.Kind.IN_SYNC ? "" : "step 2 failed: <b>boom</b> & more",
                Optional.of("fp"), kind == Outcome.Kind.FAILED ? OptionalInt.of(3) : OptionalInt.empty(), "output",
                Optional.ofNullable(requestId), started, started.plusMillis(1500), Optional.empty());
    }

    double count(String sink, String result) {
        return registry.get("cicd.notifications").tag("sink", sink).tag("result", result).counter().count();
    }

    static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + WAIT + ": " + what);
            }
            Thread.sleep(10);
        }
    }

    static String hmac(String secret, String body) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        return "sha256=" + HexFormat.of().formatHex(mac.doFinal(body.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void aWebhookGetsEveryFieldOfTheOutcomeSignedWithTheSharedSecretAndItsHeaders() throws Exception {
        try (HookServer hook = HookServer.ok()) {
            RunnerConfig c = config("""
                    - type: webhook
                      url: %s
                      secretEnv: HOOK_SECRET
                      headers: {X-Team: platform}
                    """.formatted(hook.url("/hook")), "");
            try (Notifications n = Notifications.create(c, registry, Map.of("HOOK_SECRET", "s3cret"))) {
                n.onOutcome(outcome("app", Outcome.Kind.FAILED, 42, "req-1"), List.of("ns/demo1-gateway"));
                HookServer.Received r = hook.next(WAIT);
                assertNotNull(r, "no request arrived");
                assertEquals("POST", r.method());
                assertEquals("/hook", r.path());
                assertEquals("platform", r.header("X-Team"));
                assertTrue(r.header("Content-Type").startsWith("application/json"), r.header("Content-Type"));
                assertEquals(hmac("s3cret", r.body()), r.header("X-Cicd-Signature"), "HMAC-SHA256 of the exact body");
                JsonNode b = JSON.readTree(r.body());
                assertEquals("app", b.get("watch").asText());
                assertEquals("/app/trigger", b.get("key").asText());
                assertEquals(42, b.get("revision").asLong());
                assertEquals("failed", b.get("outcome").asText());
                assertEquals("step 2 failed: <b>boom</b> & more", b.get("reason").asText());
                assertEquals("req-1", b.get("requestId").asText());
                assertEquals(List.of("ns/demo1-gateway"), List.of(b.get("targets").get(0).asText()));
                assertEquals(1, b.get("targets").size());
                assertEquals(3, b.get("exitCode").asInt());
                assertEquals("2026-11-27T10:00:00Z", b.get("started").asText());
                assertEquals("2026-11-27T10:00:01.500Z", b.get("finished").asText());
                assertEquals(1500, b.get("durationMs").asLong());
                assertEquals("runner-7", b.get("runner").asText());
                assertEquals("grp", b.get("group").asText());
                await(() -> count("notify[0]", "sent") == 1, "counted as sent");
            }
        }
    }

    @Test
    void anUnsignedWebhookHasNoSignatureAndNullsForAbsentFields() throws Exception {
        try (HookServer hook = HookServer.ok()) {
            RunnerConfig c = config("- {type: webhook, url: \"" + hook.url("/h") + "\"}\n", "");
            try (Notifications n = Notifications.create(c, registry, Map.of())) {
                n.onOutcome(outcome("app", Outcome.Kind.APPLIED, 5, null), List.of("/app/trigger"));
                HookServer.Received r = hook.next(WAIT);
                assertNotNull(r);
                assertNull(r.header("X-Cicd-Signature"));
                JsonNode b = JSON.readTree(r.body());
                assertTrue(b.get("requestId").isNull(), r.body());
                assertTrue(b.get("exitCode").isNull(), r.body());
                assertEquals("", b.get("reason").asText());
            }
        }
    }

    @Test
    void slackGetsAnIncomingWebhookTextWithTheVerdictAndSlackEscaping() throws Exception {
        try (HookServer hook = HookServer.ok()) {
            RunnerConfig c = config("- {type: slack, url: \"env:SLACK_URL\"}\n", "");
            try (Notifications n = Notifications.create(c, registry, Map.of("SLACK_URL", hook.url("/services/T/B/x")))) {
                n.onOutcome(outcome("app", Outcome.Kind.FAILED, 42, "req-1"), List.of("ns/demo1-gateway"));
                HookServer.Received r = hook.next(WAIT);
                assertNotNull(r);
                assertEquals("/services/T/B/x", r.path(), "the URL came from the environment variable");
                JsonNode b = JSON.readTree(r.body());
                assertEquals(1, b.size(), r.body());
                String text = b.get("text").asText();
                for (String part : List.of(":x:", "app", "*failed*", "r42", "ns/demo1-gateway", "request req-1", "exit 3",
                        "step 2 failed: &lt;b&gt;boom&lt;/b&gt; &amp; more", "runner-7")) {
                    assertTrue(text.contains(part), part + " in " + text);
                }
            }
        }
    }

    @Test
    void aRequestAnsweredWith500TwiceIsSentOnTheThirdAttempt() throws Exception {
        try (HookServer hook = new HookServer(n -> n <= 2 ? 500 : 200)) {
            RunnerConfig c = config("""
                    - type: webhook
                      url: %s
                      retry: {attempts: 3, initialBackoff: 50ms, maxBackoff: 100ms}
                    """.formatted(hook.url("/h")), "");
            try (Notifications n = Notifications.create(c, registry, Map.of())) {
                n.onOutcome(outcome("app", Outcome.Kind.APPLIED, 7, "r"), List.of("t"));
                await(() -> count("notify[0]", "sent") == 1, "sent after the retries");
                assertEquals(3, hook.count());
                assertEquals(0, count("notify[0]", "failed"));
                String first = hook.next(WAIT).body();
                assertEquals(first, hook.next(WAIT).body(), "the same body again");
            }
        }
    }

    @Test
    void attemptsAreBoundedAndA4xxIsNotRetried() throws Exception {
        try (HookServer failing = new HookServer(n -> 503); HookServer refusing = new HookServer(n -> 400)) {
            RunnerConfig c = config("""
                    - {type: webhook, name: failing, url: "%s", retry: {attempts: 2, initialBackoff: 10ms}}
                    - {type: webhook, name: refusing, url: "%s", retry: {attempts: 5, initialBackoff: 10ms}}
                    """.formatted(failing.url("/"), refusing.url("/")), "");
            try (Notifications n = Notifications.create(c, registry, Map.of())) {
                n.onOutcome(outcome("app", Outcome.Kind.FAILED, 8, null), List.of("t"));
                await(() -> count("failing", "failed") == 1 && count("refusing", "failed") == 1, "both given up");
                assertEquals(2, failing.count(), "attempts: 2");
                assertEquals(1, refusing.count(), "400 is final");
            }
        }
    }

    @Test
    void theOnFilterAndTheWatchesOwnSinksChooseWhatIsSent() throws Exception {
        try (HookServer global = HookServer.ok(); HookServer own = HookServer.ok()) {
            RunnerConfig c = config("- {type: webhook, name: global, url: \"" + global.url("/") + "\"}\n",
                    "- {type: webhook, name: own, url: \"" + own.url("/") + "\", on: [in-sync, failed]}\n");
            try (Notifications n = Notifications.create(c, registry, Map.of())) {
                n.onOutcome(outcome("app", Outcome.Kind.IN_SYNC, 1, null), List.of("t"));
                n.onOutcome(outcome("other", Outcome.Kind.FAILED, 2, null), List.of("t"));
                n.onOutcome(outcome("app", Outcome.Kind.APPLIED, 3, null), List.of("t"));
                n.onOutcome(outcome("app", Outcome.Kind.FAILED, 4, null), List.of("t"));
                // one sender per sink sends in order: what arrives after the last one sent is everything
                List<Long> toGlobal = List.of(revision(global), revision(global), revision(global));
                assertEquals(List.of(2L, 3L, 4L), toGlobal, "default on: not in-sync; every watch");
                List<Long> toOwn = List.of(revision(own), revision(own));
                assertEquals(List.of(1L, 4L), toOwn, "on: [in-sync, failed]; only its watch");
                await(() -> count("global", "sent") == 3 && count("own", "sent") == 2, "all sent");
                assertEquals(3, global.count());
                assertEquals(2, own.count());
            }
        }
    }

    private static long revision(HookServer s) throws Exception {
        HookServer.Received r = s.next(WAIT);
        assertNotNull(r);
        return JSON.readTree(r.body()).get("revision").asLong();
    }

    @Test
    void aFullQueueDropsTheOldestAndCountsItWhileTheServerHangs() throws Exception {
        try (HookServer hook = new HookServer(n -> n == 1 ? 0 : 200)) {
            RunnerConfig c = config("- {type: webhook, name: slow, url: \"" + hook.url("/") + "\", queueSize: 2}\n", "");
            try (Notifications n = Notifications.create(c, registry, Map.of())) {
                n.onOutcome(outcome("app", Outcome.Kind.APPLIED, 1, null), List.of("t"));
                await(() -> hook.count() == 1, "the first request is held by the server");
                for (long rev = 2; rev <= 5; rev++) {
                    n.onOutcome(outcome("app", Outcome.Kind.APPLIED, rev, null), List.of("t"));
                }
                assertEquals(2, count("slow", "dropped"), "revisions 2 and 3 dropped, 4 and 5 kept");
                hook.release();
                await(() -> count("slow", "sent") == 3, "1, 4, 5 sent");
                assertEquals(1L, revision(hook));
                assertEquals(4L, revision(hook));
                assertEquals(5L, revision(hook));
            }
        }
    }

    @Test
    void closeSendsWhatIsQueuedAndGivesUpOnAServerThatNeverAnswersWithinTheFlushTime() throws Exception {
        try (HookServer hook = new HookServer(n -> 0)) {
            RunnerConfig c = config("- {type: webhook, name: stuck, url: \"" + hook.url("/") + "\", timeout: 1m}\n", "");
            Notifications n = Notifications.create(c, registry, Map.of(), Duration.ofMillis(300));
            n.onOutcome(outcome("app", Outcome.Kind.APPLIED, 1, null), List.of("t"));
            n.onOutcome(outcome("app", Outcome.Kind.APPLIED, 2, null), List.of("t"));
            await(() -> hook.count() == 1, "the first request is held");
            n.close(); // returns after the flush time: the held request is abandoned, the queued one dropped
            assertEquals(2, count("stuck", "dropped"));
            assertEquals(0, count("stuck", "sent"));
            n.onOutcome(outcome("app", Outcome.Kind.APPLIED, 3, null), List.of("t"));
            assertEquals(3, count("stuck", "dropped"), "after close nothing is queued");
        }
        try (HookServer hook = HookServer.ok()) {
            RunnerConfig c = config("- {type: webhook, name: fine, url: \"" + hook.url("/") + "\"}\n", "");
            Notifications n = Notifications.create(c, registry, Map.of());
            for (long rev = 1; rev <= 20; rev++) {
                n.onOutcome(outcome("app", Outcome.Kind.APPLIED, rev, null), List.of("t"));
            }
            n.close();
            assertEquals(20, count("fine", "sent"), "close flushed the queue");
        }
    }

    @Test
    void anUnsetVariableIsAConfigErrorNamingTheSinksKey() throws Exception {
        RunnerConfig c = config("- {type: webhook, url: \"http://127.0.0.1:9/h\", secretEnv: NO_SUCH_SECRET}\n", "");
        ConfigException e = assertThrows(ConfigException.class, () -> Notifications.create(c, registry, Map.of()));
        assertEquals("notify[0].secretEnv: the environment variable NO_SUCH_SECRET is not set", e.getMessage());
        RunnerConfig u = config("", "- {type: slack, url: \"env:NO_SUCH_URL\"}\n");
        e = assertThrows(ConfigException.class, () -> Notifications.create(u, registry, Map.of("NO_SUCH_URL", "ftp://x")));
        assertTrue(e.getMessage().startsWith("watches[app].notify[0].url (from the environment variable NO_SUCH_URL): "
                + "must be an http:// or https:// URL"), e.getMessage());
    }
}
