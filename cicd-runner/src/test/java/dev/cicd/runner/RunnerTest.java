package dev.cicd.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cicd.core.Outcome;
import dev.cicd.etcd.PublishResult;
import dev.cicd.etcd.TriggerPublisher;
import dev.cicd.runner.internal.http.Health;
import dev.cicd.testkit.EtcdBackend;
import dev.cicd.testkit.EtcdFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The wired runner in-process against a real etcd: leadership, failover, health. */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class RunnerTest {

    @TempDir
    Path dir;

    @Test
    void twoRunnersOfOneGroupActOnlyAsLeaderAndTheSecondTakesOverWhenTheFirstStops() throws Exception {
        Files.writeString(dir.resolve("t.peb"), "echo {{ data.imageTag | sh }}\n");
        try (EtcdFixture etcd = EtcdFixture.builder().backend(EtcdBackend.LOCAL).build()) {
            Path f = dir.resolve("cicd.yaml");
            Files.writeString(f, """
                    etcd: {endpoints: [%s]}
                    runner: {group: pair, logDir: logs, electionTtl: 2s}
                    watches:
                      - {name: deploy, prefix: /cicd/pair, keys: [/trigger], template: t.peb, action: shell}
                    """.formatted(etcd.endpoints().get(0)));
            TriggerPublisher publisher = TriggerPublisher.builder(etcd.client()).build();
            Runner a = Runner.start(RunnerConfig.load(f, Map.of("CICD_RUNNER_ID", "runner-a")));
            try (Runner b = Runner.start(RunnerConfig.load(f, Map.of("CICD_RUNNER_ID", "runner-b")))) {
                try {
                    assertTrue(a.awaitWatching(Duration.ofSeconds(30)), "the first runner leads");
                    assertFalse(b.awaitWatching(Duration.ofSeconds(1)), "the second stands by");
                    assertTrue(a.isLeader());
                    assertFalse(b.isLeader());
                    Health standby = b.health();
                    assertTrue(standby.ready(), standby.toString());
                    assertTrue(b.liveness().live(), b.liveness().toString());
                    assertEquals(Map.of("deploy", "standby"), standby.details().get("watches"));

                    PublishResult first = publisher.publishAndAwait("/cicd/pair/trigger", "{\"imageTag\":\"v1\"}", Duration.ofSeconds(30));
                    assertEquals(Outcome.Kind.APPLIED, first.kind().orElseThrow(), first.reason());
                    assertEquals("runner-a", first.status().orElseThrow().runnerId());
                    assertTrue(a.health().ready(), a.health().toString());
                } finally {
                    a.close();
                }
                assertTrue(b.awaitWatching(Duration.ofSeconds(30)), "the second runner takes over");
                PublishResult second = publisher.publishAndAwait("/cicd/pair/trigger", "{\"imageTag\":\"v2\"}", Duration.ofSeconds(30));
                assertEquals(Outcome.Kind.APPLIED, second.kind().orElseThrow(), second.reason());
                assertEquals("runner-b", second.status().orElseThrow().runnerId());
                PublishResult same = publisher.publishAndAwait("/cicd/pair/trigger", "{\"imageTag\":\"v2\"}", Duration.ofSeconds(30));
                assertEquals(Outcome.Kind.IN_SYNC, same.kind().orElseThrow(), same.reason());
                Health leading = b.health();
                assertTrue(leading.ready(), leading.toString());
                assertTrue(b.liveness().live(), b.liveness().toString());
                assertEquals(true, leading.details().get("leader"));
            }
        }
    }

    @Test
    void theRunnerKeepsStatusRetentionMaxPerWatchRecordsAndTheLatest() throws Exception {
        Files.writeString(dir.resolve("t.peb"), "echo {{ data.imageTag | sh }}\n");
        try (EtcdFixture etcd = EtcdFixture.builder().backend(EtcdBackend.LOCAL).build()) {
            Path f = dir.resolve("cicd.yaml");
            Files.writeString(f, """
                    etcd: {endpoints: [%s]}
                    runner: {group: kept, logDir: logs, statusRetention: {maxPerWatch: 3}}
                    watches:
                      - {name: deploy, prefix: /cicd/kept, keys: [/trigger], template: t.peb, action: shell}
                    """.formatted(etcd.endpoints().get(0)));
            TriggerPublisher publisher = TriggerPublisher.builder(etcd.client()).build();
            try (Runner r = Runner.start(RunnerConfig.load(f, Map.of()))) {
                assertTrue(r.awaitWatching(Duration.ofSeconds(30)));
                long last = 0;
                for (int i = 0; i < 10; i++) {
                    last = publisher.publish("/cicd/kept/trigger", "{\"imageTag\":\"v" + i + "\"}");
                }
                PublishResult done = publisher.awaitOutcome("/cicd/kept/trigger", last, Duration.ofSeconds(60));
                assertEquals(Outcome.Kind.APPLIED, done.kind().orElseThrow(), done.reason());
                var range = io.etcd.jetcd.options.GetOption.builder()
                        .withRange(io.etcd.jetcd.ByteSequence.from("/cicd/.status/deploy/:", java.nio.charset.StandardCharsets.UTF_8))
                        .withCountOnly(true).build();
                var from = io.etcd.jetcd.ByteSequence.from("/cicd/.status/deploy/0", java.nio.charset.StandardCharsets.UTF_8);
                long records = 10;
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (records > 3 && System.nanoTime() < deadline) {
                    Thread.sleep(100);
                    records = etcd.client().getKVClient().get(from, range).get(5, TimeUnit.SECONDS).getCount();
                }
                assertEquals(3, records, "the newest 3 of 10 per-revision records are kept");
                var latest = etcd.client().getKVClient().get(io.etcd.jetcd.ByteSequence.from("/cicd/.status/deploy/latest",
                        java.nio.charset.StandardCharsets.UTF_8)).get(5, TimeUnit.SECONDS).getKvs();
                assertTrue(latest.get(0).getValue().toString(java.nio.charset.StandardCharsets.UTF_8)
                        .contains("\"revision\":" + last), "latest stays");
            }
        }
    }
}
