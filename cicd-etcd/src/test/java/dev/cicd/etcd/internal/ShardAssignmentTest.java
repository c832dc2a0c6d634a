package dev.cicd.etcd.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class ShardAssignmentTest {

    private static final int S = 64;
    private static final int SETS = 1000;

    @Test
    void fnv1aAndShardOfAreStableAcrossVersions() {
        assertEquals(0xcbf29ce484222325L, ShardAssignment.fnv1a64(""));
        assertEquals(0xaf63dc4c8601ec8cL, ShardAssignment.fnv1a64("a"));
        assertEquals(0x85944171f73967e8L, ShardAssignment.fnv1a64("foobar"));
        // pinned: a change here would move every target to another shard
        assertEquals(PINNED_SHARD_OF, List.of(ShardAssignment.shardOf("svc-a", 64), ShardAssignment.shardOf("svc-b", 64),
                ShardAssignment.shardOf("cluster-1/ns/app", 64), ShardAssignment.shardOf("é", 4096)));
    }

    private static final List<Integer> PINNED_SHARD_OF = List.of(54, 21, 21, 414);

    @Test
    void shardOfSpreadsTargetsOverAllShards() {
        int[] counts = new int[S];
        for (int i = 0; i < 64_000; i++) {
            counts[ShardAssignment.shardOf("target-" + i, S)]++;
        }
        for (int c : counts) {
            assertTrue(c > 800 && c < 1200, "shard count " + c);
        }
    }

    @Test
    void shardCountOutsideOneTo4096IsRefusedNamingTheValue() {
        var e = assertThrows(IllegalArgumentException.class, () -> ShardAssignment.assign(List.of("a"), 0));
        assertTrue(e.getMessage().contains("was 0"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ShardAssignment.shardOf("t", 4097));
        assertEquals(4096, ShardAssignment.assign(List.of("a", "b"), 4096).length);
    }

    @Test
    void noMembersOwnNothingAndOneMemberOwnsEverything() {
        for (String o : ShardAssignment.assign(List.of(), S)) {
            assertEquals(null, o);
        }
        for (String o : ShardAssignment.assign(List.of("only"), S)) {
            assertEquals("only", o);
        }
    }

    @Test
    void ownersOfAnotherLengthAreRefusedNamingBothCounts() {
        var e = assertThrows(IllegalArgumentException.class, () -> ShardAssignment.assign(List.of("a"), new String[3], 4));
        assertTrue(e.getMessage().contains("(4), had 3"), e.getMessage());
    }

    @Test
    void assignmentDependsOnlyOnTheSetOfMembersAndTheOwners() {
        Random rnd = new Random(3);
        for (int t = 0; t < 200; t++) {
            List<String> ids = ids(rnd, 1 + rnd.nextInt(8));
            String[] owners = arbitraryOwners(rnd, ids, S);
            String[] copy = owners.clone();
            String[] a = ShardAssignment.assign(ids, owners, S);
            List<String> shuffled = new ArrayList<>(ids);
            Collections.shuffle(shuffled, rnd);
            shuffled.add(ids.get(0));
            assertArrayEquals(a, ShardAssignment.assign(shuffled, owners, S));
            assertArrayEquals(copy, owners, "the owners are not modified");
        }
    }

    @Test
    void fromNoOwnersEveryMemberOwnsFloorOrCeilingOfTheShare() {
        Random rnd = new Random(20261127);
        for (int shards : new int[] {1, 7, 64, 100, 1000}) {
            for (int n = 1; n <= 12; n++) {
                for (int t = 0; t < 100; t++) {
                    List<String> ids = ids(rnd, n);
                    assertBalanced(ids, ShardAssignment.assign(ids, shards), "S=" + shards + " N=" + n);
                }
            }
        }
    }

    /**
     * Over 1,000 seeded sets per N and S, from a balanced owner map (itself reached from a random one):
     * it is a fixed point; a join moves only shards to the joiner, exactly ⌊S/(N+1)⌋; a leave moves
     * exactly the leaver's shards; the results are fixed points again.
     */
    @Test
    void joinsMoveOnlyTheJoinersShareAndLeavesOnlyTheLeaversShardsOverAThousandSetsPerSize() {
        Random rnd = new Random(42);
        StringBuilder report = new StringBuilder();
        for (int shards : new int[] {64, 7, 100}) {
            int[] worstJoin = new int[9];
            for (int n = 1; n <= 8; n++) {
                for (int t = 0; t < SETS; t++) {
                    List<String> ids = ids(rnd, n);
                    String what = "S=" + shards + " N=" + n + " set " + t;
                    String[] before = ShardAssignment.assign(ids, arbitraryOwners(rnd, ids, shards), shards);
                    assertBalanced(ids, before, what);
                    assertArrayEquals(before, ShardAssignment.assign(ids, before, shards), what + ": fixed point");

                    String joiner = uuid(rnd);
                    List<String> joined = new ArrayList<>(ids);
                    joined.add(joiner);
                    String[] afterJoin = ShardAssignment.assign(joined, before, shards);
                    assertBalanced(joined, afterJoin, what + " join");
                    for (int s = 0; s < shards; s++) {
                        assertTrue(before[s].equals(afterJoin[s]) || afterJoin[s].equals(joiner),
                                what + ": shard " + s + " moved between two old members");
                    }
                    int moved = moved(before, afterJoin);
                    assertEquals(shards / (n + 1), moved, what + ": the joiner takes ⌊S/(N+1)⌋, nothing else moves");
                    worstJoin[n] = Math.max(worstJoin[n], moved);
                    assertArrayEquals(afterJoin, ShardAssignment.assign(joined, afterJoin, shards), what + ": fixed point");

                    if (n > 1) {
                        String gone = ids.get(rnd.nextInt(n));
                        List<String> left = new ArrayList<>(ids);
                        left.remove(gone);
                        String[] afterLeave = ShardAssignment.assign(left, before, shards);
                        assertBalanced(left, afterLeave, what + " leave");
                        for (int s = 0; s < shards; s++) {
                            assertTrue(before[s].equals(gone) || before[s].equals(afterLeave[s]),
                                    what + ": shard " + s + " of a staying member moved on a leave");
                        }
                        assertEquals(counts(before).getOrDefault(gone, 0), moved(before, afterLeave), what);
                    }
                }
            }
            report.append("S=").append(shards).append(" worst join moves (⌈S/(N+1)⌉):");
            for (int n = 1; n <= 8; n++) {
                report.append(String.format(Locale.ROOT, " N=%d:%d(%d)", n, worstJoin[n], (shards + n) / (n + 1)));
            }
            report.append('\n');
        }
        System.out.print(report);
    }

    /**
     * From an arbitrary owner map (members over their share, owners that are not live, unowned shards)
     * the result is balanced and complete, keeps as many current owners as any balanced assignment
     * could, and a member over its capacity sheds the shards it weighs lowest.
     */
    @Test
    void fromAnyOwnersTheResultIsBalancedAndKeepsAsManyOwnersAsTheCapacitiesAllow() {
        Random rnd = new Random(11);
        for (int shards : new int[] {1, 7, 64, 100}) {
            for (int n = 1; n <= 8; n++) {
                for (int t = 0; t < SETS; t++) {
                    List<String> ids = ids(rnd, n);
                    String[] owners = arbitraryOwners(rnd, ids, shards);
                    String[] result = ShardAssignment.assign(ids, owners, shards);
                    String what = "S=" + shards + " N=" + n + " set " + t;
                    assertBalanced(ids, result, what);
                    int kept = 0;
                    for (int s = 0; s < shards; s++) {
                        kept += result[s].equals(owners[s]) ? 1 : 0;
                    }
                    assertEquals(mostKeepable(ids, owners, shards), kept, what);
                    for (String id : ids) {
                        assertShedsItsLowestWeights(id, owners, result, what);
                    }
                }
            }
        }
    }

    private static void assertShedsItsLowestWeights(String id, String[] owners, String[] result, String what) {
        Long lowestKept = null;
        Long highestShed = null;
        for (int s = 0; s < owners.length; s++) {
            if (id.equals(owners[s])) {
                long w = ShardAssignment.weight(id, s);
                if (id.equals(result[s])) {
                    lowestKept = lowestKept == null || Long.compareUnsigned(w, lowestKept) < 0 ? w : lowestKept;
                } else {
                    highestShed = highestShed == null || Long.compareUnsigned(w, highestShed) > 0 ? w : highestShed;
                }
            }
        }
        assertTrue(lowestKept == null || highestShed == null || Long.compareUnsigned(lowestKept, highestShed) > 0,
                what + ": " + id + " shed a shard it weighs higher than one it kept");
    }

    /** The most current owners any balanced assignment keeps: the r extra places to the r largest counts. */
    private static int mostKeepable(List<String> ids, String[] owners, int shards) {
        Map<String, Integer> c = counts(owners);
        List<Integer> live = new ArrayList<>();
        for (String id : new TreeSet<>(ids)) {
            live.add(c.getOrDefault(id, 0));
        }
        live.sort(Collections.reverseOrder());
        int q = shards / live.size();
        int r = shards % live.size();
        int kept = 0;
        for (int k = 0; k < live.size(); k++) {
            kept += Math.min(live.get(k), k < r ? q + 1 : q);
        }
        return kept;
    }

    /**
     * A random owner map: per set a random share of unowned shards and of shards owned by members that
     * are not live; the rest to live members, skewed so that some own far more than their share.
     */
    static String[] arbitraryOwners(Random rnd, List<String> ids, int shards) {
        String[] owners = new String[shards];
        List<String> dead = ids(rnd, 2);
        int unowned = rnd.nextInt(4);
        int gone = rnd.nextInt(4);
        for (int s = 0; s < shards; s++) {
            int roll = rnd.nextInt(10);
            if (roll < unowned) {
                owners[s] = null;
            } else if (roll < unowned + gone) {
                owners[s] = dead.get(rnd.nextInt(2));
            } else {
                int k = (int) (ids.size() * Math.pow(rnd.nextDouble(), 2)); // low indexes far more often
                owners[s] = ids.get(Math.min(k, ids.size() - 1));
            }
        }
        return owners;
    }

    /** Every shard owned by a live member; each owns ⌊S/N⌋ or ⌈S/N⌉, exactly S mod N of them the ceiling. */
    static void assertBalanced(List<String> ids, String[] owners, String what) {
        Set<String> live = new TreeSet<>(ids);
        Map<String, Integer> counts = counts(owners);
        int n = live.size();
        int q = owners.length / n;
        int atCeiling = 0;
        for (String id : live) {
            int c = counts.getOrDefault(id, 0);
            assertTrue(c == q || c == q + 1, what + ": member " + id + " owns " + c);
            atCeiling += c == q + 1 ? 1 : 0;
        }
        assertEquals(owners.length % n, atCeiling, what + ": members owning ⌊S/N⌋ + 1");
        for (int s = 0; s < owners.length; s++) {
            assertTrue(owners[s] != null && live.contains(owners[s]), what + ": shard " + s + " owned by " + owners[s]);
        }
    }

    /** Shards whose owner in {@code b} differs from {@code a} (null counts as an owner). */
    static int movedOrFreed(String[] a, String[] b) {
        int m = 0;
        for (int s = 0; s < a.length; s++) {
            m += java.util.Objects.equals(a[s], b[s]) ? 0 : 1;
        }
        return m;
    }

    static int moved(String[] a, String[] b) {
        int m = 0;
        for (int s = 0; s < a.length; s++) {
            m += a[s].equals(b[s]) ? 0 : 1;
        }
        return m;
    }

    static Map<String, Integer> counts(String[] owners) {
        Map<String, Integer> c = new HashMap<>();
        for (String o : owners) {
            c.merge(o, 1, Integer::sum);
        }
        return c;
    }

    static List<String> ids(Random rnd, int n) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ids.add(uuid(rnd));
        }
        return ids;
    }

    static String uuid(Random rnd) {
        return String.format(Locale.ROOT, "%08x-%04x-%04x-%04x-%012x", rnd.nextInt(), rnd.nextInt(0x10000),
                rnd.nextInt(0x10000), rnd.nextInt(0x10000), rnd.nextLong() & 0xffffffffffffL);
    }
}
