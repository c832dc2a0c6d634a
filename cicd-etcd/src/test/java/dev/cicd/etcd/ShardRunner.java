package dev.cicd.etcd;

import dev.cicd.etcd.internal.Fence;
import io.etcd.jetcd.Client;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

/** One runner of a shard test: its own client, a membership, and a listener recording what it was told. */
final class ShardRunner implements AutoCloseable {

    final String id;
    final Client client;
    final ShardMembership membership;
    final List<String> calls = new ArrayList<>();
    final Map<Integer, Fence.Token> tokens = new ConcurrentHashMap<>();
    /** When set, {@code revoking} returns this (shared by all shards) instead of a completed stage. */
    volatile CompletableFuture<Void> revokeGate;
    volatile String listenerThread;
    volatile boolean listenerThreadChanged;

    ShardRunner(Client client, String root, String group, String id, Duration ttl, int shards) {
        this.id = id;
        this.client = client;
        this.membership = ShardMembership.builder(client).group(group).keyRoot(root).runnerId(id).ttl(ttl)
                .shards(shards).requestTimeout(Duration.ofSeconds(2)).closeTimeout(Duration.ofSeconds(10))
                .listener(new ShardListener() {
                    @Override
                    public void assigned(int shard, Fence.Token token) {
                        note("assigned " + shard);
                        tokens.put(shard, token);
                    }

                    @Override
                    public CompletionStage<Void> revoking(int shard) {
                        note("revoking " + shard);
                        CompletableFuture<Void> gate = revokeGate;
                        return gate == null ? CompletableFuture.completedFuture(null) : gate;
                    }

                    @Override
                    public void lost(Set<Integer> shards, String reason) {
                        note("lost " + shards.size() + ": " + reason);
                        shards.forEach(tokens::remove);
                    }
                }).build();
    }

    private void note(String call) {
        String t = Thread.currentThread().getName();
        synchronized (calls) {
            if (listenerThread == null) {
                listenerThread = t;
            } else if (!listenerThread.equals(t)) {
                listenerThreadChanged = true;
            }
            calls.add(call);
        }
    }

    List<String> calls() {
        synchronized (calls) {
            return List.copyOf(calls);
        }
    }

    ShardRunner start() {
        membership.start();
        return this;
    }

    /** Stops this runner as a SIGKILL would: its client goes away, nothing is released, the lease expires. */
    void kill() {
        client.close();
    }

    @Override
    public void close() {
        membership.close();
        client.close();
    }
}
