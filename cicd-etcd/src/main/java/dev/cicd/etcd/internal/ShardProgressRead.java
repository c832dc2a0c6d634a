package dev.cicd.etcd.internal;

import dev.cicd.etcd.ShardProgress;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a sharded watch's progress ({@link StateKeys#shardDir}): the origin, the checkpoints and the marks'
 * keys in one transaction; marks beyond the first page are read in pages at the transaction's revision, so
 * everything is as of one revision.
 */
public final class ShardProgressRead {

    private static final Logger LOG = LoggerFactory.getLogger(ShardProgressRead.class);

    /** Marks read per request. */
    static final int PAGE = 10_000;

    private ShardProgressRead() {
    }

    public static ShardProgress read(Client client, String statePrefix, String watch, int shards, Duration timeout) {
        return read(client, statePrefix, watch, shards, timeout, PAGE);
    }

    /** As {@link #read(Client, String, String, int, Duration)}, reading {@code page} marks per request. */
    static ShardProgress read(Client client, String statePrefix, String watch, int shards, Duration timeout, int page) {
        Objects.requireNonNull(client, "client");
        Objects.requireNonNull(timeout, "timeout");
        if (watch == null || watch.isBlank() || watch.contains("/")) {
            throw new IllegalArgumentException("watch must be non-blank and contain no '/', was '" + watch + "'");
        }
        ShardAssignment.checkShards(shards);
        StateKeys keys = new StateKeys(Etcd.normalizePrefix(statePrefix, "state prefix"), null); // no status keys here
        String originKey = keys.shardOrigin(watch);
        String cpDir = keys.shardCheckpointDir(watch);
        String marksRoot = keys.shardRecordedRoot(watch);
        ByteSequence marksStart = Etcd.bytes(marksRoot);
        ByteSequence marksEnd = Etcd.prefixEnd(marksStart);
        TxnResponse r = Etcd.await(client.getKVClient().txn()
                .Then(Op.get(Etcd.bytes(originKey), GetOption.DEFAULT),
                        Op.get(Etcd.bytes(cpDir), GetOption.builder().isPrefix(true).build()),
                        Op.get(marksStart, GetOption.builder().withRange(marksEnd).withKeysOnly(true)
                                .withLimit(page).build()))
                .commit(), timeout, () -> "reading the shard progress of watch " + watch + " below " + keys.shardDir(watch));
        long revision = r.getHeader().getRevision();

        List<KeyValue> originKv = r.getGetResponses().get(0).getKvs();
        OptionalLong origin = originKv.isEmpty() ? OptionalLong.empty()
                : OptionalLong.of(Etcd.revisionIn(originKv.get(0)));

        Map<Integer, Long> checkpoints = new TreeMap<>();
        for (KeyValue kv : r.getGetResponses().get(1).getKvs()) {
            String key = Etcd.text(kv.getKey());
            OptionalInt shard = shardNamed(key.substring(cpDir.length()), shards);
            if (shard.isEmpty()) {
                LOG.warn("ignoring {}: not the checkpoint of a shard 0..{}", key, shards - 1);
                continue;
            }
            checkpoints.put(shard.getAsInt(), Etcd.revisionIn(kv));
        }

        Map<Integer, Long> marks = new TreeMap<>();
        GetResponse got = r.getGetResponses().get(2);
        while (true) {
            List<KeyValue> kvs = got.getKvs();
            for (KeyValue kv : kvs) {
                count(Etcd.text(kv.getKey()), marksRoot, shards, marks);
            }
            if (!got.isMore() || kvs.isEmpty()) {
                break;
            }
            ByteSequence after = Etcd.justAfter(kvs.get(kvs.size() - 1).getKey());
            got = Etcd.await(client.getKVClient().get(after, GetOption.builder().withRange(marksEnd)
                            .withKeysOnly(true).withLimit(page).withRevision(revision).build()), timeout,
                    () -> "reading the marks of watch " + watch + " below " + marksRoot + " at revision " + revision);
        }
        return new ShardProgress(watch, shards, origin, checkpoints, marks, revision);
    }

    /** Counts a mark key {@code <root><shard>/<revision>} for its shard; ignores (and logs) other keys. */
    private static void count(String key, String root, int shards, Map<Integer, Long> marks) {
        String rest = key.substring(root.length());
        int slash = rest.indexOf('/');
        OptionalInt shard = slash < 0 ? OptionalInt.empty() : shardNamed(rest.substring(0, slash), shards);
        if (shard.isEmpty() || !isRevision(rest.substring(slash + 1))) {
            LOG.warn("ignoring {}: not the mark of a revision of a shard 0..{}", key, shards - 1);
            return;
        }
        marks.merge(shard.getAsInt(), 1L, Long::sum);
    }

    /** The shard a key's last segment names, if it is a decimal number in 0..shards-1. */
    static OptionalInt shardNamed(String name, int shards) {
        if (name.isEmpty() || name.length() > 4 || !name.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return OptionalInt.empty();
        }
        int s = Integer.parseInt(name);
        return s < shards ? OptionalInt.of(s) : OptionalInt.empty();
    }

    private static boolean isRevision(String s) {
        if (s.isEmpty() || s.length() > 20 || !s.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return false;
        }
        try {
            Long.parseLong(s);
            return true;
        } catch (NumberFormatException e) {
            return false;
        }
    }
}
