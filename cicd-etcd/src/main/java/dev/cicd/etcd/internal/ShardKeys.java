package dev.cicd.etcd.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cicd.core.CicdException;
import dev.cicd.etcd.ShardSnapshot;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The keys of a runner group's shards and what they hold:
 * <pre>
 *   &lt;root&gt;/&lt;group&gt;/config             {"shards":64}, written once by the first runner
 *   &lt;root&gt;/&lt;group&gt;/members/&lt;runnerId&gt;  {"id":..,"host":..,"pid":..,"started":..}, on the runner's lease
 *   &lt;root&gt;/&lt;group&gt;/owners/&lt;shard&gt;      the owner's runner id, on the owner's lease
 * </pre>
 * Also: the config check at start and the read-only snapshot.
 */
public final class ShardKeys {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String group;
    private final String base;

    public ShardKeys(String root, String group) {
        this.group = group;
        this.base = root + "/" + group + "/";
    }

    public String group() {
        return group;
    }

    /** The group's prefix, ending with '/': everything below is the group's. */
    public String prefix() {
        return base;
    }

    public String config() {
        return base + "config";
    }

    public String membersPrefix() {
        return base + "members/";
    }

    public String ownersPrefix() {
        return base + "owners/";
    }

    public String member(String runnerId) {
        return membersPrefix() + runnerId;
    }

    public String owner(int shard) {
        return ownersPrefix() + shard;
    }

    /** The member id of a key below {@link #membersPrefix}, if it is one. */
    public Optional<String> memberOf(String key) {
        return key.startsWith(membersPrefix()) && key.length() > membersPrefix().length()
                ? Optional.of(key.substring(membersPrefix().length())) : Optional.empty();
    }

    /** The shard of a key below {@link #ownersPrefix}, if it is one. */
    public OptionalInt shardOf(String key) {
        if (!key.startsWith(ownersPrefix())) {
            return OptionalInt.empty();
        }
        try {
            return OptionalInt.of(Integer.parseInt(key.substring(ownersPrefix().length())));
        } catch (NumberFormatException e) {
            return OptionalInt.empty();
        }
    }

    /**
     * Makes sure the group's shard count is {@code shards}: writes the config key when it is absent (a
     * transaction that creates it only then) and otherwise compares.
     *
     * @throws CicdException {@link CicdException.Code#CONFIG} when the group was created with another
     *                       count (naming both and the key); {@code SOURCE} when etcd fails
     */
    public void checkConfig(Client client, int shards, Duration timeout) {
        ByteSequence key = Etcd.bytes(config());
        TxnResponse r = Etcd.await(client.getKVClient().txn()
                .If(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.createRevision(0)))
                .Then(Op.put(key, Etcd.bytes("{\"shards\":" + shards + "}"), PutOption.DEFAULT))
                .Else(Op.get(key, GetOption.DEFAULT))
                .commit(), timeout, () -> "group " + group + ": checking the shard count at " + config());
        if (r.isSucceeded()) {
            return;
        }
        List<KeyValue> kvs = r.getGetResponses().isEmpty() ? List.of() : r.getGetResponses().get(0).getKvs();
        String stored = kvs.isEmpty() ? "" : Etcd.text(kvs.get(0).getValue());
        int storedShards = parseShards(stored);
        if (storedShards != shards) {
            throw new CicdException(CicdException.Code.CONFIG, "runner.shards is " + shards + " but group " + group
                    + " was created with " + (storedShards > 0 ? String.valueOf(storedShards) : "'" + stored + "'")
                    + " shards (stored at " + config() + "); the shard count is fixed for the group's life: configure "
                    + (storedShards > 0 ? storedShards : "the stored count") + " or use another group");
        }
    }

    /** The shard count of a config value; 0 when it is not one. */
    static int parseShards(String value) {
        try {
            JsonNode n = JSON.readTree(value);
            return n != null && n.path("shards").canConvertToInt() ? n.path("shards").asInt() : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    /** The value of this runner's membership key. */
    public static String memberValue(String runnerId, String host, long pid, Instant started) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", runnerId);
        m.put("host", host);
        m.put("pid", pid);
        m.put("started", started.toString());
        try {
            return JSON.writeValueAsString(m);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write a member value", e);
        }
    }

    /** A membership key's value read back; unreadable fields become empty. */
    static ShardSnapshot.Member parseMember(String id, String value) {
        try {
            JsonNode n = JSON.readTree(value);
            Optional<Instant> started = Optional.empty();
            if (n.hasNonNull("started")) {
                try {
                    started = Optional.of(Instant.parse(n.get("started").asText()));
                } catch (DateTimeParseException ignored) {
                    // keep empty
                }
            }
            return new ShardSnapshot.Member(id, n.path("host").asText(""), n.path("pid").asLong(0), started);
        } catch (IOException | RuntimeException e) {
            return new ShardSnapshot.Member(id, "", 0, Optional.empty());
        }
    }

    /** Reads the group's config, members and owners at one revision. */
    public ShardSnapshot snapshot(Client client, Duration timeout) {
        ByteSequence prefix = Etcd.bytes(prefix());
        GetResponse r = Etcd.await(client.getKVClient().get(prefix, GetOption.builder().isPrefix(true).build()),
                timeout, () -> "group " + group + ": reading the shards below " + prefix());
        int shards = 0;
        List<ShardSnapshot.Member> members = new ArrayList<>();
        Map<Integer, ShardSnapshot.Owner> owners = new java.util.TreeMap<>();
        for (KeyValue kv : r.getKvs()) {
            String key = Etcd.text(kv.getKey());
            if (key.equals(config())) {
                shards = parseShards(Etcd.text(kv.getValue()));
            }
            memberOf(key).ifPresent(id -> members.add(parseMember(id, Etcd.text(kv.getValue()))));
            OptionalInt shard = shardOf(key);
            if (shard.isPresent()) {
                owners.put(shard.getAsInt(), new ShardSnapshot.Owner(shard.getAsInt(), Etcd.text(kv.getValue()),
                        kv.getCreateRevision()));
            }
        }
        return new ShardSnapshot(group, shards, members, owners, r.getHeader().getRevision());
    }
}
