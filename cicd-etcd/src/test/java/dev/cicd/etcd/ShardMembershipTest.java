package dev.cicd.etcd;

import static dev.cicd.etcd.Recording.uniquePrefix;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cicd.core.CicdException;
import dev.cicd.etcd.internal.ShardAssignment;
import dev.cicd.testkit.EtcdFixture;
import dev.cicd.testkit.WithEtcd;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Runners sharing a group's shards through a real etcd: three (then four) memberships in one JVM, each
 * with its own client, checked continuously from etcd by a {@link ShardWatcher}.
 */
@WithEtcd
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ShardMembershipTest {

    static final Duration TTL = Duration.ofSeconds(2);
    static final Duration WAIT = Duration.ofSeconds(15);
    static final int S = 64;
    static final String GROUP = "g";

    EtcdFixture etcd;

    private ShardRunner runner(String root, String id) {
        return new ShardRunner(etcd.newClient(), root, GROUP, id, TTL, S);
    }

    /**
     * Whether etcd's owners are a settled assignment of the runners: every shard owned by one of them,
     * the owners a fixed point of {@link ShardAssignment} (hence balanced), and each runner holding
     * exactly its own.
     */
    static boolean settled(ShardWatcher w, List<ShardRunner> runners) {
        List<String> ids = runners.stream().map(r -> r.id).toList();
        String[] have = ownersArray(w);
        String[] want = ShardAssignment.assign(ids, have, S);
        for (int s = 0; s < S; s++) {
            if (!want[s].equals(have[s])) {
                return false;
            }
        }
        for (ShardRunner r : runners) {
            for (int s = 0; s < S; s++) {
                if (want[s].equals(r.id) != r.membership.token(s).isPresent()) {
                    return false;
                }
            }
        }
        return true;
    }

    /** The owners the watcher saw last, as an array indexed by shard (null: unowned). */
    static String[] ownersArray(ShardWatcher w) {
        Map<Integer, String> have = w.owners();
        String[] owners = new String[S];
        for (int s = 0; s < S; s++) {
            owners[s] = have.get(s);
        }
        return owners;
    }

    static int moved(String[] a, String[] b) {
        int m = 0;
        for (int s = 0; s < S; s++) {
            m += a[s].equals(b[s]) ? 0 : 1;
        }
        return m;
    }

    @Test
    void threeRunnersOwnEveryShardOnceAndAFourthJoiningMovesOnlyItsShare() throws Exception {
        String root = uniquePrefix("shards");
        List<ShardRunner> runners = new ArrayList<>();
        try (ShardWatcher w = new ShardWatcher(etcd.client(), root, GROUP, S, TTL)) {
            for (int i = 1; i <= 3; i++) {
                runners.add(runner(root, "runner-" + i).start());
            }
            assertTrue(Recording.await(WAIT, () -> settled(w, runners)), "3 runners settle: " + w.owners());
            for (ShardRunner r : runners) {
                int owned = r.membership.owned().size();
                assertTrue(owned == 21 || owned == 22, r.id + " owns " + owned);
            }
            ShardSnapshot snap = ShardMembership.snapshot(etcd.client(), GROUP, root);
            assertEquals(S, snap.shards());
            assertEquals(List.of("runner-1", "runner-2", "runner-3"), snap.members().stream().map(ShardSnapshot.Member::id).sorted().toList());
            assertEquals(S, snap.owners().size());
            assertEquals(ProcessHandle.current().pid(), snap.members().get(0).pid());
            assertTrue(snap.members().get(0).started().isPresent());
            ShardSnapshot.Owner o = snap.owners().get(0);
            assertEquals(o.createRevision(), runners.stream().filter(r -> r.id.equals(o.runnerId())).findFirst()
                    .orElseThrow().membership.token(0).orElseThrow().createRevision());

            w.resetCounts();
            String[] before = ownersArray(w);
            long joinedAt = System.nanoTime();
            runners.add(runner(root, "runner-4").start());
            assertTrue(Recording.await(WAIT, () -> settled(w, runners)), "4 runners settle: " + w.owners());
            long joinMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - joinedAt);
            String[] planned = ShardAssignment.assign(List.of("runner-1", "runner-2", "runner-3", "runner-4"), before, S);
            int expected = moved(before, planned);
            System.out.println("join of a 4th runner: " + w.ownerChanges() + " owner changes (assignment: "
                    + expected + "), settled in " + joinMs + " ms; " + w.polls() + " polls");
            assertEquals(expected, w.ownerChanges(), "each moved shard changes owner once, no other shard does");
            assertEquals(S / 4, w.ownerChanges(), "the 4th runner takes ⌊64/4⌋ = 16 shards, nothing else moves");
            assertArrayEquals(planned, ownersArray(w), "the owners are those planned at the join");
            assertTrue(runners.get(3).membership.stats().lastHandover().isPresent());
            assertTrue(runners.get(0).membership.stats().rebalances() >= 1);
            assertEquals(List.of(), w.violations());
        } finally {
            runners.forEach(ShardRunner::close);
        }
    }

    @Test
    void aKilledRunnersShardsAreTakenOverWithinTtlPlusTwoSeconds() throws Exception {
        String root = uniquePrefix("shards");
        List<ShardRunner> runners = new ArrayList<>();
        try (ShardWatcher w = new ShardWatcher(etcd.client(), root, GROUP, S, TTL)) {
            for (int i = 1; i <= 3; i++) {
                runners.add(runner(root, "runner-" + i).start());
            }
            assertTrue(Recording.await(WAIT, () -> settled(w, runners)), "3 runners settle: " + w.owners());
            w.resetCounts();
            ShardRunner victim = runners.remove(1);
            int victims = victim.membership.owned().size();
            long killedAt = System.nanoTime();
            victim.kill();
            assertTrue(Recording.await(WAIT, () -> settled(w, runners)), "2 runners settle: " + w.owners());
            long takeoverMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
            System.out.println("takeover after a kill: " + takeoverMs + " ms (TTL " + TTL.toMillis() + " ms), longest "
                    + "unowned " + w.longestUnowned().toMillis() + " ms");
            assertTrue(takeoverMs <= TTL.plusSeconds(2).toMillis(), "taken over after " + takeoverMs + " ms");
            assertEquals(victims, w.ownerChanges(), "only the killed runner's shards move");
            assertEquals(List.of(), w.violations());
            victim.membership.close(); // the loop already stopped with its client; closing again is harmless
        } finally {
            runners.forEach(ShardRunner::close);
        }
    }

    @Test
    void aClosingRunnerReleasesItsShardsAtOnceAfterItsRevokingsComplete() throws Exception {
        String root = uniquePrefix("shards");
        Duration longTtl = Duration.ofSeconds(10);
        List<ShardRunner> runners = new ArrayList<>();
        try (ShardWatcher w = new ShardWatcher(etcd.client(), root, GROUP, S, longTtl)) {
            for (int i = 1; i <= 3; i++) {
                runners.add(new ShardRunner(etcd.newClient(), root, GROUP, "runner-" + i, longTtl, S).start());
            }
            assertTrue(Recording.await(WAIT, () -> settled(w, runners)), "3 runners settle: " + w.owners());
            w.resetCounts();
            ShardRunner leaving = runners.remove(2);
            int owned = leaving.membership.owned().size();
            long closedAt = System.nanoTime();
            leaving.close();
            assertTrue(Recording.await(WAIT, () -> settled(w, runners)), "2 runners settle: " + w.owners());
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - closedAt);
            System.out.println("graceful close: " + owned + " shards handed over in " + ms + " ms (TTL 10 s)");
            assertTrue(ms < 3000, "handed over after " + ms + " ms");
            long revokings = leaving.calls().stream().filter(c -> c.startsWith("revoking")).count();
            assertEquals(owned, revokings, leaving.calls().toString());
            assertEquals(owned, w.ownerChanges(), "only the leaving runner's shards move");
            assertFalse(leaving.listenerThreadChanged, "listener calls all on one thread");
            assertEquals(List.of(), w.violations());
        } finally {
            runners.forEach(ShardRunner::close);
        }
    }

    @Test
    void aRevokingThatCompletesLateDelaysTheHandover() throws Exception {
        String root = uniquePrefix("shards");
        List<ShardRunner> runners = new ArrayList<>();
        try (ShardWatcher w = new ShardWatcher(etcd.client(), root, GROUP, S, Duration.ofSeconds(30))) {
            ShardRunner first = runner(root, "runner-1").start();
            runners.add(first);
            assertTrue(Recording.await(WAIT, () -> settled(w, runners)), "1 runner settles");
            first.revokeGate = new java.util.concurrent.CompletableFuture<>();
            ShardRunner second = runner(root, "runner-2").start();
            runners.add(second);
            String[] want = ShardAssignment.assign(List.of("runner-1", "runner-2"), S);
            int theirs = (int) java.util.Arrays.stream(want).filter("runner-2"::equals).count();
            assertTrue(Recording.await(WAIT, () -> first.calls().stream().filter(c -> c.startsWith("revoking")).count() == theirs),
                    "runner-1 is asked to revoke " + theirs + " shards: " + first.calls());
            Thread.sleep(TTL.plusSeconds(1).toMillis()); // longer than the TTL: nothing may expire meanwhile
            assertEquals(S, w.owners().values().stream().filter("runner-1"::equals).count(),
                    "runner-1 keeps every key while its revokings are pending");
            assertTrue(second.membership.owned().isEmpty());
            for (int s = 0; s < S; s++) {
                assertTrue(first.membership.token(s).isPresent(), "the token stays valid until the revoking completes");
            }
            first.revokeGate.complete(null);
            assertTrue(Recording.await(WAIT, () -> settled(w, runners)), "2 runners settle: " + w.owners());
            assertEquals(List.of(), w.violations());
        } finally {
            runners.forEach(ShardRunner::close);
        }
    }

    @Test
    void theTriggerSourceNeverDeliversShardKeysByDefault() {
        assertTrue(EtcdTriggerSource.DEFAULT_IGNORED_PREFIXES.contains(ShardMembership.DEFAULT_ROOT + "/"));
    }

    @Test
    void aRunnerConfiguredWithAnotherShardCountRefusesToStart() {
        String root = uniquePrefix("shards");
        try (ShardRunner first = runner(root, "runner-1").start();
                ShardRunner other = new ShardRunner(etcd.newClient(), root, GROUP, "runner-2", TTL, 32)) {
            CicdException e = assertThrows(CicdException.class, other::start);
            assertEquals(CicdException.Code.CONFIG, e.code());
            assertTrue(e.getMessage().contains("runner.shards is 32") && e.getMessage().contains("created with 64")
                    && e.getMessage().contains(root + "/" + GROUP + "/config"), e.getMessage());
            assertEquals(64, ShardMembership.snapshot(first.client, GROUP, root).shards());
        }
    }
}
