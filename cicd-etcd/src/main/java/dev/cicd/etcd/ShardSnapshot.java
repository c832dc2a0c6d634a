package dev.cicd.etcd;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What etcd says about a runner group's shards at one revision, for the {@code status} command: read by
 * {@link ShardMembership#snapshot}.
 *
 * @param group    the runner group
 * @param shards   the group's shard count as stored in its config key; 0 when no runner ever started
 * @param members  the live members (membership keys present), by id
 * @param owners   the owner of each owned shard, by shard (shards without an ownership key are absent)
 * @param revision the etcd revision the snapshot was read at
 */
public record ShardSnapshot(String group, int shards, List<Member> members, Map<Integer, Owner> owners, long revision) {

    public ShardSnapshot {
        Objects.requireNonNull(group, "group");
        members = List.copyOf(members);
        owners = java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(owners));
    }

    /** A live member: runner id, host and process id it runs as, and when it started (empty if unknown). */
    public record Member(String id, String host, long pid, Optional<Instant> started) {
        public Member {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(host, "host");
            Objects.requireNonNull(started, "started");
        }
    }

    /**
     * The holder of a shard's ownership key and the key's create revision (the shard's fencing token
     * while it is held).
     */
    public record Owner(int shard, String runnerId, long createRevision) {
        public Owner {
            Objects.requireNonNull(runnerId, "runnerId");
        }
    }

    /** How many shards each live member owns now (members owning none included, with 0). */
    public Map<String, Integer> shardsPerMember() {
        Map<String, Integer> counts = new java.util.TreeMap<>();
        for (Member m : members) {
            counts.put(m.id(), 0);
        }
        for (Owner o : owners.values()) {
            counts.merge(o.runnerId(), 1, Integer::sum);
        }
        return counts;
    }
}
