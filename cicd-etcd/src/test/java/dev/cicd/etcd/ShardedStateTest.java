package dev.cicd.etcd;

import static dev.cicd.etcd.Recording.uniquePrefix;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cicd.core.CicdException;
import dev.cicd.core.Outcome;
import dev.cicd.core.StateStore;
import dev.cicd.core.TriggerEvent;
import dev.cicd.etcd.internal.Etcd;
import dev.cicd.testkit.EtcdFixture;
import dev.cicd.testkit.WithEtcd;
import io.etcd.jetcd.Client;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A sharded group's state ({@link EtcdState#store(Set)}): positions per shard, the origin of shards without
 * one, what a pipeline owns, writes fenced by the shards they touch, checkpoints that never go back.
 */
@WithEtcd
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ShardedStateTest {

    static final Duration TTL = ShardMembershipTest.TTL;
    static final Duration WAIT = ShardMembershipTest.WAIT;
    static final int S = ShardMembershipTest.S;
    static final String GROUP = "g";

    EtcdFixture etcd;

    private static String targetOf(int shard) {
        for (int i = 0; ; i++) {
            if (ShardMembership.shardOf("app" + i, S) == shard) {
                return "app" + i;
            }
        }
    }

    private static StateStore.Entry applied(String watch, long revision, String target) {
        TriggerEvent e = TriggerEvent.put(watch, "/w/k", "{}", revision);
        Outcome o = new Outcome(e, Outcome.Kind.APPLIED, "ok", Optional.of("fp-" + revision), OptionalInt.of(0), "",
                Optional.empty(), Instant.now(), Instant.now(), Optional.empty());
        return new StateStore.Entry(o, List.of(target));
    }

    private static String read(Client client, String key) throws Exception {
        var kvs = client.getKVClient().get(Etcd.bytes(key)).get(5, TimeUnit.SECONDS).getKvs();
        return kvs.isEmpty() ? null : Etcd.text(kvs.get(0).getValue());
    }

    private EtcdState state(ShardRunner runner, String statePrefix, String statusPrefix) {
        return EtcdState.builder(etcd.client()).group(GROUP).runnerId(runner.membership.runnerId())
                .statePrefix(statePrefix).statusPrefix(statusPrefix).shards(runner.membership).build();
    }

    @Test
    void shardsResumeFromTheirOwnCheckpointAndTheOriginAndAPipelineOwnsOnlyItsShardsAbove() throws Exception {
        String root = uniquePrefix("sharded");
        ShardRunner only = new ShardRunner(etcd.newClient(), root, GROUP, "runner-1", TTL, S).start();
        try {
            assertTrue(Recording.await(WAIT, () -> only.membership.owned().size() == S));
            EtcdState state = state(only, root + "/state", root + "/status");
            long before = etcd.client().getKVClient().get(Etcd.bytes("/nothing")).get().getHeader().getRevision();
            StateStore all = state.store(Set.of(0, 1, 2, 3, 4, 5, 6, 7));
            StateStore.WatchState first = all.load("w");
            long origin = Long.parseLong(read(etcd.client(), root + "/state/shards/w/origin"));
            assertTrue(origin >= before, "origin is the revision at the first load: " + origin);
            assertEquals(OptionalLong.of(origin), first.checkpoint());

            // shard 1 records an event at origin + 10 with checkpoint origin + 10 (the other owned shards get that
            // checkpoint too, by the first batch's refresh); then shard 2 one above it (marked)
            all.commit(new StateStore.Batch(List.of(applied("w", origin + 10, targetOf(1))), Map.of("w", origin + 10)));
            all.commit(new StateStore.Batch(List.of(applied("w", origin + 20, targetOf(2))), Map.of()));
            assertEquals(Long.toString(origin + 10), read(etcd.client(), root + "/state/shards/w/checkpoint/1"));

            StateStore part = state.store(Set.of(1, 2));
            StateStore.WatchState st = part.load("w");
            assertEquals(Long.toString(origin + 10), read(etcd.client(), root + "/state/shards/w/checkpoint/2"));
            assertNull(read(etcd.client(), root + "/state/shards/w/checkpoint/9"), "not a shard of that pipeline");
            assertEquals(OptionalLong.of(origin + 10), st.checkpoint(), "the lowest of the owned shards");
            assertEquals(Set.of(origin + 20), st.recordedAbove());
            assertFalse(part.owns("w", List.of(targetOf(1)), origin + 10), "shard 1's recorded event");
            assertTrue(part.owns("w", List.of(targetOf(1)), origin + 11));
            StateStore.WatchState nine = state.store(Set.of(9, 1)).load("w");
            assertEquals(OptionalLong.of(origin), nine.checkpoint(), "shard 9 has no checkpoint: the origin");
            assertFalse(part.owns("w", List.of(targetOf(3)), origin + 30), "shard 3 is not this pipeline's");

            // a checkpoint below shard 1's own (a pipeline resumed lower, for shard 9) never moves it back
            StateStore low = state.store(Set.of(9, 1));
            low.load("w");
            low.commit(new StateStore.Batch(List.of(applied("w", origin + 15, targetOf(1))), Map.of("w", origin + 5)));
            assertEquals(Long.toString(origin + 10), read(etcd.client(), root + "/state/shards/w/checkpoint/1"));
            assertEquals("", read(etcd.client(), root + "/state/shards/w/recorded/1/" + String.format("%020d", origin + 15)),
                    "recorded above its shard's checkpoint: marked");

            // a batch of checkpoints alone moves every owned shard
            part.commit(new StateStore.Batch(List.of(), Map.of("w", origin + 40)));
            assertEquals(Long.toString(origin + 40), read(etcd.client(), root + "/state/shards/w/checkpoint/1"));
            assertEquals(Long.toString(origin + 40), read(etcd.client(), root + "/state/shards/w/checkpoint/2"));
            assertEquals(Long.toString(origin + 10), read(etcd.client(), root + "/state/shards/w/checkpoint/3"),
                    "not this pipeline's shard: not moved");
            assertNull(read(etcd.client(), root + "/state/shards/w/recorded/2/" + String.format("%020d", origin + 20)),
                    "marks the checkpoint passed are removed");
        } finally {
            only.close();
        }
    }

    @Test
    void theLatestRecordOnlyMovesToANewerRevisionWhenRunnersRecordSideBySide() throws Exception {
        String root = uniquePrefix("sharded");
        ShardRunner only = new ShardRunner(etcd.newClient(), root, GROUP, "runner-1", TTL, S).start();
        try {
            assertTrue(Recording.await(WAIT, () -> only.membership.owned().size() == S));
            EtcdState state = state(only, root + "/state", root + "/status");
            StateStore one = state.store(Set.of(1));
            StateStore two = state.store(Set.of(2));
            one.load("w");
            two.load("w");
            one.commit(new StateStore.Batch(List.of(applied("w", 100, targetOf(1))), Map.of()));
            two.commit(new StateStore.Batch(List.of(applied("w", 90, targetOf(2))), Map.of()));
            assertEquals(100, StatusRecord.fromJson(read(etcd.client(), root + "/status/w/latest")).revision(),
                    "an older outcome recorded later does not replace the latest");
            two.commit(new StateStore.Batch(List.of(applied("w", 110, targetOf(2))), Map.of()));
            assertEquals(110, StatusRecord.fromJson(read(etcd.client(), root + "/status/w/latest")).revision());
        } finally {
            only.close();
        }
    }

    @Test
    void aValuePutOnceARunnerIsUpIsAboveTheOriginHoweverLateItsPipelineLoads() throws Exception {
        String root = uniquePrefix("sharded");
        ShardRunner only = new ShardRunner(etcd.newClient(), root, GROUP, "runner-1", TTL, S).start();
        try {
            EtcdState state = state(only, root + "/state", root + "/status");
            state.prepareShards(List.of("w")); // as the runner does before it joins the group
            long put = etcd.client().getKVClient().put(Etcd.bytes(root + "/w/k"), Etcd.bytes("v")).get(5, TimeUnit.SECONDS)
                    .getHeader().getRevision();
            assertTrue(Recording.await(WAIT, () -> only.membership.owned().size() == S));
            StateStore late = state.store(Set.of(1));
            assertTrue(late.load("w").checkpoint().getAsLong() < put, "the pipeline resumes below the put");
            assertTrue(late.owns("w", List.of(targetOf(1)), put), "so the value put before it loaded is carried out");
        } finally {
            only.close();
        }
    }

    @Test
    void aGroupSwitchedToShardsStartsItsShardsWhereItsLeaderStopped() throws Exception {
        String root = uniquePrefix("sharded");
        etcd.client().getKVClient().put(Etcd.bytes(root + "/state/checkpoint/w"), Etcd.bytes("7")).get();
        etcd.client().getKVClient().put(Etcd.bytes(root + "/state/recorded/w/" + String.format("%020d", 9)),
                Etcd.bytes("")).get();
        ShardRunner only = new ShardRunner(etcd.newClient(), root, GROUP, "runner-1", TTL, S).start();
        try {
            assertTrue(Recording.await(WAIT, () -> only.membership.owned().size() == S));
            StateStore.WatchState st = state(only, root + "/state", root + "/status").store(Set.of(0, 3)).load("w");
            assertEquals(OptionalLong.of(7), st.checkpoint());
            assertEquals(Set.of(9L), st.recordedAbove(), "what the leader recorded above its checkpoint is not run again");
            assertEquals("7", read(etcd.client(), root + "/state/shards/w/origin"));
        } finally {
            only.close();
        }
    }

    @Test
    void aDeposedOwnersCommitIsRefusedAndWritesNothing() throws Exception {
        String root = uniquePrefix("sharded");
        List<ShardRunner> runners = new ArrayList<>();
        try (ShardWatcher w = new ShardWatcher(etcd.client(), root, GROUP, S, TTL)) {
            ShardRunner first = new ShardRunner(etcd.newClient(), root, GROUP, "runner-1", TTL, S).start();
            runners.add(first);
            assertTrue(Recording.await(WAIT, () -> first.membership.owned().size() == S));
            StateStore old = state(first, root + "/state", root + "/status").store(first.membership.owned());
            old.load("w");

            runners.add(new ShardRunner(etcd.newClient(), root, GROUP, "runner-2", TTL, S).start());
            assertTrue(Recording.await(WAIT, () -> ShardMembershipTest.settled(w, runners)));
            int moved = runners.get(1).membership.owned().iterator().next();
            CicdException e = assertThrows(CicdException.class, () -> old.commit(new StateStore.Batch(
                    List.of(applied("w", 1000, targetOf(moved))), Map.of("w", 1000L))));
            assertEquals(CicdException.Code.FENCED, e.code());
            assertTrue(e.getMessage().contains("does not own shard(s) [" + moved + "]"), e.getMessage());
            assertNull(read(etcd.client(), root + "/status/w/1000"), "nothing of the refused batch was written");
            assertNull(read(etcd.client(), root + "/state/applied/" + targetOf(moved)));
        } finally {
            runners.forEach(ShardRunner::close);
        }
    }
}
