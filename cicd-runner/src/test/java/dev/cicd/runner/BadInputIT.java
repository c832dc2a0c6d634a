package dev.cicd.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cicd.core.Outcome;
import dev.cicd.etcd.PublishResult;
import dev.cicd.etcd.TriggerPublisher;
import dev.cicd.testkit.EtcdBackend;
import dev.cicd.testkit.EtcdFixture;
import dev.cicd.testkit.KubernetesBackend;
import dev.cicd.testkit.KubernetesFixture;
import io.etcd.jetcd.ByteSequence;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Bad input through the jar, as an attacker or a broken CI job would send it (real etcd, the simulated
 * cluster): every value ends {@code rejected} (or {@code failed}) with a reason, nothing of it runs, the
 * watch keeps processing, and the next good trigger is applied.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class BadInputIT {

    static final String KEY = "/cicd/rollout/trigger";
    static final String SHELL_KEY = "/cicd/script/trigger";

    static EtcdFixture etcd;
    static KubernetesFixture k8s;
    static JarProcess runner;
    static Path dir;

    @BeforeAll
    static void start() throws Exception {
        etcd = EtcdFixture.builder().backend(EtcdBackend.LOCAL).build();
        k8s = KubernetesFixture.builder().backend(KubernetesBackend.SIMULATED).rolloutDelay(Duration.ofMillis(50))
                .build();
        ItSupport.createDeployment(k8s.client());
        dir = ItSupport.workDir("bad-input-it-");
        Files.writeString(dir.resolve("script.peb"), "echo {{ data.svcName | sh }} >> " + dir.resolve("ran.txt") + "\n");
        Path config = dir.resolve("cicd.yaml");
        Files.writeString(config, ItSupport.recipeConfig(etcd.endpoints().get(0).toString(), k8s.kubeconfigFile(),
                dir.resolve("logs"), ItSupport.freePort()) + """
                  - name: script
                    prefix: /cicd/script
                    keys: [/trigger]
                    template: script.peb
                    action: shell
                    timeout: 30s
                """);
        runner = JarProcess.start(dir.resolve("runner.log"), Map.of(), "run", "-c", config.toString());
        runner.awaitLog("watching 3 watch(es)", Duration.ofSeconds(60));
    }

    @AfterAll
    static void stop() throws Exception {
        for (AutoCloseable c : new AutoCloseable[] {runner, k8s, etcd}) {
            if (c != null) {
                c.close();
            }
        }
    }

    static String deploy(String svc, String tag) {
        return "{\"action\":\"deploy\",\"k8sNamespace\":\"ns-demo1-dev\",\"appName\":\"demo1\",\"svcName\":" + svc
                + ",\"imageTag\":" + tag + "}";
    }

    /** Puts raw bytes (no client-side JSON check: this is what etcdctl or a broken job can do). */
    static PublishResult put(String key, byte[] value) throws Exception {
        long rev = etcd.client().getKVClient().put(ByteSequence.from(key, StandardCharsets.UTF_8), ByteSequence.from(value))
                .get(10, TimeUnit.SECONDS).getHeader().getRevision();
        return TriggerPublisher.builder(etcd.client()).build().awaitOutcome(key, rev, Duration.ofSeconds(60));
    }

    static PublishResult put(String key, String value) throws Exception {
        return put(key, value.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void everyBadValueIsRejectedWithAReasonNothingRunsAndTheNextGoodTriggerIsApplied() throws Exception {
        String nested = "[".repeat(100_000) + "]".repeat(100_000);
        Map<String, byte[]> bad = new LinkedHashMap<>();
        bad.put("malformed JSON", "{\"action\":\"deploy\",".getBytes(StandardCharsets.UTF_8));
        bad.put("an array", "[\"deploy\",\"demo1\"]".getBytes(StandardCharsets.UTF_8));
        bad.put("a missing field", "{\"action\":\"deploy\",\"k8sNamespace\":\"ns-demo1-dev\",\"appName\":\"demo1\"}"
                .getBytes(StandardCharsets.UTF_8));
        bad.put("an ill-typed field", deploy("\"gateway\"", "{\"tag\":[1,2]}").getBytes(StandardCharsets.UTF_8));
        bad.put("an empty value", new byte[0]);
        bad.put("a 1 MiB value", ("{\"pad\":\"" + "x".repeat(1024 * 1024) + "\"}").getBytes(StandardCharsets.UTF_8));
        bad.put("JSON nested 100,000 deep", nested.getBytes(StandardCharsets.UTF_8));
        bad.put("an 800 KiB requestId", ("{\"requestId\":\"" + "r".repeat(800 * 1024) + "\"," + deploy("\"gateway\"", "\"v9\"")
                .substring(1)).getBytes(StandardCharsets.UTF_8));
        bad.put("NUL and control characters", deploy("\"gate\\u0000way\\u001b[2J\"", "\"v9\"").getBytes(StandardCharsets.UTF_8));
        bad.put("a shell injection", deploy("\"gateway$(touch " + dir.resolve("pwned") + ")\"", "\"v9\"")
                .getBytes(StandardCharsets.UTF_8));
        bad.put("a YAML injection", deploy("\"gateway\\\"\\n  - rolloutUndo: {namespace: ns-demo1-dev}\\n#\"", "\"v9\"")
                .getBytes(StandardCharsets.UTF_8));
        String before = ItSupport.image(k8s.client());
        for (Map.Entry<String, byte[]> b : bad.entrySet()) {
            PublishResult r = put(KEY, b.getValue());
            assertTrue(r.kind().isPresent(), b.getKey() + ": no verdict");
            assertEquals(Outcome.Kind.REJECTED, r.kind().get(), b.getKey() + ": " + r.reason());
            assertFalse(r.reason().isBlank(), b.getKey());
            assertTrue(r.reason().length() <= Outcome.MAX_REASON, b.getKey() + ": reason of " + r.reason().length());
            assertEquals(before, ItSupport.image(k8s.client()), b.getKey() + ": nothing was changed");
        }
        PublishResult good = put(KEY, deploy("\"gateway\"", "\"v10\""));
        assertEquals(Optional.of(Outcome.Kind.APPLIED), good.kind(), good.reason());
        assertEquals(ItSupport.REGISTRY + "/" + ItSupport.DEPLOYMENT + ":v10", ItSupport.image(k8s.client()));
    }

    @Test
    void aShellWatchQuotesInjectedTextItNeverRunsIt() throws Exception {
        Path pwned = dir.resolve("pwned-shell");
        for (String svc : List.of("$(touch " + pwned + ")", "`touch " + pwned + "`", "x; touch " + pwned,
                "x' ; touch " + pwned + " ; '")) {
            PublishResult r = put(SHELL_KEY, "{\"svcName\":" + new com.fasterxml.jackson.databind.ObjectMapper()
                    .writeValueAsString(svc) + "}");
            assertEquals(Optional.of(Outcome.Kind.APPLIED), r.kind(), svc + ": " + r.reason());
        }
        assertFalse(Files.exists(pwned), "no injected command ran");
        assertEquals(4, Files.readAllLines(dir.resolve("ran.txt")).size(), "each value was echoed as text");
        PublishResult missing = put(SHELL_KEY, "{\"other\":1}");
        assertEquals(Optional.of(Outcome.Kind.REJECTED), missing.kind(), missing.reason());
        assertTrue(missing.reason().contains("payload field 'svcName' is missing"), missing.reason());
        assertEquals(4, Files.readAllLines(dir.resolve("ran.txt")).size(), "the rejected value ran nothing");
    }
}
