package dev.cicd.runner.internal.cli;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cicd.etcd.ShardProgress;
import dev.cicd.etcd.ShardSnapshot;
import io.etcd.jetcd.Client;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.stream.Collectors;

/**
 * What {@code cicd status} shows of a sharded group: its members and how many shards each owns, and per
 * watch each shard's owner, checkpoint, marks and lag (the newest mod revision among the watch's keys
 * minus the shard's checkpoint, 0 when not behind).
 */
final class ShardStatus {

    /** Unowned shards listed by number in the text summary; more are only counted. */
    static final int LISTED = 10;

    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    private ShardStatus() {
    }

    /** One watch's shards: their progress, owners (from the group's snapshot) and lag behind {@code newest}. */
    record Watch(ShardProgress progress, ShardSnapshot group, long newest) {

        static Watch read(Client client, String statePrefix, String watch, ShardSnapshot group, long newest) {
            return new Watch(ShardProgress.read(client, statePrefix, watch, group.shards(), Duration.ofSeconds(5)),
                    group, newest);
        }

        int shards() {
            return progress.shards();
        }

        Optional<String> owner(int shard) {
            return Optional.ofNullable(group.owners().get(shard)).map(ShardSnapshot.Owner::runnerId);
        }

        /** Revisions of the watch's keys above the shard's checkpoint (all of them without a checkpoint). */
        long lag(int shard) {
            OptionalLong cp = progress.checkpoint(shard);
            return cp.isPresent() ? Math.max(0, newest - cp.getAsLong()) : Math.max(0, newest);
        }

        /** The lowest shard checkpoint: every shard is at least there; empty when a shard has none. */
        OptionalLong minCheckpoint() {
            long min = Long.MAX_VALUE;
            for (int s = 0; s < shards(); s++) {
                OptionalLong cp = progress.checkpoint(s);
                if (cp.isEmpty()) {
                    return OptionalLong.empty();
                }
                min = Math.min(min, cp.getAsLong());
            }
            return OptionalLong.of(min);
        }

        /** The highest shard checkpoint; empty when no shard has one. */
        OptionalLong maxCheckpoint() {
            OptionalLong max = OptionalLong.empty();
            for (int s = 0; s < shards(); s++) {
                OptionalLong cp = progress.checkpoint(s);
                if (cp.isPresent() && (max.isEmpty() || cp.getAsLong() > max.getAsLong())) {
                    max = cp;
                }
            }
            return max;
        }

        long maxLag() {
            long max = 0;
            for (int s = 0; s < shards(); s++) {
                max = Math.max(max, lag(s));
            }
            return max;
        }

        long marks() {
            return progress.marks().values().stream().mapToLong(Long::longValue).sum();
        }

        List<Integer> unowned() {
            List<Integer> unowned = new ArrayList<>();
            for (int s = 0; s < shards(); s++) {
                if (!group.owners().containsKey(s)) {
                    unowned.add(s);
                }
            }
            return unowned;
        }

        /** {origin, minCheckpoint, maxCheckpoint, maxLag, marks, unowned, shards: [{shard, owner, checkpoint, marks, lag}]}. */
        ObjectNode json() {
            ObjectNode n = JSON.objectNode();
            put(n, "origin", progress.origin());
            put(n, "minCheckpoint", minCheckpoint());
            put(n, "maxCheckpoint", maxCheckpoint());
            n.put("maxLag", maxLag());
            n.put("marks", marks());
            unowned().forEach(n.putArray("unowned")::add);
            n.put("revision", progress.revision());
            var list = n.putArray("shards");
            for (int s = 0; s < shards(); s++) {
                ObjectNode e = list.addObject();
                e.put("shard", s);
                Optional<String> owner = owner(s);
                if (owner.isPresent()) {
                    e.put("owner", owner.get());
                } else {
                    e.putNull("owner");
                }
                put(e, "checkpoint", progress.checkpoint(s));
                e.put("marks", progress.marks(s));
                e.put("lag", lag(s));
            }
            return n;
        }

        /** The one-line summary under the watch's row. */
        void printSummary(PrintWriter out) {
            List<Integer> unowned = unowned();
            String unownedText = unowned.isEmpty() ? "none" : unowned.size() + " ("
                    + unowned.stream().limit(LISTED).map(String::valueOf).collect(Collectors.joining(","))
                    + (unowned.size() > LISTED ? ",..." : "") + ")";
            out.printf("  %d shards: checkpoint min %s max %s, max lag %d, marks %d, unowned %s%n", shards(),
                    text(minCheckpoint()), text(maxCheckpoint()), maxLag(), marks(), unownedText);
        }

        /** One line per shard ({@code --shards}). */
        void printShards(PrintWriter out) {
            out.printf("  %5s %-28s %10s %6s %6s%n", "SHARD", "OWNER", "CHECKPOINT", "MARKS", "LAG");
            for (int s = 0; s < shards(); s++) {
                out.printf("  %5d %-28s %10s %6d %6d%n", s, owner(s).orElse("-"), text(progress.checkpoint(s)),
                        progress.marks(s), lag(s));
            }
        }
    }

    /** The group's shard count and one line per live member with the shards it owns. */
    static void printGroup(PrintWriter out, ShardSnapshot group) {
        Map<String, Integer> owned = group.shardsPerMember();
        out.printf("sharded: %d shards, %d live members%n", group.shards(), group.members().size());
        out.printf("%-28s %6s %-24s %8s %s%n", "MEMBER", "SHARDS", "HOST", "PID", "STARTED");
        for (Map.Entry<String, Integer> e : owned.entrySet()) {
            Optional<ShardSnapshot.Member> m = member(group, e.getKey());
            out.printf("%-28s %6d %-24s %8s %s%n", e.getKey(), e.getValue(),
                    m.map(ShardSnapshot.Member::host).filter(h -> !h.isEmpty()).orElse("-"),
                    m.map(x -> x.pid() > 0 ? Long.toString(x.pid()) : "-").orElse("-"),
                    m.isEmpty() ? "(not a live member)" : m.get().started().map(Object::toString).orElse("-"));
        }
    }

    /** {shards, revision, members: [{id, host, pid, started, shards, live}]}. */
    static ObjectNode groupJson(ShardSnapshot group) {
        ObjectNode n = JSON.objectNode();
        n.put("shards", group.shards());
        n.put("revision", group.revision());
        var members = n.putArray("members");
        for (Map.Entry<String, Integer> e : group.shardsPerMember().entrySet()) {
            Optional<ShardSnapshot.Member> m = member(group, e.getKey());
            ObjectNode o = members.addObject();
            o.put("id", e.getKey());
            o.put("live", m.isPresent());
            o.put("host", m.map(ShardSnapshot.Member::host).orElse(""));
            o.put("pid", m.map(ShardSnapshot.Member::pid).orElse(0L));
            Optional<String> started = m.flatMap(ShardSnapshot.Member::started).map(Object::toString);
            if (started.isPresent()) {
                o.put("started", started.get());
            } else {
                o.putNull("started");
            }
            o.put("shards", e.getValue());
        }
        return n;
    }

    private static Optional<ShardSnapshot.Member> member(ShardSnapshot group, String id) {
        return group.members().stream().filter(m -> m.id().equals(id)).findFirst();
    }

    private static void put(ObjectNode n, String field, OptionalLong v) {
        if (v.isPresent()) {
            n.put(field, v.getAsLong());
        } else {
            n.putNull(field);
        }
    }

    static String text(OptionalLong v) {
        return v.isPresent() ? Long.toString(v.getAsLong()) : "-";
    }
}
