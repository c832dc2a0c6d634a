package dev.cicd.etcd;

import static dev.cicd.etcd.Recording.uniquePrefix;
import static dev.cicd.etcd.Recording.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cicd.core.ActionContext;
import dev.cicd.core.ActionResult;
import dev.cicd.core.Outcome;
import dev.cicd.core.Plan;
import dev.cicd.core.TriggerEvent;
import dev.cicd.core.WatchSpec;
import dev.cicd.etcd.internal.Etcd;
import dev.cicd.testkit.EtcdFixture;
import dev.cicd.testkit.WithEtcd;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.GetOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@WithEtcd
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class LeaderElectionTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final Duration TTL = Duration.ofSeconds(2);

    EtcdFixture etcd;

    private static LeaderElection election(Client c, String base, String id) {
        return LeaderElection.builder(c).group("g").electionPrefix(base + "/election").candidateId(id).ttl(TTL)
                .requestTimeout(Duration.ofSeconds(2)).build();
    }

    /** A runner that runs its pipeline only while it leads. */
    private static final class Candidate implements AutoCloseable {
        final String id;
        final Client client;
        final LeaderElection election;
        final List<TestRunner> runs = new ArrayList<>();
        final AutoCloseable whileLeader;

        Candidate(Client client, String base, String id, WatchSpec w, Recording.RecordingAction action) {
            this.id = id;
            this.client = client;
            this.election = election(client, base, id);
            this.whileLeader = election.whileLeader(() -> {
                TestRunner r = new TestRunner(client, id, base, w, election.guard(action.as(id, Duration.ZERO)), election)
                        .start();
                synchronized (runs) {
                    runs.add(r);
                }
                return r;
            });
            election.start();
        }

        /** Whether this candidate leads and its pipeline has started. */
        boolean running() {
            synchronized (runs) {
                return election.isLeader() && !runs.isEmpty();
            }
        }

        @Override
        public void close() throws Exception {
            whileLeader.close();
            election.close();
            client.close();
        }
    }

    private static long put(Client c, String key, String value) throws Exception {
        return c.getKVClient().put(Etcd.bytes(key), Etcd.bytes(value)).get(5, TimeUnit.SECONDS).getHeader().getRevision();
    }

    private static List<StatusRecord> records(Client c, String base, String watch) {
        return EtcdState.builder(c).group("g").statePrefix(base + "/state").statusPrefix(base + "/status").build()
                .history(watch, 10_000);
    }

    @Test
    void theGuardKeepsTheActionsTargetsAndItsLiveStateComparison() throws Exception {
        dev.cicd.core.Action k8sLike = new dev.cicd.core.Action() {
            @Override
            public dev.cicd.core.ActionResult execute(Plan plan, dev.cicd.core.ActionContext context) {
                return dev.cicd.core.ActionResult.applied("");
            }

            @Override
            public java.util.Set<String> targets(Plan plan) {
                return java.util.Set.of("ns/app");
            }

            @Override
            public boolean comparesLiveState() {
                return true;
            }
        };
        try (Client c = etcd.newClient(); LeaderElection e = election(c, uniquePrefix("guard"), "g")) {
            dev.cicd.core.Action guarded = e.guard(k8sLike);
            Plan plan = Plan.of(TriggerEvent.put("w", "/k", "v", 1), "x");
            assertEquals(java.util.Set.of("ns/app"), guarded.targets(plan), "a wrapper that drops targets serialises every app");
            assertTrue(guarded.comparesLiveState(), "a wrapper that drops it skips a needed deploy as in-sync");
        }
    }

    @Test
    void exactlyOneOfTwoCandidatesLeadsAndResigningHandsOverAtOnce() throws Exception {
        String base = uniquePrefix("elect");
        try (Client c1 = etcd.newClient(); Client c2 = etcd.newClient();
             LeaderElection e1 = election(c1, base, "one"); LeaderElection e2 = election(c2, base, "two")) {
            AtomicInteger elected = new AtomicInteger();
            AtomicInteger lost = new AtomicInteger();
            LeadershipListener counting = new LeadershipListener() {
                @Override
                public void elected(LeaderElection e) {
                    elected.incrementAndGet();
                }

                @Override
                public void lost(LeaderElection e, String reason) {
                    lost.incrementAndGet();
                }
            };
            e1.addListener(counting);
            e2.addListener(counting);
            e1.start();
            assertTrue(e1.awaitLeadership(WAIT));
            e2.start();
            Thread.sleep(500);
            assertTrue(e1.isLeader());
            assertFalse(e2.isLeader());
            assertEquals("one", e2.leader().orElseThrow());
            long t0 = System.nanoTime();
            e1.resign();
            assertTrue(e2.awaitLeadership(WAIT));
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertTrue(ms < 1500, "handover after resign took " + ms + " ms");
            assertFalse(e1.isLeader());
            assertEquals("two", e1.leader().orElseThrow());
            assertEquals(2, elected.get());
            assertEquals(1, lost.get());
        }
    }

    @Test
    void aLeaderThatCannotStartResignsSoAnotherCandidateTakesOver() throws Exception {
        String base = uniquePrefix("broken");
        AtomicInteger attempts = new AtomicInteger();
        AtomicInteger started = new AtomicInteger();
        try (Client c1 = etcd.newClient(); Client c2 = etcd.newClient();
             LeaderElection broken = election(c1, base, "broken"); LeaderElection healthy = election(c2, base, "healthy")) {
            broken.whileLeader(() -> {
                attempts.incrementAndGet();
                throw new IllegalStateException("cannot start");
            });
            healthy.whileLeader(() -> {
                started.incrementAndGet();
                return () -> { };
            });
            broken.start();
            assertTrue(Recording.await(WAIT, () -> attempts.get() >= 1));
            healthy.start();
            assertTrue(Recording.await(WAIT, () -> started.get() == 1 && healthy.isLeader()));
            Thread.sleep(1000);
            assertTrue(healthy.isLeader());
            assertFalse(broken.isLeader());
            assertEquals(1, started.get());
        }
    }

    @Test
    void guardRunsTheActionOnlyWhileLeader() throws Exception {
        String base = uniquePrefix("guard");
        AtomicInteger runs = new AtomicInteger();
        WatchSpec w = Recording.watch("guard", base);
        TriggerEvent event = TriggerEvent.put("guard", base + "/trigger", value(1), 1);
        Plan plan = Plan.of(event, "x");
        ActionContext ctx = new ActionContext(w, Duration.ofSeconds(1), Path.of("."));
        try (Client c = etcd.newClient(); LeaderElection e = election(c, base, "solo")) {
            var guarded = e.guard((p, x) -> {
                runs.incrementAndGet();
                return ActionResult.applied("ran");
            });
            ActionResult refused = guarded.execute(plan, ctx);
            assertEquals(Outcome.Kind.FAILED, refused.kind());
            assertTrue(refused.reason().contains("not the leader"), refused.reason());
            assertEquals(0, runs.get());
            e.start();
            assertTrue(e.awaitLeadership(WAIT));
            assertEquals(Outcome.Kind.APPLIED, guarded.execute(plan, ctx).kind());
            assertEquals(1, runs.get());
        }
    }

    @Test
    void twoRunnersInOneGroupOnlyTheLeaderProcesses() throws Exception {
        String base = uniquePrefix("two");
        WatchSpec w = Recording.watch("two", base);
        Recording.RecordingAction action = new Recording.RecordingAction();
        try (Candidate a = new Candidate(etcd.newClient(), base, "a", w, action)) {
            assertTrue(Recording.await(WAIT, a::running));
            try (Candidate b = new Candidate(etcd.newClient(), base, "b", w, action)) {
                Thread.sleep(300);
                List<Long> revs = new ArrayList<>();
                for (int i = 0; i < 30; i++) {
                    revs.add(put(etcd.client(), base + "/trigger", value(i)));
                }
                assertTrue(Recording.await(WAIT, () -> records(etcd.client(), base, "two").size() == 30));
                List<StatusRecord> recs = records(etcd.client(), base, "two");
                assertEquals(revs, recs.stream().map(StatusRecord::revision).toList());
                assertTrue(recs.stream().allMatch(r -> r.runnerId().equals("a")), "processed by " + recs);
                assertEquals(30, action.calls(c -> c.runner().equals("a")).size());
                assertEquals(0, action.calls(c -> c.runner().equals("b")).size());
                assertTrue(b.runs.isEmpty(), "b never started a pipeline");
                assertFalse(b.election.isLeader());
            }
        }
    }

    @Test
    void leaderDroppedWithoutResigningIsReplacedWithinTtlAndNothingIsAppliedTwiceOrLost() throws Exception {
        String base = uniquePrefix("drop");
        WatchSpec w = Recording.watch("drop", base);
        Recording.RecordingAction action = new Recording.RecordingAction();
        Candidate a = new Candidate(etcd.newClient(), base, "a", w, action);
        try (Candidate b = new Candidate(etcd.newClient(), base, "b", w, action)) {
            assertTrue(Recording.await(WAIT, () -> a.running() || b.running()));
            Candidate leader = a.running() ? a : b;
            Candidate other = leader == a ? b : a;
            List<Long> revs = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                revs.add(put(etcd.client(), base + "/trigger", value(i)));
            }
            assertTrue(Recording.await(WAIT, () -> records(etcd.client(), base, "drop").size() == 20));
            long t0 = System.nanoTime();
            leader.client.close(); // crash: no resign, no revoke, keep-alives stop
            for (int i = 20; i < 40; i++) {
                revs.add(put(etcd.client(), base + "/trigger", value(i)));
            }
            assertTrue(other.election.awaitLeadership(TTL.plusSeconds(5)));
            long takeoverMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertTrue(takeoverMs < TTL.plusSeconds(2).toMillis(), "takeover took " + takeoverMs + " ms");
            assertTrue(Recording.await(WAIT, () -> records(etcd.client(), base, "drop").size() == 40),
                    "recorded " + records(etcd.client(), base, "drop").size());
            List<StatusRecord> recs = records(etcd.client(), base, "drop");
            assertEquals(revs, recs.stream().map(StatusRecord::revision).toList());
            assertTrue(recs.stream().allMatch(r -> r.outcome() == Outcome.Kind.APPLIED), recs.toString());
            Map<String, Long> calls = action.calls().stream()
                    .collect(Collectors.groupingBy(Recording.RecordingAction.Call::plan, Collectors.counting()));
            assertEquals(40, calls.size(), "nothing lost");
            assertTrue(calls.values().stream().allMatch(n -> n == 1), "applied twice: " + calls);
            assertTrue(recs.subList(20, 40).stream().allMatch(r -> r.runnerId().equals(other.id)));
            System.out.println("leader takeover after a crash: " + takeoverMs + " ms (TTL " + TTL.toMillis() + " ms)");
        } finally {
            a.whileLeader.close();
            a.election.close();
            a.client.close();
        }
    }

    @Test
    void aDeposedLeadersCheckpointWriteFailsAndWritesNothing() throws Exception {
        String base = uniquePrefix("deposed");
        try (Client c = etcd.newClient(); LeaderElection e = election(c, base, "old")) {
            EtcdState state = EtcdState.builder(c).group("g").statePrefix(base + "/state").statusPrefix(base + "/status")
                    .runnerId("old").fence(e).build();
            String target = base + "/trigger";
            NotLeaderException before = assertThrows(NotLeaderException.class,
                    () -> state.store().commit(oneApplied("w", target, 1)));
            assertTrue(before.getMessage().contains("not the leader"), before.getMessage());
            AtomicInteger lost = new AtomicInteger();
            e.addListener(new LeadershipListener() {
                @Override
                public void lost(LeaderElection election, String reason) {
                    lost.incrementAndGet();
                }
            });
            e.start();
            assertTrue(e.awaitLeadership(WAIT));
            state.store().commit(oneApplied("w", target, 5));
            assertEquals(5, state.store().load("w").checkpoint().getAsLong());
            String fingerprint = state.store().lastApplied(target).orElseThrow();

            // depose: the leader's lease is revoked behind its back (what etcd does when it expires)
            List<KeyValue> keys = etcd.client().getKVClient().get(Etcd.bytes(e.electionName() + "/"),
                    GetOption.builder().isPrefix(true).build()).get(5, TimeUnit.SECONDS).getKvs();
            assertEquals(1, keys.size());
            etcd.client().getLeaseClient().revoke(keys.get(0).getLease()).get(5, TimeUnit.SECONDS);

            NotLeaderException after = assertThrows(NotLeaderException.class,
                    () -> state.store().commit(oneApplied("w", target, 9, "y")));
            assertTrue(after.getMessage().contains("old") && after.getMessage().contains("group g"), after.getMessage());
            assertEquals(5, state.store().load("w").checkpoint().getAsLong(), "the deposed write left no trace");
            assertEquals(java.util.Optional.of(fingerprint), EtcdState.builder(c).group("g").statePrefix(base + "/state")
                    .statusPrefix(base + "/status").build().store().lastApplied(target), "nor a fingerprint");
            // the election notices (and, being the only candidate, is elected again with a new term)
            assertTrue(Recording.await(WAIT, () -> lost.get() >= 1));
        }
    }

    private static dev.cicd.core.StateStore.Batch oneApplied(String watch, String key, long revision) {
        return oneApplied(watch, key, revision, "x");
    }

    /** One applied outcome of a put at {@code revision}, with the checkpoint at it. */
    private static dev.cicd.core.StateStore.Batch oneApplied(String watch, String key, long revision, String plan) {
        TriggerEvent e = TriggerEvent.put(watch, key, value(1), revision);
        java.time.Instant now = java.time.Instant.now();
        dev.cicd.core.Outcome o = new dev.cicd.core.Outcome(e, dev.cicd.core.Outcome.Kind.APPLIED, "",
                java.util.Optional.of(Plan.sha256(plan)), java.util.OptionalInt.empty(), "", java.util.Optional.empty(),
                now, now, java.util.Optional.empty());
        return new dev.cicd.core.StateStore.Batch(List.of(new dev.cicd.core.StateStore.Entry(o, List.of(key))),
                java.util.Map.of(watch, revision));
    }
}
