package dev.cicd.etcd;

import dev.cicd.etcd.internal.Etcd;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.GetOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Polls a group's owners and members from etcd every 20 ms for the whole test and checks, on every
 * poll: no shard stays owned by a runner whose membership key is gone for longer than {@code ttl + 2 s};
 * no shard stays unowned for longer than {@code ttl + 2 s}. Also counts owner changes per shard.
 */
final class ShardWatcher implements AutoCloseable {

    private final Client client;
    private final String prefix;
    private final int shards;
    private final long limitNanos;
    private final Thread thread;
    private final List<String> violations = new ArrayList<>();
    private final Map<Integer, String> owners = new HashMap<>();
    private final Set<String> members = new HashSet<>();
    private final Map<Integer, Long> orphanSince = new HashMap<>();
    private final Map<Integer, Long> unownedSince = new HashMap<>();
    private final Map<Integer, Integer> changes = new HashMap<>();
    private long longestUnownedNanos;
    private long longestOrphanNanos;
    private int polls;
    private volatile boolean stop;

    ShardWatcher(Client client, String root, String group, int shards, Duration ttl) {
        this.client = client;
        this.prefix = root + "/" + group + "/";
        this.shards = shards;
        this.limitNanos = ttl.plusSeconds(2).toNanos();
        this.thread = new Thread(this::run, "shard-watcher");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    private void run() {
        while (!stop) {
            try {
                GetResponse r = client.getKVClient().get(Etcd.bytes(prefix), GetOption.builder().isPrefix(true).build())
                        .get(2, TimeUnit.SECONDS);
                poll(r.getKvs(), System.nanoTime());
            } catch (Exception e) {
                if (stop) {
                    return;
                }
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private synchronized void poll(List<KeyValue> kvs, long now) {
        polls++;
        Map<Integer, String> nowOwners = new HashMap<>();
        Set<String> nowMembers = new HashSet<>();
        for (KeyValue kv : kvs) {
            String key = Etcd.text(kv.getKey());
            if (key.startsWith(prefix + "owners/")) {
                nowOwners.put(Integer.parseInt(key.substring((prefix + "owners/").length())), Etcd.text(kv.getValue()));
            } else if (key.startsWith(prefix + "members/")) {
                nowMembers.add(key.substring((prefix + "members/").length()));
            }
        }
        for (int s = 0; s < shards; s++) {
            String before = owners.get(s);
            String after = nowOwners.get(s);
            if (after != null && before != null && !after.equals(before) || after != null && before == null && polls > 1) {
                changes.merge(s, 1, Integer::sum);
            }
            if (after == null) {
                long since = unownedSince.computeIfAbsent(s, k -> now);
                longestUnownedNanos = Math.max(longestUnownedNanos, now - since);
                if (now - since > limitNanos && !members.isEmpty()) {
                    violations.add("shard " + s + " unowned for " + ms(now - since) + " ms");
                }
            } else {
                unownedSince.remove(s);
            }
            if (after != null && !nowMembers.contains(after)) {
                long since = orphanSince.computeIfAbsent(s, k -> now);
                longestOrphanNanos = Math.max(longestOrphanNanos, now - since);
                if (now - since > limitNanos) {
                    violations.add("shard " + s + " owned by " + after + " without a membership key for "
                            + ms(now - since) + " ms");
                }
            } else {
                orphanSince.remove(s);
            }
        }
        owners.clear();
        owners.putAll(nowOwners);
        members.clear();
        members.addAll(nowMembers);
    }

    private static long ms(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }

    /** Owner of each shard at the last poll (absent: unowned). */
    synchronized Map<Integer, String> owners() {
        return Map.copyOf(owners);
    }

    /** Forgets the counted owner changes and the longest gaps (a new phase of the test starts). */
    synchronized void resetCounts() {
        changes.clear();
        longestUnownedNanos = 0;
        longestOrphanNanos = 0;
    }

    /** How many shards changed owner (counting every change) since the last reset. */
    synchronized int ownerChanges() {
        return changes.values().stream().mapToInt(Integer::intValue).sum();
    }

    synchronized Duration longestUnowned() {
        return Duration.ofNanos(longestUnownedNanos);
    }

    synchronized Duration longestOrphan() {
        return Duration.ofNanos(longestOrphanNanos);
    }

    synchronized List<String> violations() {
        return List.copyOf(violations);
    }

    synchronized int polls() {
        return polls;
    }

    @Override
    public void close() throws InterruptedException {
        stop = true;
        thread.join(3000);
    }
}
