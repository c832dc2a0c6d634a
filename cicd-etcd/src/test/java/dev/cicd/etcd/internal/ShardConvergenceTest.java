package dev.cicd.etcd.internal;

import static dev.cicd.etcd.internal.ShardAssignmentTest.arbitraryOwners;
import static dev.cicd.etcd.internal.ShardAssignmentTest.assertBalanced;
import static dev.cicd.etcd.internal.ShardAssignmentTest.counts;
import static dev.cicd.etcd.internal.ShardAssignmentTest.ids;
import static dev.cicd.etcd.internal.ShardAssignmentTest.uuid;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The ownership loop's rule run as a model, without etcd: runners with views of the owners that lag
 * behind (each a past state, never going back), create-only takes, releases through a {@code revoking}
 * gate that completes later (and keeps the shard if it is assigned back by then), and keys of members
 * that are gone expiring at a random moment. Every run must reach the fixed point of
 * {@link ShardAssignment}; none may livelock.
 */
class ShardConvergenceTest {

    private static final int RUNS = 3000;

    /** What etcd held at one revision: the members and the owner of each shard. */
    private record Snapshot(List<String> members, String[] owners) {
    }

    /** One simulated group. */
    private static final class Group {
        final Random rnd;
        final int shards;
        final List<String> members;
        final boolean lagging;
        String[] owners;
        final List<Snapshot> history = new ArrayList<>();
        final Map<String, Integer> seen = new HashMap<>();
        final Map<String, Set<Integer>> revoking = new HashMap<>();
        int takes;
        int deletes;

        /**
         * {@code before} were the members when the owners were {@code owners}; then the members became
         * {@code members}. Runners that were members already may see that change late; joiners read
         * everything when they start.
         */
        Group(Random rnd, int shards, List<String> before, List<String> members, String[] owners, boolean lagging) {
            this.rnd = rnd;
            this.shards = shards;
            this.members = members;
            this.lagging = lagging;
            this.owners = owners.clone();
            history.add(new Snapshot(List.copyOf(before), this.owners.clone()));
            history.add(new Snapshot(List.copyOf(members), this.owners.clone()));
            for (String m : members) {
                seen.put(m, before.contains(m) ? 0 : 1);
                revoking.put(m, new TreeSet<>());
            }
        }

        /**
         * What {@code m} assigns from its view: etcd as of the revision it saw (itself always a member),
         * its own keys as they are.
         */
        String[] assignment(String m) {
            Snapshot seenAt = history.get(seen.get(m));
            String[] view = seenAt.owners().clone();
            for (int s = 0; s < shards; s++) {
                if (m.equals(owners[s])) {
                    view[s] = m;
                } else if (m.equals(view[s])) {
                    view[s] = null;
                }
            }
            Set<String> live = new TreeSet<>(seenAt.members());
            live.add(m);
            return ShardAssignment.assign(live, view, shards);
        }

        void step() {
            String m = members.get(rnd.nextInt(members.size()));
            int last = history.size() - 1;
            int from = seen.get(m);
            seen.put(m, !lagging || rnd.nextInt(3) == 0 ? last : from + rnd.nextInt(last - from + 1));
            Set<Integer> pending = revoking.get(m);
            if (!pending.isEmpty() && rnd.nextBoolean()) {
                int s = List.copyOf(pending).get(rnd.nextInt(pending.size()));
                pending.remove(s);
                if (!m.equals(assignment(m)[s])) {
                    owners[s] = null;
                    deletes++;
                }
            }
            String[] want = assignment(m);
            String[] view = history.get(seen.get(m)).owners();
            for (int s = 0; s < shards; s++) {
                boolean mine = m.equals(want[s]);
                if (mine && owners[s] == null && (view[s] == null || m.equals(view[s]))) {
                    owners[s] = m; // create-only: succeeds only while the key is absent
                    takes++;
                } else if (!mine && m.equals(owners[s])) {
                    pending.add(s);
                }
            }
            record();
        }

        /** A new revision when the owners changed. */
        void record() {
            if (!java.util.Arrays.equals(owners, history.get(history.size() - 1).owners())) {
                history.add(new Snapshot(List.copyOf(members), owners.clone()));
            }
        }

        void expireKeysOfMembersGone() {
            for (int s = 0; s < shards; s++) {
                if (owners[s] != null && !members.contains(owners[s])) {
                    owners[s] = null;
                }
            }
            record();
        }

        boolean settled() {
            int last = history.size() - 1;
            for (String m : members) {
                if (seen.get(m) != last || !revoking.get(m).isEmpty()) {
                    return false;
                }
            }
            for (String o : owners) {
                if (o == null) {
                    return false;
                }
            }
            return java.util.Arrays.equals(owners, ShardAssignment.assign(members, owners, shards));
        }

