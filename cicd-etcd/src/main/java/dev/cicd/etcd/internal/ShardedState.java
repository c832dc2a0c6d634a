package dev.cicd.etcd.internal;

import dev.cicd.core.CicdException;
import dev.cicd.core.Outcome;
import dev.cicd.core.StateStore;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The state of one pipeline of a sharded group: it carries out the events of a fixed set of shards (those
 * this runner held when the pipeline was built), and keeps each watch's position per shard
 * ({@link StateKeys#shardCheckpoint}). An event's shard is the hash of its first target
 * ({@link ShardAssignment#shardOf}).
 *
 * <p>{@link #load} reads every shard's checkpoint and marks; a shard without a checkpoint starts at the
 * watch's {@code origin}, written once (create-only) by the first runner to load the watch: the group's
 * unsharded checkpoint when there is one (a group switched to shards resumes where its leader stopped),
 * else the revision etcd was at. The pipeline resumes from the lowest of the owned shards' positions and
 * {@link #owns} passes what is not its own: another shard's events, and its shards' events at or below
 * their checkpoint.
 *
 * <p>{@link #commit} writes a batch in one transaction that compares the ownership key of every shard it
 * touches (their create revisions are the fencing tokens): a runner whose shard moved on writes nothing.
 * Each outcome gets a mark of its shard; the watch's checkpoint (carried by a batch at most once per
 * {@link #CHECKPOINT_INTERVAL}, see {@link StateStore#checkpointInterval()}) goes to every owned shard behind
 * it by separate fenced transactions, which also remove the marks it passes. Writing it with each batch
 * cost a put and a mark removal per touched shard, about one of each per outcome in a catch-up; a shard
 * left behind only replays more, its marks keep recorded events from running twice. The watch's
 * {@code latest} record is replaced only by a newer one ({@link StateOps#latestPutIfNewer}): runners record
 * side by side.
 */
public final class ShardedState {

    private static final Logger LOG = LoggerFactory.getLogger(ShardedState.class);
    /** Shards per checkpoint-only transaction: 2 ops and 1 compare each, well below etcd's 128. */
    static final int SHARDS_PER_TXN = 40;
    /** The least time between two writes of a watch's shard checkpoints ({@link StateStore#checkpointInterval()}). */
    public static final java.time.Duration CHECKPOINT_INTERVAL = java.time.Duration.ofSeconds(1);

    private final StateOps ops;
    private final StateKeys keys;
    private final int shards;
    private final Set<Integer> owned;
    private final IntFunction<Optional<Fence.Token>> tokens;
    private final String who;
    /** Per watch, per owned shard: the position loaded (checkpoint or origin). */
    private final Map<String, Map<Integer, Long>> loaded = new ConcurrentHashMap<>();
    /** Per watch, per owned shard: the checkpoint written last by this pipeline. Guarded by itself. */
    private final Map<String, Map<Integer, Long>> written = new HashMap<>();

    public ShardedState(StateOps ops, int shards, Set<Integer> owned, IntFunction<Optional<Fence.Token>> tokens) {
        this.ops = ops;
        this.keys = ops.keys();
        this.shards = ShardAssignment.checkShards(shards);
        this.owned = Set.copyOf(owned);
        this.tokens = tokens;
        this.who = "runner " + ops.runnerId() + " of group " + ops.group();
    }

    public Set<Integer> owned() {
        return owned;
    }

    public int shardOf(List<String> targets) {
        return ShardAssignment.shardOf(targets.get(0), shards);
    }

    /** The owned shards' lowest position, and the revisions recorded above their own positions. */
    public StateStore.WatchState load(String watch) {
        TxnResponse r = ops.read("reading the shard state of watch " + watch,
                Op.get(Etcd.bytes(keys.shardOrigin(watch)), GetOption.DEFAULT),
                Op.get(Etcd.bytes(keys.shardCheckpointDir(watch)), GetOption.builder().isPrefix(true).build()),
                Op.get(Etcd.bytes(keys.shardRecordedRoot(watch)),
                        GetOption.builder().isPrefix(true).withKeysOnly(true).build()),
                Op.get(Etcd.bytes(keys.checkpoint(watch)), GetOption.DEFAULT),
                Op.get(Etcd.bytes(keys.recordedDir(watch)), GetOption.builder().isPrefix(true).withKeysOnly(true).build()));
        OptionalLong origin = Etcd.revisionIn(r.getGetResponses().get(0).getKvs());
        if (origin.isEmpty()) {
            origin = OptionalLong.of(ensureOrigin(ops, watch));
        }
        Map<Integer, Long> checkpoints = new HashMap<>();
        for (KeyValue kv : r.getGetResponses().get(1).getKvs()) {
            String key = Etcd.text(kv.getKey());
            checkpoints.put(shardIn(key, keys.shardCheckpointDir(watch)), Etcd.revisionIn(kv));
        }
        Map<Integer, Long> from = new TreeMap<>();
        for (int s : owned) {
            from.put(s, checkpoints.getOrDefault(s, origin.getAsLong()));
        }
        Set<Long> above = new HashSet<>();
        for (KeyValue kv : r.getGetResponses().get(2).getKvs()) {
            String rest = Etcd.text(kv.getKey()).substring(keys.shardRecordedRoot(watch).length());
            int slash = rest.indexOf('/');
            try {
                int s = Integer.parseInt(rest.substring(0, slash));
                long rev = Long.parseLong(rest.substring(slash + 1));
                if (from.containsKey(s) && rev > from.get(s)) {
                    above.add(rev);
                }
            } catch (RuntimeException e) {
                LOG.warn("ignoring {}: not a shard's revision mark", Etcd.text(kv.getKey()));
            }
        }
        // marks the group's leader left above its checkpoint (a group switched to shards): recorded too
        for (KeyValue kv : r.getGetResponses().get(4).getKvs()) {
            String k = Etcd.text(kv.getKey());
            try {
                above.add(Long.parseLong(k.substring(k.lastIndexOf('/') + 1)));
            } catch (NumberFormatException e) {
                LOG.warn("ignoring {}: not a revision mark", k);
            }
        }
        loaded.put(watch, Map.copyOf(from));
        synchronized (written) {
            written.put(watch, new HashMap<>(from));
        }
        long lowest = from.values().stream().mapToLong(Long::longValue).min().orElse(origin.getAsLong());
        LOG.info("watch {}: {} shard(s) of {} owned, resuming from revision {} (origin {})", watch, owned.size(), shards,
                lowest, origin.getAsLong());
        return new StateStore.WatchState(OptionalLong.of(lowest), above);
    }

    /**
     * The watch's origin, written first when it has none (create-only, so the first runner's stands): the
     * group's one-leader checkpoint when there is one, else the revision etcd is at. A runner calls it for
     * each watch before it joins the group, so that every value put once a runner of the group is up lies
     * above the origin, whenever the pipelines start.
     */
    public static long ensureOrigin(StateOps ops, String watch) {
        StateKeys keys = ops.keys();
        ByteSequence key = Etcd.bytes(keys.shardOrigin(watch));
        TxnResponse now = ops.read("reading the shard origin of watch " + watch, Op.get(key, GetOption.DEFAULT),
                Op.get(Etcd.bytes(keys.checkpoint(watch)), GetOption.DEFAULT));
        OptionalLong stored = Etcd.revisionIn(now.getGetResponses().get(0).getKvs());
        if (stored.isPresent()) {
            return stored.getAsLong();
        }
        long revision = Etcd.revisionIn(now.getGetResponses().get(1).getKvs()).orElse(now.getHeader().getRevision());
        ops.write("writing the shard origin of watch " + watch, lease -> List.of(
                Op.put(key, Etcd.bytes(Long.toString(revision)), PutOption.DEFAULT)),
                List.of(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.createRevision(0))), false);
        TxnResponse r = ops.read("reading the shard origin of watch " + watch, Op.get(key, GetOption.DEFAULT));
        return Etcd.revisionIn(r.getGetResponses().get(0).getKvs()).orElseThrow(() -> new CicdException(
                CicdException.Code.SOURCE, keys.shardOrigin(watch) + " vanished right after it was written"));
    }

    /** Whether the event is this pipeline's: of an owned shard, and above that shard's loaded position. */
    public boolean owns(String watch, List<String> targets, long revision) {
        Map<Integer, Long> from = loaded.get(watch);
        if (from == null || targets.isEmpty()) {
            return false;
        }
        Long position = from.get(shardOf(targets));
        return position != null && revision > position;
    }

    /** One batch in one transaction fenced by the touched shards' tokens; then the other shards' checkpoints. */
    public void commit(StateStore.Batch batch) {
        Map<String, SortedSet<Integer>> touched = new LinkedHashMap<>();
        Map<String, StateStore.Entry> appliedTo = new LinkedHashMap<>();
        for (StateStore.Entry e : batch.entries()) {
            touched.computeIfAbsent(e.outcome().watch(), w -> new TreeSet<>()).add(shardOf(e.targets()));
            if (e.outcome().kind() == Outcome.Kind.APPLIED && e.outcome().fingerprint().isPresent()) {
                e.targets().forEach(t -> appliedTo.put(t, e));
            }
        }
        if (!batch.entries().isEmpty() || !batch.latest().isEmpty()) {
            SortedSet<Integer> all = new TreeSet<>();
            touched.values().forEach(all::addAll);
            String what = batch.entries().isEmpty() ? "writing the latest records of " + batch.latest().keySet()
                    : "recording " + batch.entries().size() + " outcome(s) from revision "
                            + batch.entries().get(0).outcome().revision() + " of watch "
                            + batch.entries().get(0).outcome().watch() + " (shards " + all + ")";
            List<Cmp> fence = fence(all, what);
            boolean ok = ops.write(what, lease -> {
                List<Op> list = new ArrayList<>();
                for (StateStore.Entry e : batch.entries()) {
                    Outcome o = e.outcome();
                    list.add(ops.statusPut(o, lease));
                    list.add(Op.put(Etcd.bytes(keys.shardRecorded(o.watch(), shardOf(e.targets()), o.revision())),
                            ByteSequence.EMPTY, PutOption.DEFAULT));
                }
                appliedTo.forEach((target, e) -> list.add(ops.putApplied(target, e.outcome())));
                batch.latest().values().forEach(o -> list.add(ops.latestPutIfNewer(o)));
                return list;
            }, fence, true);
            if (!ok) {
                throw refused(all, what);
            }
            ops.committed(batch);
        }
        batch.checkpoints().forEach(this::refresh);
    }

    /**
     * The watch's checkpoint for the owned shards behind it, in transactions of {@link #SHARDS_PER_TXN}
     * shards, each fenced by its shards; a refused one is logged (that shard moved on; its new owner goes on
     * from what it finds). A shard's checkpoint only moves forward: the pipeline's checkpoint is the lowest
     * of its shards', which may lie below a shard's own.
     */
    private void refresh(String watch, long cp) {
        List<Integer> behind = new ArrayList<>();
        synchronized (written) {
            Map<Integer, Long> w = written.getOrDefault(watch, Map.of());
            for (int s : owned) {
                if (w.getOrDefault(s, Long.MIN_VALUE) < cp) {
                    behind.add(s);
                }
            }
        }
        for (int i = 0; i < behind.size(); i += SHARDS_PER_TXN) {
            SortedSet<Integer> chunk = new TreeSet<>(behind.subList(i, Math.min(behind.size(), i + SHARDS_PER_TXN)));
            chunk.removeIf(s -> tokens.apply(s).isEmpty());
            if (chunk.isEmpty()) {
                continue;
            }
            String what = "writing checkpoint " + cp + " of watch " + watch + " for shards " + chunk;
            List<Cmp> fence = fence(chunk, what);
            boolean ok = ops.write(what, lease -> {
                List<Op> list = new ArrayList<>();
                chunk.forEach(s -> list.addAll(checkpointOps(watch, s, cp)));
                return list;
            }, fence, false);
            if (ok) {
                chunk.forEach(s -> wrote(watch, s, cp));
            } else {
                LOG.info("{}: refused, a shard of {} has moved on", what, chunk);
            }
        }
    }

    private List<Op> checkpointOps(String watch, int shard, long cp) {
        return List.of(Op.put(Etcd.bytes(keys.shardCheckpoint(watch, shard)), Etcd.bytes(Long.toString(cp)),
                        PutOption.DEFAULT),
                Op.delete(Etcd.bytes(keys.shardRecordedDir(watch, shard)), DeleteOption.builder()
                        .withRange(Etcd.bytes(keys.shardRecorded(watch, shard, cp + 1))).build()));
    }

    private void wrote(String watch, int shard, long cp) {
        synchronized (written) {
            written.computeIfAbsent(watch, w -> new HashMap<>()).merge(shard, cp, Math::max);
        }
    }

    /** The compares of the shards' tokens; refused at once when one is not held. */
    private List<Cmp> fence(Set<Integer> shardSet, String what) {
        List<Cmp> cmps = new ArrayList<>();
        for (int s : shardSet) {
            Fence.Token t = tokens.apply(s).orElseThrow(() -> refused(Set.of(s), what));
            if (!owned.contains(s)) {
                throw refused(Set.of(s), what);
            }
            cmps.add(new Cmp(t.key(), Cmp.Op.EQUAL, CmpTarget.createRevision(t.createRevision())));
        }
        return cmps;
    }

    private CicdException refused(Set<Integer> shardSet, String what) {
        return new CicdException(CicdException.Code.FENCED, who + " does not own shard(s) " + new TreeSet<>(shardSet)
                + " any more: " + what + " refused");
    }

    private static int shardIn(String key, String dir) {
        try {
            return Integer.parseInt(key.substring(dir.length()));
        } catch (NumberFormatException e) {
            throw new CicdException(CicdException.Code.SOURCE, key + " is not a shard's checkpoint key", e);
        }
    }
}
