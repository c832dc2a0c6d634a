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
import org.junit.jupiter.api.Test;

class ShardAssignmentTest {

    private static final int S = 64;
    private static final int SETS = 1000;

    /**
     * Worst excess movement measured over the seeded sets (index = N before the change), kept as a
     * regression bound: a change of the function that moves more shards fails here. See the class
     * javadoc of {@link ShardAssignment} for why it is not ≤ 2 everywhere.
     */
    private static final int[] JOIN_BOUND = {0, 0, 4, 6, 8, 7, 7, 8};
    private static final int[] LEAVE_BOUND = {0, 0, 0, 6, 7, 6, 7, 7};

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
    void assignmentDependsOnlyOnTheSetOfMembers() {
        List<String> ids = new ArrayList<>(List.of("r1", "r2", "r3", "r4", "r5"));
        String[] a = ShardAssignment.assign(ids, S);
        Collections.reverse(ids);
        ids.add("r3");
        assertArrayEquals(a, ShardAssignment.assign(ids, S));
    }

    @Test
    void everyMemberOwnsFloorOrCeilingOfTheShareForRandomSets() {
        Random rnd = new Random(20261127);
        for (int shards : new int[] {1, 7, 64, 100, 1000}) {
            for (int n = 1; n <= 12; n++) {
                for (int t = 0; t < 100; t++) {
                    List<String> ids = ids(rnd, n);
                    Map<String, Integer> counts = counts(ShardAssignment.assign(ids, shards));
                    int lo = shards / n;
                    int hi = (shards + n - 1) / n;
                    for (String id : ids) {
                        int c = counts.getOrDefault(id, 0);
                        assertTrue(c >= lo && c <= hi, "S=" + shards + " N=" + n + " member " + id + " owns " + c);
                    }
                }
            }
        }
    }

    @Test
    void joinsAndLeavesMoveFewShardsBeyondTheMinimumOverAThousandRandomSets() {
        Random rnd = new Random(42);
        int[] worstJoin = new int[8];
        int[] worstLeave = new int[8];
        int[] joinOver2 = new int[8];
        int[] leaveOver2 = new int[8];
        for (int n = 1; n <= 7; n++) {
            for (int t = 0; t < SETS; t++) {
                List<String> ids = ids(rnd, n);
                String[] before = ShardAssignment.assign(ids, S);
                List<String> joined = new ArrayList<>(ids);
                joined.add(uuid(rnd));
                int excess = moved(before, ShardAssignment.assign(joined, S)) - (S + n) / (n + 1);
                worstJoin[n] = Math.max(worstJoin[n], excess);
                joinOver2[n] += excess > 2 ? 1 : 0;
                if (n > 1) {
                    String gone = ids.get(rnd.nextInt(n));
                    List<String> left = new ArrayList<>(ids);
                    left.remove(gone);
                    int own = counts(before).get(gone);
                    int leaveExcess = moved(before, ShardAssignment.assign(left, S)) - own;
                    worstLeave[n] = Math.max(worstLeave[n], leaveExcess);
                    leaveOver2[n] += leaveExcess > 2 ? 1 : 0;
                }
            }
        }
        StringBuilder report = new StringBuilder("N before:            ");
        for (int n = 1; n <= 7; n++) {
            report.append(String.format(Locale.ROOT, "%4d", n));
        }
        report.append("\njoin worst excess:   ").append(row(worstJoin)).append("\njoin sets over +2:   ")
                .append(row(joinOver2)).append("\nleave worst excess:  ").append(row(worstLeave))
                .append("\nleave sets over +2:  ").append(row(leaveOver2));
        System.out.println("ShardAssignment movement over " + SETS + " sets per N (S=64)\n" + report);
        for (int n = 1; n <= 7; n++) {
            assertTrue(worstJoin[n] <= JOIN_BOUND[n], "join from N=" + n + ": excess " + worstJoin[n] + "\n" + report);
            assertTrue(worstLeave[n] <= LEAVE_BOUND[n], "leave from N=" + n + ": excess " + worstLeave[n] + "\n" + report);
        }
    }

    @Test
    void aLeaveMovesFewShardsBetweenTwoMembersThatBothStay() {
        // the leaving member's shards go somewhere; a shard moving between two staying members is the
        // cascade the capacity causes; it must stay rare (counted over 1,000 sets of 4)
        Random rnd = new Random(7);
        int cascades = 0;
        for (int t = 0; t < SETS; t++) {
            List<String> ids = ids(rnd, 4);
            String[] before = ShardAssignment.assign(ids, S);
            String gone = ids.get(t % 4);
            List<String> left = new ArrayList<>(ids);
            left.remove(gone);
            String[] after = ShardAssignment.assign(left, S);
            for (int s = 0; s < S; s++) {
                if (!before[s].equals(gone) && !before[s].equals(after[s])) {
                    cascades++;
                }
            }
        }
        // measured 1,925 over the 1,000 sets (1.9 per leave, against the 16 shards the leaver owns)
        System.out.println("shards moved between staying members on 1,000 leaves from 4: " + cascades);
        assertTrue(cascades <= 2000, "shards moved between staying members: " + cascades);
    }

    private static String row(int[] values) {
        StringBuilder b = new StringBuilder();
        for (int n = 1; n <= 7; n++) {
            b.append(String.format(Locale.ROOT, "%4d", values[n]));
        }
        return b.toString();
    }

    private static int moved(String[] a, String[] b) {
        int m = 0;
        for (int s = 0; s < a.length; s++) {
            m += a[s].equals(b[s]) ? 0 : 1;
        }
        return m;
    }

    private static Map<String, Integer> counts(String[] owners) {
        Map<String, Integer> c = new HashMap<>();
        for (String o : owners) {
            c.merge(o, 1, Integer::sum);
        }
        return c;
    }

    private static List<String> ids(Random rnd, int n) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ids.add(uuid(rnd));
        }
        return ids;
    }

    private static String uuid(Random rnd) {
        return String.format(Locale.ROOT, "%08x-%04x-%04x-%04x-%012x", rnd.nextInt(), rnd.nextInt(0x10000),
                rnd.nextInt(0x10000), rnd.nextInt(0x10000), rnd.nextLong() & 0xffffffffffffL);
    }
}
