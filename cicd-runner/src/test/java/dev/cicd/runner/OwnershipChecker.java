package dev.cicd.runner;

import io.etcd.jetcd.Watch;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Checks a {@link ShardGroup} from etcd for as long as it runs: reads the group's members and owners (one range
 * request, one revision) every 100 ms and records a violation when
 * <ul>
 *   <li>a shard is owned by a runner id the test never started;</li>
 *   <li>a shard is owned, or a membership key held, by a runner down (killed, stopped, exited) for longer than
 *       the lease TTL + 2 s;</li>
 *   <li>a shard is owned by a runner without a membership key for longer than TTL + 2 s (a leaving runner
 *       deletes its membership first and releases its shards after its in-flight events).</li>
 * </ul>
 * A watch on the owners also records every ownership taken (an owner key created) with its revision, so a test
 * can count the shards that moved between two revisions.
 */
final class OwnershipChecker implements AutoCloseable {

    /** An ownership taken: the owner key of {@code shard} created by {@code owner} at {@code revision}. */
    record Taken(int shard, String owner, long revision) {
    }

    private final ShardGroup group;
    private final Duration grace;
    private final List<String> violations = new ArrayList<>();
    private final List<Taken> taken = new ArrayList<>();
    private final Map<String, Long> ownerWithoutMembershipSince = new HashMap<>();
    private final AtomicLong samples = new AtomicLong();
    private final AtomicReference<ShardGroup.Snapshot> last = new AtomicReference<>();
    private final AtomicReference<Throwable> readError = new AtomicReference<>();
    private final Thread thread;
    private final Watch.Watcher watcher;
    private volatile boolean running = true;

    OwnershipChecker(ShardGroup group) {
        this.group = group;
        this.grace = group.ttl.plusSeconds(2);
        String owners = ShardGroup.SHARDS_ROOT + "/" + group.group + "/owners/";
        this.watcher = group.etcd.client().getWatchClient().watch(ShardGroup.bytes(owners),
                WatchOption.builder().isPrefix(true).build(), Watch.listener(r -> {
                    for (WatchEvent e : r.getEvents()) {
                        if (e.getEventType() == WatchEvent.EventType.PUT && e.getKeyValue().getVersion() == 1) {
                            String key = e.getKeyValue().getKey().toString(StandardCharsets.UTF_8);
                            synchronized (taken) {
                                taken.add(new Taken(Integer.parseInt(key.substring(owners.length())),
                                        e.getKeyValue().getValue().toString(StandardCharsets.UTF_8),
                                        e.getKeyValue().getModRevision()));
                            }
                        }
                    }
                }));
        this.thread = new Thread(this::loop, "shard-ownership-checker");
        thread.setDaemon(true);
        thread.start();
    }

    private void loop() {
        while (running) {
            try {
                check(group.snapshot());
            } catch (InterruptedException e) {
                return;
            } catch (Exception e) {
                readError.compareAndSet(null, e);
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void check(ShardGroup.Snapshot s) {
        last.set(s);
        samples.incrementAndGet();
        long now = s.atNanos();
        var known = group.ids();
        for (Map.Entry<Integer, String> o : s.owners().entrySet()) {
            String id = o.getValue();
            if (!known.contains(id)) {
                violation(s, "shard " + o.getKey() + " is owned by '" + id + "', not a runner of the test " + known);
                continue;
            }
            Optional<Duration> down = group.downFor(id, now);
            if (down.isPresent() && down.get().compareTo(grace) > 0) {
                violation(s, "shard " + o.getKey() + " is still owned by " + id + ", down for " + millis(down.get())
                        + " (TTL + 2 s = " + millis(grace) + ")");
            }
        }
        for (String id : s.members()) {
            Optional<Duration> down = group.downFor(id, now);
            if (down.isPresent() && down.get().compareTo(grace) > 0) {
                violation(s, "the membership key of " + id + " is still there, " + id + " down for " + millis(down.get()));
            }
        }
        for (String id : s.owners().values().stream().distinct().toList()) {
            if (s.members().contains(id)) {
                ownerWithoutMembershipSince.remove(id);
            } else {
                long since = ownerWithoutMembershipSince.computeIfAbsent(id, k -> now);
                if (Duration.ofNanos(now - since).compareTo(grace) > 0) {
                    violation(s, id + " owns shards without a membership key for " + millis(Duration.ofNanos(now - since)));
                }
            }
        }
        ownerWithoutMembershipSince.keySet().retainAll(s.owners().values());
    }

    private void violation(ShardGroup.Snapshot s, String what) {
        synchronized (violations) {
            if (violations.size() < 20) {
                violations.add("at etcd revision " + s.revision() + ": " + what + "; members " + s.members()
                        + ", owners by runner " + ownersByRunner(s));
            }
        }
    }

    static Map<String, Integer> ownersByRunner(ShardGroup.Snapshot s) {
        Map<String, Integer> n = new java.util.TreeMap<>();
        s.owners().values().forEach(id -> n.merge(id, 1, Integer::sum));
        return n;
    }

    private static String millis(Duration d) {
        return d.toMillis() + " ms";
    }

    List<String> violations() {
        synchronized (violations) {
            return List.copyOf(violations);
        }
    }

    /** Ownerships taken at a revision above {@code after}. */
    List<Taken> takenAfter(long after) {
        synchronized (taken) {
            return taken.stream().filter(t -> t.revision() > after).toList();
        }
    }

    long samples() {
        return samples.get();
    }

    /** Fails when a read failed or a violation was seen; names them all. */
    void assertNoViolation() {
        Throwable e = readError.get();
        List<String> v = violations();
        if (!v.isEmpty()) {
            throw new AssertionError(v.size() + " ownership violation(s) in " + samples() + " samples:\n  "
                    + String.join("\n  ", v));
        }
        if (samples() < 5) {
            throw new AssertionError("the checker read etcd only " + samples() + " times", e);
        }
    }

    ShardGroup.Snapshot last() {
        return last.get();
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.interrupt();
        thread.join(5000);
        watcher.close();
    }
}
