package dev.cicd.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.cicd.etcd.EtcdClients;
import dev.cicd.testkit.EtcdBackend;
import dev.cicd.testkit.EtcdFixture;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.common.exception.ErrorCode;
import io.etcd.jetcd.common.exception.EtcdException;
import io.etcd.jetcd.options.GetOption;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Least-privilege etcd: a local etcd set up by {@code deploy/etcd/roles.sh} (roles {@code cicd-ci} and
 * {@code cicd-runner}, users of the same names, authentication enabled). The CI identity can put a trigger
 * and nothing of the runner's; the runner, started from the jar as {@code cicd-runner}, still runs a shell
 * watch end to end for {@code cicd trigger --wait} run as {@code cicd-ci}.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class EtcdRolesIT {

    static final String GROUP = "auth";
    static final String WATCH = "app";
    static final String TRIGGER = "/cicd/app/trigger";
    static final Path SCRIPT = Path.of("..", "deploy", "etcd", "roles.sh");

    // generated per run, no whitespace (etcdctl reads passwords up to the first blank)
    static final String ROOT_PASSWORD = "root-" + UUID.randomUUID();
    static final String CI_PASSWORD = "ci-" + UUID.randomUUID();
    static final String RUNNER_PASSWORD = "runner-" + UUID.randomUUID();

    static EtcdFixture etcd;
    static String endpoint;
    static String firstSetup;
    static JarProcess.Finished secondSetup;
    static Client ci;
    static Client runner;

    @BeforeAll
    static void etcdWithAuthSetUpByTheScript() throws Exception {
        etcd = EtcdFixture.builder().backend(EtcdBackend.LOCAL).build();
        endpoint = etcd.endpoints().get(0).toString();
        JarProcess.Finished setup = roles("--enable-auth");
        assertEquals(0, setup.exitCode(), "roles.sh: " + setup);
        firstSetup = setup.out() + setup.err();
        // again, before any client logs in (setting a password again invalidates the user's tokens)
        secondSetup = roles("--enable-auth");
        ci = EtcdClients.builder().endpoints(endpoint).user("cicd-ci").password(CI_PASSWORD).build();
        runner = EtcdClients.builder().endpoints(endpoint).user("cicd-runner").password(RUNNER_PASSWORD).build();
    }

    @AfterAll
    static void close() {
        for (AutoCloseable c : new AutoCloseable[] {ci, runner, etcd}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                // best effort: the fixture's members are killed regardless
            }
        }
    }

    /** Runs {@code roles.sh --endpoints E --group auth [extra...] /cicd/app/} with the passwords in its environment. */
    static JarProcess.Finished roles(String... extra) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("bash", SCRIPT.toString(), "--endpoints", endpoint, "--group", GROUP));
        cmd.addAll(List.of(extra));
        cmd.add("/cicd/app/");
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().keySet().removeIf(k -> k.startsWith("ETCDCTL_") || k.startsWith("CICD_"));
        String etcdBin = System.getenv("ETCD_BIN");
        if (etcdBin != null && !etcdBin.isBlank()) { // etcdctl usually sits next to etcd
            pb.environment().put("PATH", Path.of(etcdBin).toAbsolutePath().getParent() + File.pathSeparator
                    + pb.environment().getOrDefault("PATH", ""));
        }
        pb.environment().put("ETCDCTL_PASSWORD", ROOT_PASSWORD);
        pb.environment().put("CICD_CI_PASSWORD", CI_PASSWORD);
        pb.environment().put("CICD_RUNNER_PASSWORD", RUNNER_PASSWORD);
        Path out = Files.createTempFile("roles-out-", ".txt");
        Path err = Files.createTempFile("roles-err-", ".txt");
        try {
            pb.redirectOutput(out.toFile()).redirectError(err.toFile());
            Process p = pb.start();
            if (!p.waitFor(90, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                fail("roles.sh did not finish within 90 s:\n" + Files.readString(out) + Files.readString(err));
            }
            return new JarProcess.Finished(p.exitValue(), Files.readString(out), Files.readString(err));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    static ByteSequence bytes(String s) {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
    }

    static void assertDenied(CompletableFuture<?> request, String what) throws Exception {
        try {
            request.get(10, TimeUnit.SECONDS);
            fail(what + " succeeded; expected permission denied");
        } catch (ExecutionException e) {
            for (Throwable c = e.getCause(); c != null; c = c.getCause()) {
                if (c instanceof EtcdException ee && ee.getErrorCode() == ErrorCode.PERMISSION_DENIED
                        || c instanceof StatusRuntimeException se && se.getStatus().getCode() == Status.Code.PERMISSION_DENIED) {
                    return;
                }
            }
            throw new AssertionError(what + " failed, but not with permission denied: " + e.getCause(), e.getCause());
        }
    }

    @Test
    void theScriptNeverPrintsAPasswordAndASecondRunChangesNothing() {
        assertTrue(firstSetup.contains("auth: enabled"), firstSetup);
        assertEquals(0, secondSetup.exitCode(), "second run: " + secondSetup);
        Pattern change = Pattern.compile("^(role \\S+: (created|granted|revoked)|user \\S+: (created|granted))");
        assertFalse(secondSetup.out().lines().anyMatch(l -> change.matcher(l).find()),
                "the second run changed a role or user:\n" + secondSetup.out());
        for (String pw : List.of(ROOT_PASSWORD, CI_PASSWORD, RUNNER_PASSWORD)) {
            assertFalse(firstSetup.contains(pw), "a password in the script's output:\n" + firstSetup);
            assertFalse((secondSetup.out() + secondSetup.err()).contains(pw), "a password in the output:\n" + secondSetup);
        }
    }

    @Test
    void ciCanWriteBelowTheTriggerPrefixAndReadStatusRecords() throws Exception {
        // a key of the trigger prefix that the watch does not name: the runner test's trigger stays unseen
        ci.getKVClient().put(bytes("/cicd/app/probe"), bytes("{\"imageTag\":\"probe\"}")).get(10, TimeUnit.SECONDS);
        ci.getKVClient().get(bytes("/cicd/.status/"), GetOption.builder().isPrefix(true).build()).get(10, TimeUnit.SECONDS);
    }

    @Test
    void ciCannotWriteACheckpointAFingerprintAStatusRecordOrAnElectionKey() throws Exception {
        var kv = ci.getKVClient();
        assertDenied(kv.put(bytes("/cicd/.state/" + GROUP + "/checkpoint/" + WATCH), bytes("999999")), "checkpoint put");
        assertDenied(kv.put(bytes("/cicd/.state/" + GROUP + "/applied/x"), bytes("{\"fingerprint\":\"f\"}")), "fingerprint put");
        assertDenied(kv.put(bytes("/cicd/.status/" + WATCH + "/123"), bytes("{\"outcome\":\"applied\"}")), "status record put");
        assertDenied(kv.put(bytes("/cicd/.election/" + GROUP + "/x"), bytes("ci")), "election key put");
        assertDenied(kv.put(bytes("/cicd/.shards/" + GROUP + "/owners/0"), bytes("ci")), "shard ownership key put");
        kv.get(bytes("/cicd/.shards/" + GROUP + "/members/"), GetOption.builder().isPrefix(true).build())
                .get(10, TimeUnit.SECONDS); // trigger --wait: a member of a sharded group counts as a runner alive
        assertDenied(kv.delete(bytes("/cicd/.status/"), io.etcd.jetcd.options.DeleteOption.builder().isPrefix(true).build()),
                "status records delete");
        assertDenied(kv.get(bytes("/cicd/.state/" + GROUP + "/"), GetOption.builder().isPrefix(true).build()), "state read");
    }

    @Test
    void theRunnerCannotWriteATrigger() throws Exception {
        assertDenied(runner.getKVClient().put(bytes(TRIGGER), bytes("{\"imageTag\":\"forged\"}")), "trigger put as cicd-runner");
    }

    @Test
    void theRunnerWithItsRoleAppliesATriggerThatCiWaitsForThroughTheJar() throws Exception {
        Path dir = ItSupport.workDir("etcd-roles-it-");
        Path applied = dir.resolve("applied.txt");
        Files.writeString(dir.resolve("app.peb"), "echo {{ data.imageTag | sh }} >> " + applied + "\n");
        Path config = dir.resolve("cicd.yaml");
        Files.writeString(config, """
                etcd:
                  endpoints: [%s]
                runner:
                  group: %s
                  logDir: logs
                  workDir: work
                  electionTtl: 2s
                watches:
                  - name: %s
                    prefix: /cicd/app
                    keys: [/trigger]
                    template: app.peb
                    action: shell
                    timeout: 30s
                """.formatted(endpoint, GROUP, WATCH));
        Map<String, String> ciEnv = Map.of("CICD_ETCD_ENDPOINTS", endpoint, "CICD_ETCD_USER", "cicd-ci",
                "CICD_ETCD_PASSWORD", CI_PASSWORD, "CICD_RUNNER_GROUP", GROUP);
        try (JarProcess run = JarProcess.start(dir.resolve("runner.log"),
                Map.of("CICD_ETCD_USER", "cicd-runner", "CICD_ETCD_PASSWORD", RUNNER_PASSWORD), "run", "-c", config.toString())) {
            run.awaitLog("watching 1 watch(es)", Duration.ofSeconds(60));

            JarProcess.Finished first = JarProcess.run(Duration.ofSeconds(90), ciEnv, "trigger", "--key", TRIGGER,
                    "--json", "{\"imageTag\":\"v1\"}", "--wait", "--timeout", "60s");
            assertEquals(0, first.exitCode(), "cicd trigger --wait as cicd-ci: " + first + "\n--- runner log\n" + run.log());
            assertTrue(first.out().contains("applied by watch " + WATCH), first.toString());
            JarProcess.Finished second = JarProcess.run(Duration.ofSeconds(90), ciEnv, "trigger", "--key", TRIGGER,
                    "--json", "{\"imageTag\":\"v1\"}", "--wait", "--timeout", "60s");
            assertEquals(0, second.exitCode(), "the same value again: " + second + "\n--- runner log\n" + run.log());
            assertTrue(second.out().contains("in-sync by watch " + WATCH), "the fingerprint was read back: " + second);
            assertEquals(List.of("v1"), Files.readAllLines(applied));
            if (onPath("curl")) { // examples/cicd-trigger.sh as cicd-ci: a token from etcd's JSON gateway
                JarProcess.Finished sh = shellClient(Map.of("CICD_ETCD_USER", "cicd-ci", "CICD_ETCD_PASSWORD", CI_PASSWORD),
                        "{\"imageTag\":\"v2\"}");
                assertEquals(0, sh.exitCode(), "cicd-trigger.sh as cicd-ci: " + sh + "\n--- runner log\n" + run.log());
                assertTrue(sh.out().contains("applied by watch " + WATCH), sh.toString());
                assertEquals(List.of("v1", "v2"), Files.readAllLines(applied));
                JarProcess.Finished refused = shellClient(Map.of("CICD_ETCD_USER", "cicd-ci", "CICD_ETCD_PASSWORD", "wrong"),
                        "{\"imageTag\":\"v3\"}");
                assertEquals(5, refused.exitCode(), "a refused login is infrastructure: " + refused);
            }

            // the runner's own state was written under its role: checkpoint and fingerprint
            long rev = putRevision(second.out());
            String checkpoint = runner.getKVClient().get(bytes("/cicd/.state/" + GROUP + "/checkpoint/" + WATCH))
                    .get(10, TimeUnit.SECONDS).getKvs().get(0).getValue().toString(StandardCharsets.UTF_8);
            assertTrue(Long.parseLong(checkpoint.strip()) >= rev, "checkpoint " + checkpoint + " below revision " + rev);
            assertEquals(1, runner.getKVClient().get(bytes("/cicd/.state/" + GROUP + "/applied/"),
                    GetOption.builder().isPrefix(true).withCountOnly(true).build()).get(10, TimeUnit.SECONDS).getCount());

            int code = run.terminate(Duration.ofSeconds(30));
            assertTrue(code == 143 || code == 0, "graceful stop, exit " + code + ":\n" + run.log());
            assertEquals(0, runner.getKVClient().get(bytes("/cicd/.election/" + GROUP + "/"),
                    GetOption.builder().isPrefix(true).withCountOnly(true).build()).get(10, TimeUnit.SECONDS).getCount(),
                    "the leader key is gone after the stop (resigned)");
            String log = run.log();
            assertFalse(log.toLowerCase(Locale.ROOT).contains("permission denied") || log.contains(" ERROR "),
                    "the runner was refused something:\n" + log);
        }
    }

    private JarProcess.Finished shellClient(Map<String, String> env, String json) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("sh", Path.of("..", "examples", "cicd-trigger.sh").toString(), "-e", endpoint,
                "-t", "60", TRIGGER, json);
        pb.environment().putAll(env);
        Path out = Files.createTempFile("cicd-sh-out-", ".txt");
        Path err = Files.createTempFile("cicd-sh-err-", ".txt");
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(90, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("cicd-trigger.sh did not finish within 90 s: " + Files.readString(out));
        }
        return new JarProcess.Finished(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    private static boolean onPath(String tool) {
        String path = System.getenv("PATH");
        return path != null && java.util.Arrays.stream(path.split(java.io.File.pathSeparator))
                .anyMatch(d -> Files.isExecutable(Path.of(d, tool)));
    }

    static long putRevision(String triggerOut) {
        Matcher m = Pattern.compile("put \\S+ at revision (\\d+)").matcher(triggerOut);
        assertTrue(m.find(), triggerOut);
        return Long.parseLong(m.group(1));
    }
}
