package dev.cicd.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cicd.core.CicdException;
import dev.cicd.core.Outcome;
import dev.cicd.etcd.PublishResult;
import dev.cicd.etcd.ShardMembership;
import dev.cicd.etcd.TriggerPublisher;
import dev.cicd.testkit.EtcdBackend;
import dev.cicd.testkit.EtcdFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Runners of a sharded group in-process against a real etcd: each carries out its shards' events. */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class ShardedRunnerTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private Path config(EtcdFixture etcd, String group, int shards) throws Exception {
        Files.writeString(dir.resolve("t.peb"), "echo {{ data.app | sh }} {{ data.n }} >> " + dir.resolve("ran.txt") + "\n");
        Path f = dir.resolve(group + ".yaml");
        Files.writeString(f, """
                etcd: {endpoints: [%s]}
                runner: {group: %s, shards: %d, logDir: logs, electionTtl: 2s}
                watches:
                  - {name: %s, prefix: /cicd/%s, keys: [/trigger], template: t.peb, target: "{{ data.app }}", action: shell}
                """.formatted(etcd.endpoints().get(0), group, shards, group, group));
        return f;
    }

    private static boolean owns(Runner r, int count) {
        return r.shards().size() == count;
    }

    private static boolean await(Duration timeout, java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(50);
        }
        return true;
    }

    @Test
    void twoRunnersShareTheShardsEachValueRunsOnceAndTheSurvivorTakesAllWhenOneStops() throws Exception {
        try (EtcdFixture etcd = EtcdFixture.builder().backend(EtcdBackend.LOCAL).build()) {
            Path f = config(etcd, "split", 8);
            TriggerPublisher publisher = TriggerPublisher.builder(etcd.client()).build();
            Runner a = Runner.start(RunnerConfig.load(f, Map.of("CICD_RUNNER_ID", "runner-a")));
            try (Runner b = Runner.start(RunnerConfig.load(f, Map.of("CICD_RUNNER_ID", "runner-b")))) {
                try {
                    assertTrue(await(WAIT, () -> owns(a, 4) && owns(b, 4)), "4 shards each: " + a.shards() + " "
                            + b.shards());
                    assertTrue(a.awaitWatching(WAIT) && b.awaitWatching(WAIT));
                    List<Long> revisions = new ArrayList<>();
                    for (int n = 1; n <= 40; n++) {
                        revisions.add(publisher.publish("/cicd/split/trigger", "{\"app\":\"app" + n % 10 + "\",\"n\":" + n + "}"));
                    }
                    Set<String> by = new HashSet<>();
                    for (long rev : revisions) {
                        PublishResult r = publisher.awaitOutcome("/cicd/split/trigger", rev, WAIT);
                        assertEquals(Outcome.Kind.APPLIED, r.kind().orElseThrow(), r.reason());
                        String runner = r.status().orElseThrow().runnerId();
                        int shard = ShardMembership.shardOf("app" + (revisions.indexOf(rev) + 1) % 10, 8);
                        assertTrue((runner.equals("runner-a") ? a : b).shards().contains(shard),
                                "revision " + rev + " of shard " + shard + " was carried out by its owner " + runner);
                        by.add(runner);
                    }
                    assertEquals(Set.of("runner-a", "runner-b"), by, "both runners carried out events");
                    assertEquals(40, Files.readAllLines(dir.resolve("ran.txt")).size(), "each value ran once");
                    assertTrue(a.health().ready(), a.health().toString());
                } finally {
                    a.close();
                }
                assertTrue(await(WAIT, () -> owns(b, 8)), "the survivor owns every shard: " + b.shards());
                assertTrue(b.awaitWatching(WAIT));
                PublishResult after = publisher.publishAndAwait("/cicd/split/trigger", "{\"app\":\"app1\",\"n\":41}", WAIT);
                assertEquals(Outcome.Kind.APPLIED, after.kind().orElseThrow(), after.reason());
                assertEquals("runner-b", after.status().orElseThrow().runnerId());
                PublishResult same = publisher.publishAndAwait("/cicd/split/trigger", "{\"app\":\"app1\",\"n\":41}", WAIT);
                assertEquals(Outcome.Kind.IN_SYNC, same.kind().orElseThrow(), same.reason());
                assertEquals(41, Files.readAllLines(dir.resolve("ran.txt")).size());
            }
        }
    }

    @Test
    void aGroupRunsEitherWithOneLeaderOrWithShardsNeverBoth() throws Exception {
        try (EtcdFixture etcd = EtcdFixture.builder().backend(EtcdBackend.LOCAL).build()) {
            Path sharded = config(etcd, "mixed", 4);
            try (Runner a = Runner.start(RunnerConfig.load(sharded, Map.of("CICD_RUNNER_ID", "runner-a")))) {
                assertTrue(await(WAIT, () -> owns(a, 4)));
                ConfigException e = assertThrows(ConfigException.class, () -> Runner.start(RunnerConfig.load(sharded,
                        Map.of("CICD_RUNNER_ID", "runner-b", "CICD_RUNNER_SHARDS", "0"))));
                assertTrue(e.getMessage().contains("group mixed is sharded (4 shards, key /cicd/.shards/mixed/config"),
                        e.getMessage());
                CicdException count = assertThrows(CicdException.class, () -> Runner.start(RunnerConfig.load(
                        sharded, Map.of("CICD_RUNNER_ID", "runner-c", "CICD_RUNNER_SHARDS", "8"))));
                assertEquals(CicdException.Code.CONFIG, count.code());
                assertTrue(count.getMessage().contains("runner.shards is 8 but group mixed was created with 4 shards"),
                        count.getMessage());
            }
            Path leader = config(etcd, "single", 0);
            try (Runner a = Runner.start(RunnerConfig.load(leader, Map.of("CICD_RUNNER_ID", "runner-a")))) {
                assertTrue(a.awaitWatching(WAIT));
                ConfigException e = assertThrows(ConfigException.class, () -> Runner.start(RunnerConfig.load(leader,
                        Map.of("CICD_RUNNER_ID", "runner-b", "CICD_RUNNER_SHARDS", "4"))));
                assertTrue(e.getMessage().contains("keys under /cicd/.election/single/"), e.getMessage());
            }
        }
    }
}
