package dev.cicd.etcd.internal;

import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.watch.WatchEvent;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeSet;

/**
 * A runner's view of its group's members and shard owners, as read and then watched from etcd. Used on
 * the membership loop's thread only.
 */
final class ShardView {

    /** An ownership key: whose it is and the revision it was created at. */
    record Owner(String runnerId, long createRevision) {
    }

    /** What changed for an ownership key this runner held (create revision {@code held}). */
    record Change(int shard, long createRevision, String what) {
    }

    private final ShardKeys keys;
    private final Set<String> members = new TreeSet<>();
    private final Map<Integer, Owner> owners = new HashMap<>();
    private long revision;

    ShardView(ShardKeys keys) {
        this.keys = keys;
    }

    /** Replaces everything with a read of the group's prefix at {@code revision}. */
    void reset(List<KeyValue> kvs, long revision) {
        members.clear();
        owners.clear();
        for (KeyValue kv : kvs) {
            put(kv);
        }
        this.revision = revision;
    }

    /** Applies a watched event. */
    void apply(WatchEvent e) {
        KeyValue kv = e.getKeyValue();
        if (e.getEventType() == WatchEvent.EventType.PUT) {
            put(kv);
        } else if (e.getEventType() == WatchEvent.EventType.DELETE) {
            String key = Etcd.text(kv.getKey());
            keys.memberOf(key).ifPresent(members::remove);
            OptionalInt shard = keys.shardOf(key);
            if (shard.isPresent() && !older(shard.getAsInt(), kv)) {
                owners.remove(shard.getAsInt());
            }
        }
        revision = Math.max(revision, kv.getModRevision());
    }

    private void put(KeyValue kv) {
        String key = Etcd.text(kv.getKey());
        keys.memberOf(key).ifPresent(members::add);
        OptionalInt shard = keys.shardOf(key);
        if (shard.isPresent() && !older(shard.getAsInt(), kv)) {
            owners.put(shard.getAsInt(), new Owner(Etcd.text(kv.getValue()), kv.getCreateRevision()));
        }
    }

    /**
     * Whether a watched change of an ownership key is older than the key this view knows: this runner
     * records the keys it creates before their own events arrive, so the previous owner's delete may
     * still be on its way.
     */
    private boolean older(int shard, KeyValue kv) {
        Owner known = owners.get(shard);
        return known != null && kv.getModRevision() < known.createRevision();
    }

    /** Records an ownership key this runner just created (before its watch event arrives). */
    void created(int shard, String runnerId, long createRevision) {
        owners.put(shard, new Owner(runnerId, createRevision));
    }

    /** The live members' ids. */
    Set<String> members() {
        return Collections.unmodifiableSet(members);
    }

    Owner owner(int shard) {
        return owners.get(shard);
    }

    /** The highest revision seen: a watch resumes after it. */
    long revision() {
        return revision;
    }

    /**
     * Which of the {@code held} keys (shard to create revision) are gone or replaced in this view: the
     * runner no longer owns those shards.
     */
    List<Change> lostFrom(Map<Integer, Long> held) {
        List<Change> lost = new java.util.ArrayList<>();
        for (Map.Entry<Integer, Long> h : held.entrySet()) {
            Owner o = owners.get(h.getKey());
            if (o == null) {
                lost.add(new Change(h.getKey(), h.getValue(), "its ownership key " + keys.owner(h.getKey())
                        + " was deleted by someone else"));
            } else if (o.createRevision() != h.getValue()) {
                lost.add(new Change(h.getKey(), h.getValue(), "its ownership key " + keys.owner(h.getKey())
                        + " was replaced (created again at revision " + o.createRevision() + ")"));
            }
        }
        return lost;
    }
}