        /** Steps until settled; fails past {@code limit}. Returns the steps taken. */
        int run(int expireAt, int limit, String what) {
            int steps = 0;
            while (!settled()) {
                if (steps == expireAt) {
                    expireKeysOfMembersGone();
                }
                int taken = ++steps;
                assertTrue(taken <= limit, () -> what + ": not settled after " + limit + " steps: "
                        + java.util.Arrays.toString(owners));
                step();
            }
            if (steps <= expireAt) {
                expireKeysOfMembersGone();
                return run(-1, limit, what);
            }
            assertBalanced(members, owners, what);
            return steps;
        }
    }

    /** Shards the owners hold beyond what any capacity allows (see the javadoc of {@link ShardAssignment}). */
    static int over(List<String> members, String[] owners) {
        int n = members.size();
        int q = owners.length / n;
        int r = owners.length % n;
        Map<String, Integer> c = counts(owners);
        int sum = 0;
        int atCeiling = 0;
        for (String m : members) {
            int k = c.getOrDefault(m, 0);
            sum += Math.max(0, k - q - 1);
            atCeiling += k >= q + 1 ? 1 : 0;
        }
        return sum + Math.max(0, atCeiling - r);
    }

    @Test
    void withExactViewsAJoinMovesOnlyTheJoinersShareAndReleasesNeverExceedTheExcess() {
        Random rnd = new Random(5);
        for (int t = 0; t < RUNS; t++) {
            int shards = new int[] {7, 64, 100}[t % 3];
            int n = 1 + rnd.nextInt(8);
            List<String> ids = ids(rnd, n);
            String[] before = ShardAssignment.assign(ids, arbitraryOwners(rnd, ids, shards), shards);
            List<String> joined = new ArrayList<>(ids);
            joined.add(uuid(rnd));
            String what = "run " + t + " S=" + shards + " N=" + n;
            Group g = new Group(rnd, shards, ids, joined, before, false);
            g.run(0, 20 * shards + 100, what);
            assertEquals(shards / (n + 1), g.deletes, what + ": releases");
            assertEquals(shards / (n + 1), g.takes, what + ": takes");
            assertArrayEquals(ShardAssignment.assign(joined, before, shards), g.owners, what + ": the assignment computed at the join");

            List<String> any = ids(rnd, 1 + rnd.nextInt(8));
            String[] start = arbitraryOwners(rnd, any, shards);
            Group h = new Group(rnd, shards, any, any, start, false);
            h.run(rnd.nextInt(20), 20 * shards + 100, what + " from arbitrary owners");
            assertTrue(h.deletes <= over(any, start), what + ": " + h.deletes + " releases, excess " + over(any, start));
        }
    }

    @Test
    void withLaggingViewsEveryRunSettlesOnABalancedFixedPoint() {
        Random rnd = new Random(8);
        int worstSteps = 0;
        long[] extraMoves = new long[4];
        int worstExtra = 0;
        int[] plansMissed = new int[4];
        for (int t = 0; t < RUNS; t++) {
            int shards = new int[] {7, 64, 100}[t % 3];
            int n = 1 + rnd.nextInt(8);
            List<String> ids = ids(rnd, n);
            String[] start = ShardAssignment.assign(ids, arbitraryOwners(rnd, ids, shards), shards);
            List<String> next = new ArrayList<>(ids);
            switch (t % 4) {
                case 0 -> next.add(uuid(rnd));
                case 1 -> next.addAll(ids(rnd, 2));
                case 2 -> next.remove(rnd.nextInt(n));
                default -> start = arbitraryOwners(rnd, ids, shards);
            }
            if (next.isEmpty()) {
                continue;
            }
            String what = "run " + t + " S=" + shards + " N=" + n + " -> " + next.size();
            Group g = new Group(rnd, shards, ids, next, start, true);
            worstSteps = Math.max(worstSteps, g.run(rnd.nextInt(50), 50 * shards + 500, what));
            int extra = g.takes - ShardAssignmentTest.movedOrFreed(start, g.owners);
            extraMoves[t % 4] += extra;
            worstExtra = Math.max(worstExtra, extra);
            plansMissed[t % 4] += java.util.Arrays.equals(g.owners, ShardAssignment.assign(next, start, shards)) ? 0 : 1;
        }
        System.out.println("lagging views: " + RUNS + " runs settled, worst " + worstSteps + " steps; per case "
                + "(join, 2 joins, leave, from arbitrary owners): takes beyond one per changed shard "
                + java.util.Arrays.toString(extraMoves) + " (worst run " + worstExtra + "), runs ending elsewhere "
                + "than the assignment computed at the change " + java.util.Arrays.toString(plansMissed));
    }
}
