package dev.cicd.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cicd.core.Outcome;
import dev.cicd.etcd.PublishResult;
import dev.cicd.testkit.EtcdBackend;
import dev.cicd.testkit.EtcdFixture;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KV;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A confd-style shell watch through the jar: the template reads other keys of its prefix with
 * {@code getv} and {@code exists}, values are plain text (not JSON), and the runner is restarted between
 * triggers. Regression for "after a restart getv of an unchanged key fails: key does not exist" (the
 * runner wrapped the source and lost its snapshot) and "a plain-text value is rejected as not JSON".
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ShellWatchRestartIT {

    static ByteSequence bytes(String s) {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
    }

    @Test
    void afterARestartTheTemplateStillSeesUnchangedKeysAndPlainValuesRender() throws Exception {
        Path dir = ItSupport.workDir("shell-restart-it-");
        Path out = dir.resolve("out.txt");
        // a prefix watch: every key of /app is an event; only the trigger's writes a line
        Files.writeString(dir.resolve("app.peb"), "{% if key == '/app/trigger' %}printf '%s %s %s\\n' "
                + "{{ getv('/config', 'none') | sh }} {{ value | sh }} {{ exists('/extra') }} >> " + out + "{% endif %}\n");
        try (EtcdFixture etcd = EtcdFixture.builder().backend(EtcdBackend.LOCAL).build()) {
            Path config = dir.resolve("cicd.yaml");
            Files.writeString(config, """
                    etcd:
                      endpoints: [%s]
                    runner:
                      group: restart
                      logDir: logs
                      workDir: work
                    watches:
                      - name: app
                        prefix: /app
                        template: app.peb
                        action: shell
                        timeout: 30s
                    """.formatted(etcd.endpoints().get(0)));
            KV kv = etcd.client().getKVClient();
            var ci = dev.cicd.etcd.TriggerPublisher.builder(etcd.client()).build();
            kv.put(bytes("/app/config"), bytes("cfgA")).get(10, TimeUnit.SECONDS);
            kv.put(bytes("/app/extra"), bytes("x")).get(10, TimeUnit.SECONDS);
            try (JarProcess first = JarProcess.start(dir.resolve("first.log"), Map.of(), "run", "-c", config.toString())) {
                first.awaitLog("watching 1 watch(es)", Duration.ofSeconds(60));
                assertApplied(ci, kv, "t1");
                kv.delete(bytes("/app/extra")).get(10, TimeUnit.SECONDS);
                assertApplied(ci, kv, "t2");
                first.terminate(Duration.ofSeconds(30));
            }
            try (JarProcess second = JarProcess.start(dir.resolve("second.log"), Map.of(), "run", "-c", config.toString())) {
                second.awaitLog("watching 1 watch(es)", Duration.ofSeconds(60));
                assertApplied(ci, kv, "t3");
                second.terminate(Duration.ofSeconds(30));
            }
            assertEquals(List.of("cfgA t1 true", "cfgA t2 false", "cfgA t3 false"), Files.readAllLines(out),
                    "getv of the unchanged /config after the restart, the delete of /extra seen by exists");
        }
    }

    @Test
    void aSecretInTheRunnersEnvironmentReachesNoScriptLogStatusRecordHealthOrHelp() throws Exception {
        String secret = "planted-secret-" + System.nanoTime();
        Path dir = ItSupport.workDir("secret-it-");
        Files.writeString(dir.resolve("env.peb"), "env\necho '{{ value }}'\n");
        int port = ItSupport.freePort();
        try (EtcdFixture etcd = EtcdFixture.builder().backend(EtcdBackend.LOCAL).build()) {
            Path config = dir.resolve("cicd.yaml");
            Files.writeString(config, """
                    etcd:
                      endpoints: [%s]
                    runner:
                      group: secret
                      logDir: logs
                      workDir: work
                      httpPort: %d
                    watches:
                      - name: env
                        prefix: /env
                        keys: [/trigger]
                        template: env.peb
                        action: shell
                        timeout: 30s
                    """.formatted(etcd.endpoints().get(0), port));
            KV kv = etcd.client().getKVClient();
            var ci = dev.cicd.etcd.TriggerPublisher.builder(etcd.client()).build();
            Map<String, String> env = Map.of("DEPLOY_TOKEN", secret);
            String health;
            try (JarProcess runner = JarProcess.start(dir.resolve("runner.log"), env, "run", "-c", config.toString())) {
                runner.awaitLog("watching 1 watch(es)", Duration.ofSeconds(60));
                long rev = kv.put(bytes("/env/trigger"), bytes("go")).get(10, TimeUnit.SECONDS).getHeader().getRevision();
                PublishResult r = ci.awaitOutcome("/env/trigger", rev, Duration.ofSeconds(60));
                assertEquals(Optional.of(Outcome.Kind.APPLIED), r.kind(), r.reason());
                var http = java.net.http.HttpClient.newHttpClient();
                health = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + port
                        + "/healthz")).build(), java.net.http.HttpResponse.BodyHandlers.ofString()).body();
                runner.terminate(Duration.ofSeconds(30));
            }
            StringBuilder everything = new StringBuilder(health);
            try (var files = Files.walk(dir)) {
                for (Path f : files.filter(Files::isRegularFile).toList()) {
                    everything.append(Files.readString(f, StandardCharsets.ISO_8859_1));
                }
            }
            for (var kvs : kv.get(bytes("/"), io.etcd.jetcd.options.GetOption.builder().isPrefix(true).build())
                    .get(10, TimeUnit.SECONDS).getKvs()) {
                everything.append(kvs.getValue().toString(StandardCharsets.UTF_8));
            }
            everything.append(JarProcess.run(Duration.ofSeconds(60), env, "--help"));
            everything.append(JarProcess.run(Duration.ofSeconds(60), env, "run", "--help"));
            assertTrue(everything.toString().contains("PATH="), "the script's env output was captured (run log)");
            assertTrue(!everything.toString().contains(secret), "the planted secret appears nowhere");
        }
    }

    /** Puts a plain-text trigger (not JSON) and waits for its verdict. */
    private static void assertApplied(dev.cicd.etcd.TriggerPublisher ci, KV kv, String value) throws Exception {
        long rev = kv.put(bytes("/app/trigger"), bytes(value)).get(10, TimeUnit.SECONDS).getHeader().getRevision();
        PublishResult r = ci.awaitOutcome("/app/trigger", rev, Duration.ofSeconds(60));
        assertEquals(Optional.of(Outcome.Kind.APPLIED), r.kind(), value + ": " + r.reason());
    }
}
