package dev.cicd.etcd;

import static dev.cicd.etcd.Recording.uniquePrefix;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cicd.core.CicdException;
import dev.cicd.etcd.internal.Etcd;
import dev.cicd.etcd.internal.StateKeys;
import dev.cicd.testkit.EtcdFixture;
import dev.cicd.testkit.WithEtcd;
import java.time.Duration;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A sharded watch's progress read back from keys written by hand to a real etcd. */
@WithEtcd
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ShardProgressTest {

    static final Duration TIMEOUT = Duration.ofSeconds(5);

    EtcdFixture etcd;

    long put(String key, String value) throws Exception {
        return etcd.client().getKVClient().put(Etcd.bytes(key), Etcd.bytes(value)).get(10, TimeUnit.SECONDS)
                .getHeader().getRevision();
    }

    @Test
    void readsOriginCheckpointsAndMarksPerShardAndAShardWithoutACheckpointStartsFromTheOrigin() throws Exception {
        String prefix = uniquePrefix("state");
        StateKeys keys = new StateKeys(prefix, "/unused");
        put(keys.shardOrigin("deploy"), "100");
        put(keys.shardCheckpoint("deploy", 0), "120");
        put(keys.shardCheckpoint("deploy", 2), " 135\n");
        put(keys.shardRecorded("deploy", 0, 125), "");
        put(keys.shardRecorded("deploy", 0, 127), "");
        put(keys.shardRecorded("deploy", 3, 140), "");
        // another watch whose name starts like this one's, and the unsharded layout: neither is counted
        put(keys.shardCheckpoint("deploy2", 1), "999");
        put(keys.shardRecorded("deploy2", 1, 999), "");
        long last = put(keys.checkpoint("deploy"), "50");

        ShardProgress p = ShardProgress.read(etcd.client(), prefix + "/", "deploy", 4, TIMEOUT);

        assertEquals("deploy", p.watch());
        assertEquals(4, p.shards());
        assertEquals(OptionalLong.of(100), p.origin());
        assertEquals(OptionalLong.of(120), p.checkpoint(0));
        assertEquals(OptionalLong.of(100), p.checkpoint(1), "no checkpoint key: the origin");
        assertEquals(OptionalLong.of(135), p.checkpoint(2));
        assertEquals(OptionalLong.of(100), p.checkpoint(3));
        assertEquals(Map.of(0, 120L, 2, 135L), p.checkpoints());
        assertEquals(2, p.marks(0));
        assertEquals(0, p.marks(1));
        assertEquals(1, p.marks(3));
        assertEquals(Map.of(0, 2L, 3, 1L), p.marks());
        assertTrue(p.revision() >= last, "read at " + p.revision() + ", after the last put at " + last);
        assertThrows(IllegalArgumentException.class, () -> p.checkpoint(4));
    }

    @Test
    void aWatchWithNoKeysHasNoOriginAndNoCheckpoints() {
        ShardProgress p = ShardProgress.read(etcd.client(), uniquePrefix("state"), "deploy", 64, TIMEOUT);
        assertEquals(OptionalLong.empty(), p.origin());
        assertEquals(OptionalLong.empty(), p.checkpoint(63));
        assertEquals(0, p.marks(63));
        assertTrue(p.revision() > 0);
    }

    @Test
    void aCheckpointOrOriginThatIsNotARevisionIsAnErrorNamingTheKey() throws Exception {
        String prefix = uniquePrefix("state");
        StateKeys keys = new StateKeys(prefix, "/unused");
        put(keys.shardOrigin("deploy"), "100");
        put(keys.shardCheckpoint("deploy", 1), "12x");
        CicdException e = assertThrows(CicdException.class,
                () -> ShardProgress.read(etcd.client(), prefix, "deploy", 4, TIMEOUT));
        assertEquals(CicdException.Code.SOURCE, e.code());
        assertEquals(keys.shardCheckpoint("deploy", 1) + " holds '12x', not a revision", e.getMessage());

        put(keys.shardCheckpoint("deploy", 1), "12");
        put(keys.shardOrigin("deploy"), "-1");
        CicdException o = assertThrows(CicdException.class,
                () -> ShardProgress.read(etcd.client(), prefix, "deploy", 4, TIMEOUT));
        assertEquals(keys.shardOrigin("deploy") + " holds '-1', not a revision", o.getMessage());
    }

    @Test
    void keysOutsideTheLayoutAreIgnored() throws Exception {
        String prefix = uniquePrefix("state");
        StateKeys keys = new StateKeys(prefix, "/unused");
        put(keys.shardCheckpointDir("deploy") + "x", "1");
        put(keys.shardCheckpoint("deploy", 9), "1");
        put(keys.shardRecordedDir("deploy", 1) + "notarevision", "");
        put(keys.shardRecordedRoot("deploy") + "1", "");
        put(keys.shardRecorded("deploy", 9, 5), "");
        put(keys.shardRecorded("deploy", 1, 5), "");
        ShardProgress p = ShardProgress.read(etcd.client(), prefix, "deploy", 4, TIMEOUT);
        assertEquals(Map.of(), p.checkpoints());
        assertEquals(Map.of(1, 1L), p.marks());
    }

    @Test
    void badArgumentsAreNamed() {
        IllegalArgumentException w = assertThrows(IllegalArgumentException.class,
                () -> ShardProgress.read(etcd.client(), "/s", "a/b", 4, TIMEOUT));
        assertEquals("watch must be non-blank and contain no '/', was 'a/b'", w.getMessage());
        IllegalArgumentException s = assertThrows(IllegalArgumentException.class,
                () -> ShardProgress.read(etcd.client(), "/s", "deploy", 0, TIMEOUT));
        assertTrue(s.getMessage().startsWith("shards must be between 1 and "), s.getMessage());
        IllegalArgumentException p = assertThrows(IllegalArgumentException.class,
                () -> ShardProgress.read(etcd.client(), "state", "deploy", 4, TIMEOUT));
        assertEquals("state prefix must start with '/', was 'state'", p.getMessage());
    }
}
