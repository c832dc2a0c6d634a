package dev.cicd.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cicd.core.Outcome;
import dev.cicd.core.TriggerSignatures;
import dev.cicd.etcd.PublishResult;
import dev.cicd.etcd.TriggerPublisher;
import dev.cicd.testkit.EtcdBackend;
import dev.cicd.testkit.EtcdFixture;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KV;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Signed triggers through the jar: a shell watch with {@code verify} applies values signed by the README's
 * own openssl lines (HMAC and Ed25519, run with {@code bash -c}) and by {@code cicd trigger --sign-key};
 * unsigned, wrongly signed, expired and replayed values end {@code rejected} with the reason and run
 * nothing, and the next good value still runs.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class SignedTriggersIT {

    private static final String KEY = "/cicd/signed/trigger";
    private static final Duration WAIT = Duration.ofSeconds(60);

    static ByteSequence bytes(String s) {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
    }

    /** The bash blocks of the README's "Signed triggers" section: the HMAC one, then the Ed25519 one. */
    static List<String> readmeSigningScripts() throws Exception {
        String readme = Files.readString(Path.of("..", "README.md"));
        int from = readme.indexOf("\n## Signed triggers\n");
        assertTrue(from >= 0, "the README has a Signed triggers section");
        String section = readme.substring(from, readme.indexOf("\n## ", from + 5));
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile("```bash\n(.*?)```", Pattern.DOTALL).matcher(section);
        while (m.find()) {
            out.add(m.group(1));
        }
        assertEquals(2, out.size(), "two openssl scripts in the section");
        assertTrue(out.get(0).contains("openssl dgst -sha256 -hmac") && out.get(1).contains("openssl pkeyutl -sign"));
        return out;
    }

    static String run(Path dir, Map<String, String> env, String script) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("bash", "-c", "set -euo pipefail\n" + script).directory(dir.toFile())
                .redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "bash finished: " + script);
        assertEquals(0, p.exitValue(), "bash -c " + script + "\n" + out);
        return out;
    }

    static Optional<Path> onPath(String exe) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path p = Path.of(d, exe);
            if (Files.isExecutable(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    @Test
    void onlyValidSignaturesRunAndEveryOtherValueIsRejectedWithTheReason() throws Exception {
        Path dir = ItSupport.workDir("signed-it-");
        Path marker = dir.resolve("ran.txt");
        List<String> scripts = readmeSigningScripts();
        // the keys, made as the README says
        run(dir, Map.of(), "openssl rand -hex 32 > hmac.key\nopenssl genpkey -algorithm ed25519 -out ci.pem\n"
                + "openssl pkey -in ci.pem -pubout -out ci.pub\n");
        String envSecret = "env-secret-0123456789abcdef0123456789";
        Files.writeString(dir.resolve("env.key"), envSecret + "\n");
        Files.writeString(dir.resolve("deploy.peb"), "printf '%s\\n' {{ value | sh }} >> " + marker + "\n");
        try (EtcdFixture etcd = EtcdFixture.builder().backend(EtcdBackend.LOCAL).build()) {
            String endpoint = etcd.endpoints().get(0).toString();
            Path config = dir.resolve("cicd.yaml");
            Files.writeString(config, """
                    etcd:
                      endpoints: [%s]
                    runner:
                      group: signed
                      logDir: logs
                      workDir: work
                    watches:
                      - name: deploy
                        prefix: /cicd/signed
                        keys: [/trigger]
                        template: deploy.peb
                        action: shell
                        timeout: 30s
                        verify:
                          hmacKeys: [ci=hmac.key, ci-env=env:DEPLOY_HMAC]
                          ed25519Keys: [release=ci.pub]
                    """.formatted(endpoint));
            KV kv = etcd.client().getKVClient();
            TriggerPublisher ci = TriggerPublisher.builder(etcd.client()).build();
            // the README's scripts end with `etcdctl put "$KEY"`; without etcdctl a stand-in keeps the bytes
            Path bin = Files.createDirectories(dir.resolve("bin"));
            Path captured = dir.resolve("captured.bin");
            boolean realEtcdctl = onPath("etcdctl").isPresent();
            if (!realEtcdctl) {
                Files.writeString(bin.resolve("etcdctl"), "#!/bin/sh\ncat > " + captured + "\n");
                bin.resolve("etcdctl").toFile().setExecutable(true);
            }
            Map<String, String> shellEnv = Map.of("KEY", KEY, "ETCDCTL_API", "3", "ETCDCTL_ENDPOINTS", endpoint,
                    "PATH", bin + File.pathSeparator + System.getenv("PATH"));

            try (JarProcess runner = JarProcess.start(dir.resolve("runner.log"), Map.of("DEPLOY_HMAC", envSecret),
                    "run", "-c", config.toString())) {
                runner.awaitLog("watching 1 watch(es)", WAIT);

                // 1. the README's HMAC lines
                Files.writeString(dir.resolve("payload.json"), "{\"n\":1}");
                long rev1 = putByScript(dir, shellEnv, scripts.get(0), kv, realEtcdctl, captured);
                byte[] first = kv.get(bytes(KEY)).get(10, TimeUnit.SECONDS).getKvs().get(0).getValue().getBytes();
                assertTrue(new String(first, StandardCharsets.UTF_8).startsWith("cicd-sig-v1 key-id=ci alg=hmac-sha256 "));
                expect(ci, rev1, Outcome.Kind.APPLIED, "");
                // 2. the README's Ed25519 lines
                Files.writeString(dir.resolve("payload.json"), "{\"n\":2}");
                expect(ci, putByScript(dir, shellEnv, scripts.get(1), kv, realEtcdctl, captured), Outcome.Kind.APPLIED, "");

                // 3. unsigned
                expect(ci, put(kv, "{\"n\":3}".getBytes(StandardCharsets.UTF_8)), Outcome.Kind.REJECTED, "is not signed");
                // 4. signed with a key the runner does not have under that id
                byte[] wrong = TriggerSignatures.sign(KEY, "{\"n\":4}".getBytes(StandardCharsets.UTF_8),
                        TriggerSignatures.Signer.hmac("ci", "not-the-secret-0123456789abcdef".getBytes(StandardCharsets.UTF_8)),
                        Instant.now().plusSeconds(300));
                expect(ci, put(kv, wrong), Outcome.Kind.REJECTED, "does not verify with key id 'ci'");
                // 5. expired
                byte[] expired = TriggerSignatures.sign(KEY, "{\"n\":5}".getBytes(StandardCharsets.UTF_8),
                        TriggerSignatures.Signer.fromFile("ci", dir.resolve("hmac.key"), null), Instant.now().minusSeconds(10));
                expect(ci, put(kv, expired), Outcome.Kind.REJECTED, "expired at");
                // 6. the first value put again
                long replay = put(kv, first);
                expect(ci, replay, Outcome.Kind.REJECTED, "is a replay: its nonce");

                // 7. cicd trigger --sign-key: HMAC with the key the runner reads from DEPLOY_HMAC, then Ed25519
                JarProcess.Finished t7 = JarProcess.run(WAIT, Map.of(), "trigger", "--endpoints", endpoint, "--key", KEY,
                        "--json", "{\"n\":7}", "--sign-key", dir.resolve("env.key").toString(), "--key-id", "ci-env",
                        "--wait", "--timeout", "60s");
                assertEquals(0, t7.exitCode(), t7.toString());
                assertTrue(t7.out().contains("applied by watch deploy"), t7.toString());
                JarProcess.Finished t8 = JarProcess.run(WAIT, Map.of(), "trigger", "--endpoints", endpoint, "--key", KEY,
                        "--json", "{\"n\":8}", "--sign-key", dir.resolve("ci.pem").toString(), "--key-id", "release",
                        "--valid-for", "1m", "--wait", "--timeout", "60s");
                assertEquals(0, t8.exitCode(), t8.toString());
                // a rejected signed trigger exits 2 with the reason
                JarProcess.Finished t9 = JarProcess.run(WAIT, Map.of(), "trigger", "--endpoints", endpoint, "--key", KEY,
                        "--json", "{\"n\":9}", "--sign-key", dir.resolve("ci.pem").toString(), "--key-id", "ci",
                        "--wait", "--timeout", "60s");
                assertEquals(2, t9.exitCode(), t9.toString());
                assertTrue(t9.out().contains("rejected") && t9.out().contains("says alg=ed25519, but key id 'ci' is an "
                        + "hmac-sha256 key"), t9.toString());

                assertEquals(List.of("{\"n\":1}", "{\"n\":2}", "{\"n\":7}", "{\"n\":8}"), Files.readAllLines(marker),
                        "only the validly signed values ran, and their templates saw the payload without the header");
                String log = runner.log();
                assertFalse(log.contains(Files.readString(dir.resolve("hmac.key")).strip()) || log.contains(envSecret),
                        "no secret in the runner's log");
                runner.terminate(Duration.ofSeconds(30));
            }
        }
    }

    private static long putByScript(Path dir, Map<String, String> env, String script, KV kv, boolean realEtcdctl,
            Path captured) throws Exception {
        run(dir, env, script);
        if (!realEtcdctl) {
            return put(kv, Files.readAllBytes(captured));
        }
        return kv.get(bytes(KEY)).get(10, TimeUnit.SECONDS).getKvs().get(0).getModRevision();
    }

    private static long put(KV kv, byte[] value) throws Exception {
        return kv.put(bytes(KEY), ByteSequence.from(value)).get(10, TimeUnit.SECONDS).getHeader().getRevision();
    }

    private static void expect(TriggerPublisher ci, long revision, Outcome.Kind kind, String reason) {
        PublishResult r = ci.awaitOutcome(KEY, revision, WAIT);
        assertEquals(Optional.of(kind), r.kind(), "revision " + revision + ": " + r.reason());
        assertTrue(r.reason().contains(reason), "revision " + revision + ": " + r.reason());
    }
}
