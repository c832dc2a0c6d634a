package dev.cicd.etcd.internal;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Which live member owns which shard: a deterministic function of the live member ids, the current owner
 * of each shard (as a runner sees it in etcd) and the shard count, the same in every JVM and version (it
 * uses only the stable hash below, never {@code hashCode} or {@code Random}).
 *
 * <p><b>Scheme: sticky, exactly balanced rendezvous.</b> Every (member, shard) pair has a weight
 * {@code weight(member, shard)} (FNV-1a 64 of the member id's UTF-8, mixed with the shard number by the
 * SplitMix64 finaliser). With {@code S = q·N + r} ({@code N} live members):
 * <ol>
 * <li><b>Capacities.</b> Each member's count {@code c} is the number of shards it owns now. The {@code r}
 * members first in the order "higher {@code min(c, q + 1)} first, then the stable order {@link #rank}" get
 * capacity {@code q + 1}, the others {@code q}. So every member ends with ⌊S/N⌋ or ⌈S/N⌉ shards, always;
 * of all the ways to hand out the {@code r} extra places this one keeps the most current owners (an extra
 * place keeps one more shard exactly when its member owns ≥ {@code q + 1}); and counting only up to
 * {@code q + 1} keeps the order still while members over capacity shed down to it, so a handover in
 * progress does not move the extra places around.</li>
 * <li><b>Keep.</b> Each member keeps its current shards up to its capacity; over capacity it sheds the
 * shards with its lowest weights.</li>
 * <li><b>Place.</b> The free shards (unowned, owned by a member that is not live, or shed) go to the
 * members with room, by rendezvous preference: pairs (free shard, member with room) in order of weight,
 * strongest first (ties: member id, then shard), each taken when the shard is still free and the member
 * still has room. The rooms add up to the free shards, so every shard gets an owner.</li>
 * </ol>
 * From an empty owner map (first start, or every runner restarted) this is plain bounded-load rendezvous
 * hashing with exact capacities. The owner map that matters is etcd's, not a previous result: the
 * function has no memory of its own.
 *
 * <p><b>Fixed point.</b> If the owners are balanced and complete (every shard owned by a live member,
 * every member at ⌊S/N⌋ or ⌈S/N⌉), exactly {@code r} members own {@code q + 1}; they are the first
 * {@code r} by count, so every capacity equals the count, nothing is shed, nothing is free, and the
 * result is the owner map itself. Every result is balanced and complete, so {@code assign(M, assign(M,
 * O)) = assign(M, O)}: once etcd's owners match the assignment, it no longer changes.
 *
 * <p><b>Join, proven: it moves exactly ⌊S/(N+1)⌋ shards, all to the joiner (within the issue's
 * ⌈S/(N+1)⌉ + 2 with no slack used).</b> Let the owners be balanced for {@code N} members ({@code q, r})
 * and a member join ({@code q' = ⌊S/(N+1)⌋ ≤ q}, {@code r'}). If {@code q' < q}, every old member owns
 * ≥ {@code q ≥ q' + 1} (counted: {@code q' + 1}) against the joiner's 0, and {@code r' ≤ N}, so the
 * {@code r'} extra places go to old members, every old member is at or over its capacity, no old member
 * has room, and the shed shards, {@code S - Σ old capacities} = the joiner's capacity {@code q'}, all go
 * to the joiner. If {@code q' = q} ({@code S} small against {@code N}), then {@code r' = r - q ≤ r}; the
 * {@code r'} extra places go to members owning {@code q + 1} (more than the others' {@code q} and the
 * joiner's 0), the other {@code r - r'} of them shed one each, nobody old has room, and again only the
 * joiner receives, {@code q} shards. Either way no shard moves between two old members.
 *
 * <p><b>Leave, proven: it moves exactly the leaver's shards.</b> With the owners balanced for {@code N}
 * and one member gone ({@code q' = ⌊S/(N-1)⌋ ≥ q}): if {@code q' > q}, every staying member owns
 * ≤ {@code q + 1 ≤ q'} ≤ its capacity; if {@code q' = q}, then {@code r' = r + q ≥ r}, so the
 * {@code r'} extra places include every member owning {@code q + 1}. Nobody sheds; only the leaver's
 * shards are free and they go to members with room.
 *
 * <p><b>Convergence of the loop</b> (each runner takes a shard assigned to it whose key is absent and
 * releases a shard it holds that is assigned elsewhere, re-evaluating on every change of members or
 * owners; a runner counts its own keys as it holds them, never from a stale view). Let
 * {@code over(O) = Σ max(0, c - q - 1) + max(0, #{c ≥ q + 1} - r)}; {@code over = 0} means every count
 * fits some capacity. (i) A release never raises {@code over}, on any view, and one decided on an exact
 * view lowers it by one (the releaser is over its capacity: over {@code q + 1}, or at {@code q + 1} while
 * the {@code r} members ranked above it also own ≥ {@code q + 1}). (ii) A take decided on an exact view
 * never raises it (the taker owns ≤ {@code q} and holds an extra place, so every member owning
 * {@code q + 1} ranks above it and fewer than {@code r} do). (iii) With {@code over = 0} nothing is shed,
 * and a take keeps {@code over = 0} and leaves the rest of the assignment as it was (the taker only
 * rises in the order; the greedy placement of the other free shards is unchanged). So with exact views
 * and fixed members there are at most {@code over(O₀)} releases (for a join from a balanced state:
 * exactly the joiner's share), then only takes of free shards, then the fixed point: a shard never
 * travels back. A release whose {@code revoking} completes when the shard is assigned here again keeps
 * it. With lagging views this is not proven: a runner that has not yet seen a change can take or release
 * a shard an exact view would not. The owner key still admits one owner, every change is re-evaluated
 * when its watch event arrives, and the order among equal counts is the same in every view, so two
 * runners do not keep releasing to each other: {@code ShardConvergenceTest} runs the loop's rule with
 * views lagging at random (members and owners, 3,000 runs of joins, double joins, leaves and arbitrary
 * starts); every run reached the fixed point, and over all runs 3 shards moved once more than needed
 * (all on leaves; at most 1 in a run). With exact views it checks the bounds above.
 */
public final class ShardAssignment {

    /** Fewest shards a group may have. */
    public static final int MIN_SHARDS = 1;
    /** Most shards a group may have. */
    public static final int MAX_SHARDS = 4096;

    private static final long FNV_OFFSET = 0xcbf29ce484222325L;
    private static final long FNV_PRIME = 0x100000001b3L;
    private static final long GOLDEN = 0x9e3779b97f4a7c15L;

    private ShardAssignment() {
    }

    /** FNV-1a 64 of {@code text}'s UTF-8 bytes. */
    public static long fnv1a64(String text) {
        long h = FNV_OFFSET;
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= FNV_PRIME;
        }
        return h;
    }

    /** The SplitMix64 finaliser: spreads every input bit over every output bit. */
    public static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    /** The shard of {@code target}: its stable hash modulo {@code shards}. */
    public static int shardOf(String target, int shards) {
        checkShards(shards);
        if (target == null) {
            throw new IllegalArgumentException("target must not be null");
        }
        return (int) Long.remainderUnsigned(mix64(fnv1a64(target)), shards);
    }

    /** How much {@code member} wants {@code shard}, compared as unsigned. */
    public static long weight(String member, int shard) {
        return weight(fnv1a64(member), shard);
    }

    private static long weight(long memberHash, int shard) {
        return mix64(memberHash + (shard + 1L) * GOLDEN);
    }

    /**
     * The owner of every shard from no current owners (first start): element {@code s} of the result is
     * the id of the member that owns shard {@code s}. Empty members: every element is null.
     *
     * @param members live member ids (duplicates ignored; order does not matter)
     * @param shards  the group's shard count, 1..4096
     */
    public static String[] assign(Collection<String> members, int shards) {
        checkShards(shards);
        return assign(members, new String[shards], shards);
    }

    /**
     * The owner of every shard, keeping current owners where balance allows (see the class javadoc).
     *
     * @param members live member ids (duplicates ignored; order does not matter)
     * @param owners  the current owner of each shard (index = shard; null = unowned; ids that are not
     *                live members count as unowned); not modified
     * @param shards  the group's shard count, 1..4096, the length of {@code owners}
     */
    public static String[] assign(Collection<String> members, String[] owners, int shards) {
        checkShards(shards);
        if (owners == null || owners.length != shards) {
            throw new IllegalArgumentException("owners must have one entry per shard (" + shards + "), had "
                    + (owners == null ? "none" : owners.length));
        }
        String[] result = new String[shards];
        List<String> ids = new ArrayList<>(new TreeSet<>(members));
        int n = ids.size();
        if (n == 0) {
            return result;
        }
        Map<String, Integer> index = new HashMap<>();
        long[] hashes = new long[n];
        List<List<Integer>> held = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            index.put(ids.get(i), i);
            hashes[i] = fnv1a64(ids.get(i));
            held.add(new ArrayList<>());
        }
        for (int s = 0; s < shards; s++) {
            Integer i = owners[s] == null ? null : index.get(owners[s]);
            if (i != null) {
                held.get(i).add(s);
            }
        }
        int[] cap = capacities(ids, held, shards);
        int[] room = new int[n];
        for (int i = 0; i < n; i++) {
            long h = hashes[i];
            List<Integer> mine = held.get(i);
            mine.sort((x, y) -> {
                int c = Long.compareUnsigned(weight(h, y), weight(h, x));
                return c != 0 ? c : Integer.compare(x, y);
            });
            int keep = Math.min(mine.size(), cap[i]);
            for (int k = 0; k < keep; k++) {
                result[mine.get(k)] = ids.get(i);
            }
            room[i] = cap[i] - keep;
        }
        place(result, ids, hashes, room);
        return result;
    }

    /**
     * Capacity per member (index as in {@code ids}): q + 1 for the first r members in the order "more
     * shards owned now, counted up to q + 1, first; then {@link #rank}", q for the others.
     */
    private static int[] capacities(List<String> ids, List<List<Integer>> held, int shards) {
        int n = ids.size();
        int q = shards / n;
        Integer[] order = new Integer[n];
        long[] ranks = new long[n];
        int[] owned = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
            ranks[i] = rank(ids.get(i));
            owned[i] = Math.min(held.get(i).size(), q + 1);
        }
        Arrays.sort(order, (a, b) -> {
            int c = Integer.compare(owned[b], owned[a]);
            if (c == 0) {
                c = Long.compareUnsigned(ranks[a], ranks[b]);
            }
            return c != 0 ? c : ids.get(a).compareTo(ids.get(b));
        });
        int[] cap = new int[n];
        for (int k = 0; k < n; k++) {
            cap[order[k]] = q + (k < shards % n ? 1 : 0);
        }
        return cap;
    }

    /**
     * The stable order among members owning equally many shards (lower first): a hash of the id, so
     * that no id wins every tie by its spelling.
     */
    public static long rank(String member) {
        return mix64(fnv1a64(member) ^ GOLDEN);
    }

    /** Gives every shard without an owner in {@code result} to a member with room, strongest weight first. */
    private static void place(String[] result, List<String> ids, long[] hashes, int[] room) {
        List<Integer> free = new ArrayList<>();
        for (int s = 0; s < result.length; s++) {
            if (result[s] == null) {
                free.add(s);
            }
        }
        if (free.isEmpty()) {
            return;
        }
        List<Pair> pairs = new ArrayList<>();
        for (int i = 0; i < ids.size(); i++) {
            if (room[i] > 0) {
                for (int s : free) {
                    pairs.add(new Pair(weight(hashes[i], s), i, s));
                }
            }
        }
        pairs.sort(ShardAssignment::byWeight);
        int left = free.size();
        for (Pair p : pairs) {
            if (result[p.shard] == null && room[p.member] > 0) {
                result[p.shard] = ids.get(p.member);
                room[p.member]--;
                if (--left == 0) {
                    break;
                }
            }
        }
    }

    /** Throws when {@code shards} is outside 1..4096, naming the value. */
    public static int checkShards(int shards) {
        if (shards < MIN_SHARDS || shards > MAX_SHARDS) {
            throw new IllegalArgumentException("shards must be between " + MIN_SHARDS + " and " + MAX_SHARDS
                    + ", was " + shards);
        }
        return shards;
    }

    /** Stronger weight first, then member, then shard. */
    private static int byWeight(Pair a, Pair b) {
        int c = Long.compareUnsigned(b.weight, a.weight);
        if (c != 0) {
            return c;
        }
        return a.member != b.member ? Integer.compare(a.member, b.member) : Integer.compare(a.shard, b.shard);
    }

    private record Pair(long weight, int member, int shard) {
    }
}
