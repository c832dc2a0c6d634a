package dev.cicd.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cicd.etcd.ShardMembership;
import dev.cicd.etcd.StatusRecord;
import io.etcd.jetcd.KeyValue;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Runners of a group sharing its targets through etcd in shards (issue "Scale out"), through the jar as users run
 * it: three runner JVMs (a fourth joins in one test) on a real etcd, {@value #SHARDS} shards, lease TTL 2 s, one
 * shell watch over {@value #TARGETS} targets (one key each) whose script appends "revision runner n" to a file per
 * target (see {@link ShardGroup}). An {@link OwnershipChecker} reads the shard owners from etcd throughout each test.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ShardedRunnersIT {

    static final int SHARDS = 64;
    static final int TARGETS = 200;
    static final Duration TTL = Duration.ofSeconds(2);
    static final Duration HANDOVER_BOUND = TTL.plusSeconds(2);
    static final int PARALLELISM = 8;
    static final Duration READY = Duration.ofSeconds(90);
    static final Duration ALL_RECORDED = Duration.ofSeconds(120);

    static ShardGroup startGroup(String name, String... ids) throws Exception {
        ShardGroup g = new ShardGroup(name, SHARDS, TTL, PARALLELISM);
        try {
            for (String id : ids) {
                g.start(id);
            }
            g.awaitBalanced(READY);
            return g;
        } catch (Exception | AssertionError e) {
            g.close();
            throw e;
        }
    }

    @Test
    void everyShardIsOwnedByExactlyOneLiveRunnerWhileRunnersStartDieJoinAndLeave() throws Exception {
        try (ShardGroup g = new ShardGroup("own", SHARDS, TTL, PARALLELISM); OwnershipChecker checker = new OwnershipChecker(g)) {
            for (String id : List.of("r1", "r2", "r3")) {
                g.start(id);
            }
            g.awaitReady(READY);
            Map<Long, Integer> puts = new TreeMap<>(g.burst(0, 200, TARGETS));
            g.awaitRecorded(puts.keySet().stream().limit(50).toList(), ALL_RECORDED);
            g.sigkill("r2");
            g.start("r4");
            puts.putAll(g.burst(200, 200, TARGETS));
            g.awaitReady(READY);
            int code = g.terminate("r1");
            assertTrue(code == 0 || code == 143, "r1 stopped gracefully, exit " + code);
            g.awaitReady(READY);
            g.awaitRecorded(puts.keySet(), ALL_RECORDED);

            ShardGroup.Snapshot end = g.snapshot();
            assertEquals(SHARDS, end.owners().size(), "every shard owned at the end: " + end);
            assertEquals(Set.of("r3", "r4"), Set.copyOf(end.owners().values()), "owned by the live runners only: " + end);
            assertEquals(Set.of("r3", "r4"), end.members(), "members at the end");
            Map<String, Integer> byRunner = OwnershipChecker.ownersByRunner(end);
            for (String id : List.of("r3", "r4")) {
                // each runner's own view (its metric, when exposed) agrees with etcd: no shard held twice
                Optional<Double> owned = g.metric(id, "cicd_shards_owned");
                owned.ifPresent(v -> assertEquals(byRunner.get(id).doubleValue(), v,
                        id + "'s cicd_shards_owned against etcd's owner keys " + byRunner));
                System.out.printf("ownership test: %s owns %d shards in etcd, its cicd_shards_owned %s%n", id,
                        byRunner.get(id), owned.map(String::valueOf).orElse("not exposed"));
            }
            checker.assertNoViolation();
            System.out.printf("ownership test: %d samples of the owners without a violation; %d ownerships taken%n",
                    checker.samples(), checker.takenAfter(0).size());
        }
    }

    @Test
    void sigkillMidBurstHandsItsShardsOverWithinTtlPlusTwoSecondsLosesNothingKeepsOrderAndRerunsOnlyInFlightEvents()
            throws Exception {
        try (ShardGroup g = startGroup("kill", "r1", "r2", "r3"); OwnershipChecker checker = new OwnershipChecker(g)) {
            Map<Long, Integer> puts = new TreeMap<>(g.burst(0, 1000, TARGETS));
            awaitRunsBy(g, "r2", 20);
            g.awaitRecorded(puts.keySet().stream().limit(200).toList(), ALL_RECORDED);
            ShardGroup.Snapshot before = g.snapshot();
            long killedAt = g.sigkill("r2");
            Map<Long, KeyValue> recordedAtKill = CrashRecoveryIT.statusRecords(g.kv);
            CompletableFuture<Map<Long, Integer>> rest = CompletableFuture.supplyAsync(() -> {
                try {
                    return g.burst(1000, 1000, TARGETS);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            Duration handover = awaitHandedOver(g, "r2", killedAt);
            puts.putAll(rest.get(60, TimeUnit.SECONDS));
            Map<Long, KeyValue> records = g.awaitRecorded(puts.keySet(), ALL_RECORDED);
            Thread.sleep(300); // a script the dead JVM left running finishes its line

            Map<Long, List<ScriptRuns.Run>> runs = g.runs().byRevision();
            List<Long> neverRun = puts.keySet().stream().filter(r -> !runs.containsKey(r)).toList();
            assertTrue(neverRun.isEmpty(), neverRun.size() + " revisions recorded but never run: " + neverRun);
            Set<Long> inFlightAtKill = runs.entrySet().stream()
                    .filter(e -> e.getValue().get(0).runner().equals("r2") && !recordedAtKill.containsKey(e.getKey()))
                    .map(Map.Entry::getKey).collect(Collectors.toCollection(TreeSet::new));
            Map<Long, List<String>> reruns = new TreeMap<>();
            runs.forEach((rev, list) -> {
                if (list.size() > 1) {
                    reruns.put(rev, list.stream().map(ScriptRuns.Run::runner).toList());
                }
            });
            Map<Long, List<String>> notInFlight = new TreeMap<>(reruns);
            notInFlight.keySet().removeAll(inFlightAtKill);
            assertTrue(notInFlight.isEmpty(), "re-run although not in flight on r2 at the kill (revision -> runners): "
                    + notInFlight + "; in flight at the kill: " + inFlightAtKill);
            assertTrue(reruns.size() <= PARALLELISM, reruns.size() + " events ran twice, more than r2's runner.parallelism "
                    + PARALLELISM + ": " + reruns);
            assertEquals(Map.of(), g.runs().outOfOrder(), "targets whose events ran out of revision order");
            for (Map.Entry<Long, KeyValue> e : records.entrySet()) {
                String json = e.getValue().getValue().toString(StandardCharsets.UTF_8);
                assertTrue(json.contains("\"outcome\":\"applied\""), e.getKey() + ": " + json);
                String by = runnerOf(json);
                List<String> ranBy = runs.getOrDefault(e.getKey(), List.of()).stream().map(ScriptRuns.Run::runner).toList();
                assertTrue(ranBy.contains(by), "revision " + e.getKey() + " recorded by " + by + " but run by " + ranBy);
                if (ranBy.size() > 1) {
                    assertEquals(1, CrashRecoveryIT.finalWrites(g.kv, e.getValue()),
                            "revision " + e.getKey() + " (run by " + ranBy + ") recorded once");
                }
            }
            checker.assertNoViolation();
            System.out.printf("kill test: r2 owned %d shards, killed with %d of 1000 recorded; its shards owned by the"
                    + " survivors %d ms after the kill (bound %d ms); %d in flight on r2, %d re-run %s; 2000 recorded, 0 lost%n",
                    OwnershipChecker.ownersByRunner(before).getOrDefault("r2", 0), recordedAtKill.size(), handover.toMillis(),
                    HANDOVER_BOUND.toMillis(), inFlightAtKill.size(), reruns.size(), reruns);
            assertTrue(handover.compareTo(HANDOVER_BOUND) <= 0, "r2's shards were owned by the survivors only "
                    + handover.toMillis() + " ms after its SIGKILL, bound " + HANDOVER_BOUND.toMillis() + " ms");
        }
    }

    @Test
    void aFourthRunnerJoiningMovesAtMostEighteenShardsAndLosesNothingDuringABurst() throws Exception {
        try (ShardGroup g = startGroup("join", "r1", "r2", "r3"); OwnershipChecker checker = new OwnershipChecker(g)) {
            ShardGroup.Snapshot before = g.snapshot();
            Map<Long, Integer> puts = new TreeMap<>(g.burst(0, 300, TARGETS));
            g.start("r4");
            puts.putAll(g.burst(300, 300, TARGETS));
            ShardGroup.Snapshot after = g.awaitBalanced(READY);
            List<OwnershipChecker.Taken> moves = checker.takenAfter(before.revision());
            Map<Long, KeyValue> records = g.awaitRecorded(puts.keySet(), ALL_RECORDED);
            Map<Long, String> rerunDetail = new TreeMap<>();
            for (Map.Entry<Long, List<ScriptRuns.Run>> e : g.runs().byRevision().entrySet()) {
                if (e.getValue().size() > 1) {
                    rerunDetail.put(e.getKey(), e.getValue().stream().map(ScriptRuns.Run::runner).toList() + " recorded by "
                            + recorders(g, records.get(e.getKey())));
                }
            }
            int changed = (int) after.owners().entrySet().stream()
                    .filter(e -> !e.getValue().equals(before.owners().get(e.getKey()))).count();
            int bound = (int) Math.ceil(SHARDS / 4.0) + 2;
            Map<Long, List<ScriptRuns.Run>> runs = g.runs().byRevision();
            long reruns = runs.values().stream().filter(l -> l.size() > 1).count();
            System.out.printf("join test: owners before %s, after %s; %d ownerships taken after the join (%d shards"
                    + " with another owner), bound %d; %d events re-run %s; %d recorded%n",
                    OwnershipChecker.ownersByRunner(before), OwnershipChecker.ownersByRunner(after), moves.size(), changed,
                    bound, reruns, rerunDetail, records.size());
            assertTrue(after.owners().containsValue("r4"), "r4 owns shards after joining: " + after);
            assertTrue(moves.size() <= bound, moves.size() + " ownerships taken after r4 joined, bound " + bound + ": " + moves);
            List<Long> neverRun = puts.keySet().stream().filter(r -> !runs.containsKey(r)).toList();
            assertTrue(neverRun.isEmpty(), neverRun.size() + " revisions recorded but never run: " + neverRun);
            assertEquals(Map.of(), g.runs().outOfOrder(), "targets whose events ran out of revision order");
            for (Map.Entry<Long, KeyValue> e : records.entrySet()) {
                String json = e.getValue().getValue().toString(StandardCharsets.UTF_8);
                assertTrue(json.contains("\"outcome\":\"applied\""), e.getKey() + ": " + json);
            }
            checker.assertNoViolation();
        }
    }

    @Test
    void aDeposedOwnersCommitIsRefusedAndTheNewOwnerRecordsTheEventOnce() throws Exception {
        try (ShardGroup g = startGroup("fence", "r1", "r2", "r3"); OwnershipChecker checker = new OwnershipChecker(g)) {
            int target = 7;
            int shard = ShardMembership.shardOf(ShardGroup.key(target), SHARDS);
            g.awaitRecorded(List.of(g.put(target, ShardGroup.value(0, target, false))), ALL_RECORDED); // warm
            long rev = g.put(target, ShardGroup.value(1, target, true));
            String owner = awaitFirstRun(g, rev).runner();
            ShardGroup.Snapshot atStart = g.snapshot();
            assertEquals(owner, atStart.owners().get(shard), "the event ran on the owner of shardOf(" + ShardGroup.key(target)
                    + ") = " + shard + " in etcd");
            Thread.sleep(300);
            long stoppedAt = g.sigstop(owner);
            int logBefore = g.member(owner).process.log().length();
            Duration moved = awaitHandedOver(g, owner, stoppedAt);
            String newOwner = g.snapshot().owners().get(shard);
            long wait = stoppedAt + HANDOVER_BOUND.toNanos() - System.nanoTime();
            if (wait > 0) {
                TimeUnit.NANOSECONDS.sleep(wait);
            }
            g.sigcont(owner);
            KeyValue rec = g.awaitRecorded(List.of(rev), Duration.ofSeconds(60)).get(rev);
            awaitLines(g.runs().dir().resolve("slow-done.txt"), owner, Duration.ofSeconds(20)); // its script ended
            Thread.sleep(3000); // it tries to commit, and is refused
            String after = g.member(owner).process.log().substring(logBefore);
            List<ScriptRuns.Run> ran = g.runs().byRevision().get(rev);
            System.out.printf("fence test: %s ran revision %d (shard %d), stopped; its shards moved %d ms later, shard %d to"
                    + " %s; runs %s; record by %s%n%s log after SIGCONT:%n%s%n", owner, rev, shard, moved.toMillis(), shard,
                    newOwner, ran, runnerOf(rec.getValue().toString(StandardCharsets.UTF_8)), owner, after);

            String json = rec.getValue().toString(StandardCharsets.UTF_8);
            assertTrue(json.contains("\"outcome\":\"applied\""), json);
            assertEquals(newOwner, runnerOf(json), "the new owner recorded revision " + rev + ": " + json);
            assertEquals(1, CrashRecoveryIT.finalWrites(g.kv, rec), "revision " + rev + " recorded once");
            List<String> recorders = recorders(g, rec);
            assertTrue(!recorders.contains(owner), "the deposed " + owner + " never recorded it; final records by " + recorders);
            assertEquals(List.of(owner, newOwner), ran.stream().map(ScriptRuns.Run::runner).toList(),
                    "run by the deposed owner, then once by the new owner");
            // At SIGCONT two threads race: the action's, whose script ended meanwhile (its commit is then refused by
            // etcd: the shard's ownership key is another's), and the lease's, which finds the lease expired (the
            // pipeline is then aborted and the event not recorded). Either way the deposed owner writes nothing.
            boolean refused = after.matches("(?is).*(refused|fenced).*");
            boolean abandoned = after.contains("the lease was not renewed") && after.contains("revision " + rev + " of ")
                    && after.contains("not recorded");
            assertTrue(refused || abandoned, owner + "'s log says its commit of revision " + rev + " was refused, or that it"
                    + " lost its lease and left the event unrecorded; after SIGCONT it logged:\n" + after);
            System.out.printf("fence test: the deposed owner's %s%n", refused ? "commit was refused by etcd"
                    : "pipeline noticed the lost lease first and left revision " + rev + " unrecorded");
            checker.assertNoViolation();
        }
    }

    /** Waits until runner {@code id} has run at least {@code n} events. */
    static void awaitRunsBy(ShardGroup g, String id, int n) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (g.runs().byRevision().values().stream().filter(l -> l.get(0).runner().equals(id)).count() < n) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(id + " ran fewer than " + n + " events in 60 s: " + g.snapshot() + "\n" + g.logs());
            }
            Thread.sleep(50);
        }
    }

    static ScriptRuns.Run awaitFirstRun(ShardGroup g, long rev) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            List<ScriptRuns.Run> r = g.runs().byRevision().get(rev);
            if (r != null) {
                return r.get(0);
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("revision " + rev + " did not start in 60 s:\n" + g.logs());
            }
            Thread.sleep(20);
        }
    }

    static void awaitLines(java.nio.file.Path file, String text, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!(Files.exists(file) && Files.readString(file).contains(text))) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(file + " has no line with '" + text + "' after " + timeout);
            }
            Thread.sleep(50);
        }
    }

    /**
     * Waits until runner {@code gone} owns no shard and every shard is owned by a runner that is up; returns the
     * time since {@code since} (nanoTime).
     */
    static Duration awaitHandedOver(ShardGroup g, String gone, long since) throws Exception {
        long deadline = since + Duration.ofSeconds(30).toNanos();
        while (true) {
            ShardGroup.Snapshot s = g.snapshot();
            Set<String> up = g.upIds();
            if (s.owners().size() == SHARDS && !s.owners().containsValue(gone) && up.containsAll(s.owners().values())) {
                return Duration.ofNanos(s.atNanos() - since);
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the shards of " + gone + " were not handed over within 30 s: " + s + "\n" + g.logs());
            }
            Thread.sleep(20);
        }
    }

    /** The runner ids of every final record ever written at this status key (etcd history). */
    static List<String> recorders(ShardGroup g, KeyValue current) throws Exception {
        List<String> out = new ArrayList<>();
        KeyValue k = current;
        while (true) {
            String json = k.getValue().toString(StandardCharsets.UTF_8);
            if (!json.contains("\"outcome\":\"in-progress\"")) {
                out.add(runnerOf(json));
            }
            if (k.getVersion() <= 1) {
                return out;
            }
            var older = g.kv.get(k.getKey(), io.etcd.jetcd.options.GetOption.builder().withRevision(k.getModRevision() - 1)
                    .build()).get(10, TimeUnit.SECONDS).getKvs();
            if (older.isEmpty()) {
                return out;
            }
            k = older.get(0);
        }
    }

    /** The runner that wrote a final status record. */
    static String runnerOf(String json) {
        return StatusRecord.fromJson(json).runnerId();
    }
}
