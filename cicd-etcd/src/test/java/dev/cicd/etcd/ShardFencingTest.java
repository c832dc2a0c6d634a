package dev.cicd.etcd;

import static dev.cicd.etcd.Recording.uniquePrefix;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cicd.etcd.internal.Etcd;
import dev.cicd.etcd.internal.Fence;
import dev.cicd.etcd.internal.ShardAssignment;
import dev.cicd.testkit.EtcdFixture;
import dev.cicd.testkit.WithEtcd;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.PutOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A shard's token fences its state writes: once the shard moved on or the lease is gone, they fail. */
@WithEtcd
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ShardFencingTest {

    static final Duration TTL = ShardMembershipTest.TTL;
    static final Duration WAIT = ShardMembershipTest.WAIT;
    static final int S = ShardMembershipTest.S;
    static final String GROUP = ShardMembershipTest.GROUP;

    EtcdFixture etcd;

    /** A state write of a shard as the pipeline would make it: applied only while the token holds. */
    static boolean fencedWrite(Client client, Fence.Token token, String key, String value) throws Exception {
        return client.getKVClient().txn()
                .If(new Cmp(token.key(), Cmp.Op.EQUAL, CmpTarget.createRevision(token.createRevision())))
                .Then(Op.put(Etcd.bytes(key), Etcd.bytes(value), PutOption.DEFAULT))
                .commit().get(5, TimeUnit.SECONDS).isSucceeded();
    }

    static String read(Client client, String key) throws Exception {
        List<KeyValue> kvs = client.getKVClient().get(Etcd.bytes(key)).get(5, TimeUnit.SECONDS).getKvs();
        return kvs.isEmpty() ? null : Etcd.text(kvs.get(0).getValue());
    }

    @Test
    void aDeposedOwnersFencedWriteIsNotApplied() throws Exception {
        String root = uniquePrefix("shards");
        String state = root + "/state";
        List<ShardRunner> runners = new ArrayList<>();
        try (ShardWatcher w = new ShardWatcher(etcd.client(), root, GROUP, S, TTL)) {
            ShardRunner first = new ShardRunner(etcd.newClient(), root, GROUP, "runner-1", TTL, S).start();
            runners.add(first);
            assertTrue(Recording.await(WAIT, () -> ShardMembershipTest.settled(w, runners)));
            int shard = firstShardOf("runner-2", List.of("runner-1", "runner-2"));
            Fence.Token old = first.membership.token(shard).orElseThrow();
            assertTrue(fencedWrite(etcd.client(), old, state, "by runner-1 while owner"));

            runners.add(new ShardRunner(etcd.newClient(), root, GROUP, "runner-2", TTL, S).start());
            assertTrue(Recording.await(WAIT, () -> ShardMembershipTest.settled(w, runners)));
            assertTrue(first.membership.token(shard).isEmpty());
            Fence.Token now = runners.get(1).membership.token(shard).orElseThrow();
            assertTrue(now.createRevision() > old.createRevision());

            assertFalse(fencedWrite(etcd.client(), old, state, "by runner-1 after the handover"));
            assertEquals("by runner-1 while owner", read(etcd.client(), state));
            assertTrue(fencedWrite(etcd.client(), now, state, "by runner-2"));
            assertEquals("by runner-2", read(etcd.client(), state));
        } finally {
            runners.forEach(ShardRunner::close);
        }
    }

    @Test
    void aLostLeaseInvalidatesEveryTokenAtOnceAndTheRunnerJoinsAgain() throws Exception {
        String root = uniquePrefix("shards");
        String state = root + "/state";
        List<ShardRunner> runners = new ArrayList<>();
        try (ShardWatcher w = new ShardWatcher(etcd.client(), root, GROUP, S, TTL)) {
            ShardRunner only = new ShardRunner(etcd.newClient(), root, GROUP, "runner-1", TTL, S).start();
            runners.add(only);
            assertTrue(Recording.await(WAIT, () -> ShardMembershipTest.settled(w, runners)));
            Fence.Token old = only.membership.token(7).orElseThrow();
            long lease = etcd.client().getKVClient().get(old.key()).get(5, TimeUnit.SECONDS).getKvs().get(0).getLease();

            etcd.client().getLeaseClient().revoke(lease).get(5, TimeUnit.SECONDS); // as if it expired
            assertTrue(Recording.await(WAIT, () -> only.calls().stream().anyMatch(c -> c.startsWith("lost 64"))),
                    only.calls().toString());
            assertFalse(fencedWrite(etcd.client(), old, state, "with the token of the lost lease"));
            assertEquals(null, read(etcd.client(), state));

            assertTrue(Recording.await(WAIT, () -> ShardMembershipTest.settled(w, runners)), "joined again");
            Fence.Token renewed = only.membership.token(7).orElseThrow();
            assertTrue(renewed.createRevision() > old.createRevision());
            assertTrue(fencedWrite(etcd.client(), renewed, state, "with the new token"));
            List<String> calls = only.calls();
            int lost = calls.indexOf(calls.stream().filter(c -> c.startsWith("lost")).findFirst().orElseThrow());
            assertEquals(S, calls.subList(lost + 1, calls.size()).stream().filter(c -> c.startsWith("assigned")).count(),
                    "assigned all shards again after the loss: " + calls);
        } finally {
            runners.forEach(ShardRunner::close);
        }
    }

    @Test
    void aListenerThatThrowsDoesNotStopTheMembership() throws Exception {
        String root = uniquePrefix("shards");
        List<Integer> revoked = new ArrayList<>();
        ShardListener throwing = new ShardListener() {
            @Override
            public void assigned(int shard, Fence.Token token) {
                throw new IllegalStateException("listener bug on assigned " + shard);
            }

            @Override
            public CompletionStage<Void> revoking(int shard) {
                synchronized (revoked) {
                    revoked.add(shard);
                }
                throw new IllegalStateException("listener bug on revoking " + shard);
            }

            @Override
            public void lost(Set<Integer> shards, String reason) {
                throw new IllegalStateException("listener bug on lost");
            }
        };
        try (Client c1 = etcd.newClient(); Client c2 = etcd.newClient();
                ShardWatcher w = new ShardWatcher(etcd.client(), root, GROUP, S, TTL);
                ShardMembership one = ShardMembership.builder(c1).group(GROUP).keyRoot(root).runnerId("runner-1")
                        .ttl(TTL).listener(throwing).build().start()) {
            assertTrue(Recording.await(WAIT, () -> one.owned().size() == S), "owns all despite the listener");
            try (ShardMembership two = ShardMembership.builder(c2).group(GROUP).keyRoot(root).runnerId("runner-2")
                    .ttl(TTL).build().start()) {
                int theirs = (int) java.util.Arrays.stream(ShardAssignment.assign(List.of("runner-1", "runner-2"), S))
                        .filter("runner-2"::equals).count();
                assertTrue(Recording.await(WAIT, () -> two.owned().size() == theirs), "released despite the listener");
                assertEquals(S - theirs, one.owned().size());
                synchronized (revoked) {
                    assertEquals(theirs, revoked.size());
                }
            }
        }
    }

    private static int firstShardOf(String id, List<String> members) {
        // runner-1 owned every shard when the others joined
        String[] owners = ShardAssignment.assign(members, ShardAssignment.assign(List.of("runner-1"), S), S);
        for (int s = 0; s < S; s++) {
            if (owners[s].equals(id)) {
                return s;
            }
        }
        throw new AssertionError(id + " owns no shard");
    }
}
