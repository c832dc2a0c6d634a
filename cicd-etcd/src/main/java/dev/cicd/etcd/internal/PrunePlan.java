package dev.cicd.etcd.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * Which listed status keys of a watch a prune round deletes, and in which transactions; pure.
 *
 * <p>Status keys carry the revision in plain decimal ({@code .../9}, {@code .../10}), so their text order is
 * not revision order and a key range between two old records can hold newer ones (".../10" and ".../100"
 * both sort before ".../11"): a range delete could remove a record of an event still in flight or written
 * after the listing. So a round deletes exactly the keys it listed, one delete per key, many per
 * transaction (one raft round per {@code maxOps} records).
 */
public final class PrunePlan {

    private PrunePlan() {
    }

    /**
     * The keys of {@code listed} (oldest written first) that may go: per-revision records at or below the
     * checkpoint (their events are committed; above it an event may be in flight and its in-progress
     * record is kept). Keys that are not {@code <dir><decimal revision>} are never chosen.
     */
    public static List<String> victims(String dir, List<String> listed, long checkpoint) {
        List<String> out = new ArrayList<>();
        for (String key : listed) {
            OptionalLong rev = revision(dir, key);
            if (rev.isPresent() && rev.getAsLong() <= checkpoint) {
                out.add(key);
            }
        }
        return out;
    }

    /** The revision a status key names, or empty when the key is not {@code <dir><decimal revision>}. */
    public static OptionalLong revision(String dir, String key) {
        if (!key.startsWith(dir) || key.length() == dir.length() || key.length() - dir.length() > 19) {
            return OptionalLong.empty();
        }
        String last = key.substring(dir.length());
        if (!last.chars().allMatch(c -> c >= '0' && c <= '9') || (last.length() > 1 && last.charAt(0) == '0')) {
            return OptionalLong.empty();
        }
        long r = Long.parseLong(last);
        return r > 0 ? OptionalLong.of(r) : OptionalLong.empty();
    }

    /** {@code keys} cut into transactions of at most {@code maxOps} deletes each, in order. */
    public static List<List<String>> batches(List<String> keys, int maxOps) {
        if (maxOps < 1) {
            throw new IllegalArgumentException("maxOps must be >= 1, was " + maxOps);
        }
        List<List<String>> out = new ArrayList<>();
        for (int i = 0; i < keys.size(); i += maxOps) {
            out.add(List.copyOf(keys.subList(i, Math.min(keys.size(), i + maxOps))));
        }
        return out;
    }

    /**
     * How many records a round lists (and deletes at most): the excess over {@code maxPerWatch}, capped at
     * {@code maxPerRound}; 0 when nothing is over.
     */
    public static int toList(long count, int maxPerWatch, int maxPerRound) {
        long excess = count - maxPerWatch;
        return excess <= 0 ? 0 : (int) Math.min(excess, maxPerRound);
    }
}
