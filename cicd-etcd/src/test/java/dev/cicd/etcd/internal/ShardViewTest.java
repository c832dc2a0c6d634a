package dev.cicd.etcd.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.watch.WatchEvent;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ShardViewTest {

    private final ShardKeys keys = new ShardKeys("/cicd/.shards", "g");

    private static KeyValue kv(String key, String value, long create, long mod) {
        return new KeyValue(io.etcd.jetcd.api.KeyValue.newBuilder()
                .setKey(ByteString.copyFrom(key, StandardCharsets.UTF_8))
                .setValue(ByteString.copyFrom(value, StandardCharsets.UTF_8))
                .setCreateRevision(create).setModRevision(mod).build(), ByteSequence.EMPTY);
    }

    private static WatchEvent put(KeyValue kv) {
        return new WatchEvent(kv, null, WatchEvent.EventType.PUT);
    }

    private static WatchEvent delete(String key, long mod) {
        return new WatchEvent(kv(key, "", 0, mod), null, WatchEvent.EventType.DELETE);
    }

    @Test
    void readsMembersAndOwnersAndIgnoresOtherKeys() {
        ShardView v = new ShardView(keys);
        v.reset(List.of(kv("/cicd/.shards/g/config", "{\"shards\":64}", 2, 2),
                kv("/cicd/.shards/g/members/r1", "{}", 3, 3), kv("/cicd/.shards/g/members/r2", "{}", 4, 4),
                kv("/cicd/.shards/g/owners/5", "r1", 6, 6), kv("/cicd/.shards/g/owners/x", "r1", 7, 7)), 7);
        assertEquals(Set.of("r1", "r2"), v.members());
        assertEquals(new ShardView.Owner("r1", 6), v.owner(5));
        assertEquals(7, v.revision());
        v.apply(delete("/cicd/.shards/g/members/r2", 8));
        v.apply(put(kv("/cicd/.shards/g/owners/6", "r1", 9, 9)));
        assertEquals(Set.of("r1"), v.members());
        assertEquals(new ShardView.Owner("r1", 9), v.owner(6));
        assertEquals(9, v.revision());
    }

    @Test
    void aLateDeleteOfThePreviousOwnersKeyDoesNotDropTheKeyThisRunnerJustCreated() {
        ShardView v = new ShardView(keys);
        v.reset(List.of(kv("/cicd/.shards/g/owners/3", "old", 10, 10)), 10);
        // the old owner deleted its key at 11; this runner created its own at 12 before the watch said so
        v.created(3, "me", 12);
        v.apply(delete("/cicd/.shards/g/owners/3", 11));
        assertEquals(new ShardView.Owner("me", 12), v.owner(3));
        assertTrue(v.lostFrom(Map.of(3, 12L)).isEmpty());
        // a delete after its creation is real: the key is gone
        v.apply(delete("/cicd/.shards/g/owners/3", 13));
        assertNull(v.owner(3));
        assertEquals(1, v.lostFrom(Map.of(3, 12L)).size());
    }

    @Test
    void aKeyCreatedAgainAtAnotherRevisionIsNotOursAnyMore() {
        ShardView v = new ShardView(keys);
        v.reset(List.of(kv("/cicd/.shards/g/owners/1", "me", 5, 5)), 5);
        v.apply(put(kv("/cicd/.shards/g/owners/1", "other", 9, 9)));
        List<ShardView.Change> lost = v.lostFrom(Map.of(1, 5L));
        assertEquals(1, lost.size());
        assertTrue(lost.get(0).what().contains("created again at revision 9"), lost.get(0).what());
    }
}
