package dev.cicd.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cicd.testkit.EtcdBackend;
import dev.cicd.testkit.EtcdFixture;
import io.etcd.jetcd.ByteSequence;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code once}, {@code trigger} and {@code status} in-process against a real etcd, with a shell watch. */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class OnceAndTriggerTest {

    static EtcdFixture etcd;

    @TempDir
    Path dir;

    @BeforeAll
    static void startEtcd() {
        etcd = EtcdFixture.builder().backend(EtcdBackend.LOCAL).build();
    }

    @AfterAll
    static void stopEtcd() {
        etcd.close();
    }

    Path config(String group) throws Exception {
        Files.writeString(dir.resolve("deploy.peb"), """
                tag={{ data.imageTag | sh }}
                echo "$tag" >> applied.txt
                [ "$tag" != bad ]
                """);
        Path f = dir.resolve("cicd.yaml");
        Files.writeString(f, """
                etcd:
                  endpoints: [%s]
                runner:
                  group: %s
                  logDir: logs
                  electionTtl: 2s
                watches:
                  - name: deploy
                    prefix: /cicd/%s
                    keys: [/trigger]
                    template: deploy.peb
                    action:
                      shell:
                        command: [bash, -c, "cd %s && bash -eu {plan}"]
                        timeout: 30s
                """.formatted(etcd.endpoints().get(0), group, group, dir));
        return f;
    }

    void put(String key, String value) throws Exception {
        etcd.client().getKVClient().put(ByteSequence.from(key, StandardCharsets.UTF_8),
                ByteSequence.from(value, StandardCharsets.UTF_8)).get(10, TimeUnit.SECONDS);
    }

    @Test
    void onceAppliesTheCurrentValueThenOnlyWhatIsNewAndExitsOneOnAFailure() throws Exception {
        Path cfg = config("once");
        put("/cicd/once/trigger", "{\"imageTag\":\"v1\"}");
        CliTestSupport.Run first = CliTestSupport.run("once", "-c", cfg.toString());
        assertEquals(0, first.exitCode(), first.toString());
        assertTrue(Pattern.compile("deploy\\s+1\\s+1\\s+0\\s+0\\s+0").matcher(first.out()).find(), first.out());
        assertEquals(List.of("v1"), Files.readAllLines(dir.resolve("applied.txt")));

        put("/cicd/once/trigger", "{\"imageTag\":\"v2\"}");
        put("/cicd/once/trigger", "{\"imageTag\":\"v2\"}");
        CliTestSupport.Run second = CliTestSupport.run("once", "-c", cfg.toString());
        assertEquals(0, second.exitCode(), second.toString());
        assertTrue(Pattern.compile("deploy\\s+2\\s+1\\s+1\\s+0\\s+0").matcher(second.out()).find(), second.out());
        assertEquals(List.of("v1", "v2"), Files.readAllLines(dir.resolve("applied.txt")));

        put("/cicd/once/trigger", "{\"imageTag\":\"bad\"}");
        CliTestSupport.Run third = CliTestSupport.run("once", "-c", cfg.toString());
        assertEquals(1, third.exitCode(), third.toString());
        assertTrue(Pattern.compile("deploy\\s+1\\s+0\\s+0\\s+0\\s+1").matcher(third.out()).find(), third.out());

        CliTestSupport.Run status = CliTestSupport.run("status", "-c", cfg.toString());
        assertEquals(0, status.exitCode(), status.toString());
        assertTrue(status.out().contains("group once, leader: none"), status.out());
        assertTrue(Pattern.compile("deploy\\s+/cicd/once/trigger\\s+\\d+\\s+failed r\\d+ .*exit code 1.*\\s0\\n").matcher(status.out()).find(),
                status.out());
    }

    @Test
    void aKubeconfigThatCannotBeReadIsABadConfig() throws Exception {
        Files.writeString(dir.resolve("kubeconfig"), "this: [is not a kubeconfig\n");
        Path f = dir.resolve("k8s.yaml");
        Files.writeString(f, """
                etcd:
                  endpoints: [%s]
                kubernetes:
                  kubeconfig: kubeconfig
                registry: registry.example.com/demo
                runner: {group: kube}
                watches:
                  - name: rollout
                    prefix: /cicd/kube
                    keys: [/trigger]
                    template: builtin:k8s-rollout
                    action: kubernetes
                    allowedNamespaces: [ns-demo1-dev]
                """.formatted(etcd.endpoints().get(0)));
        CliTestSupport.Run r = CliTestSupport.run("once", "-c", f.toString());
        assertEquals(2, r.exitCode(), r.toString());
        assertTrue(r.err().startsWith("cicd: kubernetes: cannot build a client from " + dir.resolve("kubeconfig")), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
    }

    @Test
    void triggerWaitWithoutARunnerTimesOutWithExitFour() {
        CliTestSupport.Run r = CliTestSupport.run("trigger", "--endpoints", etcd.endpoints().get(0).toString(),
                "--key", "/cicd/nobody/trigger", "--json", "{\"imageTag\":\"v1\"}", "--wait", "--timeout", "1s");
        assertEquals(4, r.exitCode(), r.toString());
        assertTrue(r.out().contains("put /cicd/nobody/trigger at revision "), r.out());
        assertTrue(r.out().contains("timed out: no outcome for revision"), r.out());
    }

    @Test
    void triggerWithoutWaitPutsTheFieldsAsTheRecipesJson() throws Exception {
        CliTestSupport.Run r = CliTestSupport.run("trigger", "--endpoints", etcd.endpoints().get(0).toString(),
                "--key", "/cicd/fields/trigger", "--namespace", "ns-demo1-dev", "--app", "demo1", "--service", "gateway",
                "--tag", "v7");
        assertEquals(0, r.exitCode(), r.toString());
        var kv = etcd.client().getKVClient().get(ByteSequence.from("/cicd/fields/trigger", StandardCharsets.UTF_8))
                .get(10, TimeUnit.SECONDS).getKvs().get(0);
        assertEquals("{\"action\":\"deploy\",\"k8sNamespace\":\"ns-demo1-dev\",\"appName\":\"demo1\",\"svcName\":\"gateway\","
                + "\"imageTag\":\"v7\"}", kv.getValue().toString(StandardCharsets.UTF_8));
    }

    @Test
    void invalidJsonIsABadUsageAndNothingIsPut() {
        CliTestSupport.Run r = CliTestSupport.run("trigger", "--endpoints", etcd.endpoints().get(0).toString(),
                "--key", "/cicd/bad/trigger", "--json", "{not json");
        assertEquals(2, r.exitCode(), r.toString());
        assertTrue(r.err().contains("not valid JSON"), r.err());
    }
}
