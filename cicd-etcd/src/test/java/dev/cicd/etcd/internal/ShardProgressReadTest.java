package dev.cicd.etcd.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.cicd.etcd.ShardProgress;
import dev.cicd.testkit.EtcdFixture;
import dev.cicd.testkit.WithEtcd;
import java.time.Duration;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@WithEtcd
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ShardProgressReadTest {

    EtcdFixture etcd;

    @Test
    void marksBeyondOnePageAreReadInPagesAtTheSameRevision() throws Exception {
        StateKeys keys = new StateKeys("/it/paged-" + System.nanoTime(), "/unused");
        for (int shard = 0; shard < 3; shard++) {
            for (long rev = 1; rev <= 5; rev++) {
                etcd.client().getKVClient().put(Etcd.bytes(keys.shardRecorded("w", shard, rev)), Etcd.bytes(""))
                        .get(10, TimeUnit.SECONDS);
            }
        }
        ShardProgress paged = ShardProgressRead.read(etcd.client(), keys.statePrefix(), "w", 3, Duration.ofSeconds(5), 2);
        assertEquals(Map.of(0, 5L, 1, 5L, 2, 5L), paged.marks());
        ShardProgress whole = ShardProgressRead.read(etcd.client(), keys.statePrefix(), "w", 3, Duration.ofSeconds(5));
        assertEquals(paged.marks(), whole.marks());
    }

    @Test
    void aShardIsADecimalNumberBelowTheCount() {
        assertEquals(OptionalInt.of(0), ShardProgressRead.shardNamed("0", 4));
        assertEquals(OptionalInt.of(3), ShardProgressRead.shardNamed("3", 4));
        assertEquals(OptionalInt.empty(), ShardProgressRead.shardNamed("4", 4));
        assertEquals(OptionalInt.empty(), ShardProgressRead.shardNamed("-1", 4));
        assertEquals(OptionalInt.empty(), ShardProgressRead.shardNamed("", 4));
        assertEquals(OptionalInt.empty(), ShardProgressRead.shardNamed("x", 4));
        assertEquals(OptionalInt.empty(), ShardProgressRead.shardNamed("99999", 4096));
    }
}
