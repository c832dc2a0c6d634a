package dev.cicd.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cicd.testkit.EtcdBackend;
import dev.cicd.testkit.EtcdFixture;
import io.etcd.jetcd.ByteSequence;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The CI client through the jar against a real etcd and a running runner (shell watch): progress lines
 * while waiting, {@code -o json}, exit 5 without a live runner or without etcd, {@code plan} without etcd,
 * and {@code examples/cicd-trigger.sh} over etcd's JSON gateway.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class TriggerClientIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String KEY = "/ci/app/trigger";
    private static final Path SCRIPT = Path.of("..", "examples", "cicd-trigger.sh");

    static EtcdFixture etcd;
    static JarProcess runner;
    static Path dir;
    static Path config;
    static String endpoint;

    @BeforeAll
    static void start() throws Exception {
        dir = ItSupport.workDir("trigger-client-it-");
        // the action takes a second: long enough for its in-progress record to be seen before the outcome
        Files.writeString(dir.resolve("app.peb"), "sleep 1\nprintf '%s\\n' {{ data.imageTag | sh }} >> "
                + dir.resolve("applied.txt") + "\n");
        etcd = EtcdFixture.builder().backend(EtcdBackend.LOCAL).build();
        endpoint = etcd.endpoints().get(0).toString();
        config = dir.resolve("cicd.yaml");
        Files.writeString(config, """
                etcd:
                  endpoints: [%s]
                runner:
                  group: client-it
                  logDir: logs
                  workDir: work
                  electionTtl: 2s
                watches:
                  - name: app
                    prefix: /ci/app
                    keys: [/trigger]
                    template: app.peb
                    action: shell
                    timeout: 30s
                """.formatted(endpoint));
        runner = JarProcess.start(dir.resolve("runner.log"), Map.of(), "run", "-c", config.toString());
        runner.awaitLog("watching 1 watch(es)", Duration.ofSeconds(60));
    }

    @AfterAll
    static void stop() throws Exception {
        if (runner != null) {
            runner.close();
        }
        if (etcd != null) {
            etcd.close();
        }
    }

    private static JarProcess.Finished cicd(String... args) throws Exception {
        return JarProcess.run(Duration.ofSeconds(120), Map.of(), args);
    }

    @Test
    void triggerWaitPrintsTheProgressLinesThenTheVerdict() throws Exception {
        JarProcess.Finished r = cicd("trigger", "--endpoints", endpoint, "--group", "client-it", "--key", KEY,
                "--json", "{\"imageTag\":\"v1\"}", "--wait", "--timeout", "60s");
        assertEquals(0, r.exitCode(), r + "\n--- runner\n" + runner.log());
        List<String> lines = r.out().strip().lines().toList();
        assertTrue(lines.get(0).startsWith("put " + KEY + " at revision "), r.toString());
        int progress = indexOf(lines, "in-progress: started");
        int verdict = indexOf(lines, "applied by watch app");
        assertTrue(progress > 0 && verdict > progress, "progress, then the verdict: " + r);
    }

    @Test
    void outputJsonPrintsTheFinalStatusRecordAsOneJsonObjectOnStdout() throws Exception {
        JarProcess.Finished r = cicd("trigger", "-c", config.toString(), "--key", KEY, "--json", "{\"imageTag\":\"v2\"}",
                "--wait", "--timeout", "60s", "-o", "json");
        assertEquals(0, r.exitCode(), r + "\n--- runner\n" + runner.log());
        JsonNode n = JSON.readTree(r.out());
        assertEquals("applied", n.get("outcome").asText(), r.toString());
        assertEquals(KEY, n.get("key").asText());
        assertEquals("app", n.get("watch").asText());
        assertTrue(r.err().contains("put " + KEY + " at revision " + n.get("revision").asLong()), r.err());
        assertTrue(r.err().contains("in-progress: started"), "progress goes to stderr: " + r);
    }

    @Test
    void withNoRunnerOfTheGroupAliveTriggerWaitExitsFiveWithinSeconds() throws Exception {
        long start = System.nanoTime();
        JarProcess.Finished r = cicd("trigger", "--endpoints", endpoint, "--group", "nobody", "--key", "/ci/nobody/trigger",
                "--json", "{\"imageTag\":\"v1\"}", "--wait", "--timeout", "5m");
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
        assertEquals(5, r.exitCode(), r.toString());
        assertTrue(r.err().contains("no runner of group nobody is alive (no key under /cicd/.election/nobody/"),
                r.err());
        assertTrue(seconds < 30, "not the whole 5 m timeout: " + seconds + " s");
    }

    @Test
    void unreachableEtcdExitsFive() throws Exception {
        int port = ItSupport.freePort();
        JarProcess.Finished r = cicd("trigger", "--endpoints", "http://127.0.0.1:" + port, "--key", KEY, "--json",
                "{\"imageTag\":\"v1\"}", "--wait");
        assertEquals(5, r.exitCode(), r.toString());
        assertTrue(r.err().contains("127.0.0.1:" + port), r.err());
    }

    @Test
    void planPrintsThePlanAndRejectsBadInputWithExitTwoWithoutTouchingEtcd() throws Exception {
        long before = etcdRevision();
        JarProcess.Finished ok = cicd("plan", "-c", config.toString(), "--watch", "app", "--json", "{\"imageTag\":\"v9\"}");
        assertEquals(0, ok.exitCode(), ok.toString());
        assertTrue(ok.out().contains("targets: " + KEY), ok.out());
        assertTrue(ok.out().contains("printf '%s\\n' 'v9' >> "), ok.out());
        JarProcess.Finished bad = cicd("plan", "-c", config.toString(), "--watch", "app", "--json", "{not json");
        assertEquals(2, bad.exitCode(), bad.toString());
        assertTrue(bad.out().contains("rejected: ") && bad.out().contains("not valid JSON"), bad.out());
        assertEquals(before, etcdRevision(), "plan wrote nothing to etcd");
        assertTrue(runner.log().lines().noneMatch(l -> l.contains("'v9'") || l.contains("{not json")), "nothing ran");
    }

    @Test
    void theShellClientPutsWaitsAndExitsWithTheOutcomesCode() throws Exception {
        Assumptions.assumeTrue(onPath("curl"), "curl is not installed: examples/cicd-trigger.sh needs it");
        JarProcess.Finished ok = sh("-e", endpoint, "-t", "60", KEY, "{\"imageTag\":\"v3\"}");
        assertEquals(0, ok.exitCode(), ok + "\n--- runner\n" + runner.log());
        assertTrue(ok.out().contains("applied by watch app"), ok.toString());
        // no assertion on in-progress lines: the script polls once a second and may see none of a 1 s action
        assertTrue(Files.readAllLines(dir.resolve("applied.txt")).contains("v3"));
        JarProcess.Finished rejected = sh("-e", endpoint, "-t", "60", KEY, "{not json");
        assertEquals(2, rejected.exitCode(), rejected + "\n--- runner\n" + runner.log());
        assertTrue(rejected.out().contains("rejected by watch app"), rejected.toString());
        JarProcess.Finished down = sh("-e", "http://127.0.0.1:" + ItSupport.freePort(), "-t", "5", KEY, "{}");
        assertEquals(5, down.exitCode(), down.toString());
    }

    private static JarProcess.Finished sh(String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of("sh", SCRIPT.toString()));
        cmd.addAll(List.of(args));
        Path out = Files.createTempFile(dir, "sh-out-", ".txt");
        Path err = Files.createTempFile(dir, "sh-err-", ".txt");
        Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("cicd-trigger.sh did not finish within 120 s: " + Files.readString(out));
        }
        return new JarProcess.Finished(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    private static boolean onPath(String tool) {
        String path = System.getenv("PATH");
        return path != null && java.util.Arrays.stream(path.split(java.io.File.pathSeparator))
                .anyMatch(d -> Files.isExecutable(Path.of(d, tool)));
    }

    private static long etcdRevision() throws Exception {
        return etcd.client().getKVClient().get(ByteSequence.from("/", StandardCharsets.UTF_8)).get(10, TimeUnit.SECONDS)
                .getHeader().getRevision();
    }

    private static int indexOf(List<String> lines, String prefix) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith(prefix)) {
                return i;
            }
        }
        return -1;
    }
}
