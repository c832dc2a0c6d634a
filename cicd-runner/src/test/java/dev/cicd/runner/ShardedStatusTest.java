package dev.cicd.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cicd.etcd.ShardMembership;
import dev.cicd.etcd.ShardSnapshot;
import dev.cicd.testkit.EtcdBackend;
import dev.cicd.testkit.EtcdFixture;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code cicd status} of a sharded group against a real etcd: two shard memberships in-process own the
 * shards, the per-shard state keys are written by hand.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class ShardedStatusTest {

    static EtcdFixture etcd;
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @BeforeAll
    static void startEtcd() {
        etcd = EtcdFixture.builder().backend(EtcdBackend.LOCAL).build();
    }

    @AfterAll
    static void stopEtcd() {
        etcd.close();
    }

    Path config(String group) throws Exception {
        Path f = dir.resolve("cicd.yaml");
        Files.writeString(f, """
                etcd:
                  endpoints: [%s]
                runner:
                  group: %s
                  logDir: logs
                watches:
                  - name: deploy
                    prefix: /cicd/%s
                    keys: [/trigger]
                    template: deploy.peb
                    action:
                      shell:
                        command: [bash, -c, "true"]
                """.formatted(etcd.endpoints().get(0), group, group));
        Files.writeString(dir.resolve("deploy.peb"), "true\n");
        return f;
    }

    static long put(String key, String value) throws Exception {
        return etcd.client().getKVClient().put(ByteSequence.from(key, StandardCharsets.UTF_8),
                ByteSequence.from(value, StandardCharsets.UTF_8)).get(10, TimeUnit.SECONDS).getHeader().getRevision();
    }

    static ShardMembership member(Client client, String group, String id) {
        return ShardMembership.builder(client).group(group).runnerId(id).shards(4).ttl(Duration.ofSeconds(2))
                .requestTimeout(Duration.ofSeconds(2)).closeTimeout(Duration.ofSeconds(10)).build().start();
    }

    static void awaitOwners(String group, Map<String, Integer> perMember) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        ShardSnapshot s;
        do {
            s = ShardMembership.snapshot(etcd.client(), group);
            if (s.owners().size() == 4 && s.shardsPerMember().equals(perMember)) {
                return;
            }
            Thread.sleep(50);
        } while (System.nanoTime() < deadline);
        throw new AssertionError("shards not settled: " + s);
    }

    @Test
    void aShardedGroupShowsItsMembersAndEachWatchsShardCheckpointsLagAndOwners() throws Exception {
        String group = "sharded";
        Path cfg = config(group);
        String dirKey = "/cicd/.state/" + group + "/shards/deploy/";
        long r0 = put("/cicd/" + group + "/trigger", "{\"imageTag\":\"v1\"}");
        put(dirKey + "origin", Long.toString(r0));
        long r1 = put("/cicd/" + group + "/trigger", "{\"imageTag\":\"v2\"}");
        long r2 = put("/cicd/" + group + "/trigger", "{\"imageTag\":\"v3\"}");
        put(dirKey + "checkpoint/0", Long.toString(r2));
        put(dirKey + "checkpoint/1", Long.toString(r1));
        put(dirKey + "recorded/1/" + "0".repeat(20 - Long.toString(r2).length()) + r2, "");

        try (Client ca = etcd.newClient(); Client cb = etcd.newClient();
             ShardMembership a = member(ca, group, "runner-a"); ShardMembership b = member(cb, group, "runner-b")) {
            awaitOwners(group, Map.of("runner-a", 2, "runner-b", 2));

            CliTestSupport.Run text = CliTestSupport.run("status", "-c", cfg.toString());
            assertEquals(0, text.exitCode(), text.toString());
            String out = text.out();
            assertTrue(out.contains("sharded: 4 shards, 2 live members\n"), out);
            assertTrue(Pattern.compile("(?m)^runner-a\\s+2\\s+\\S+\\s+" + ProcessHandle.current().pid() + " ").matcher(out).find(), out);
            assertTrue(Pattern.compile("(?m)^runner-b\\s+2\\s").matcher(out).find(), out);
            // the watch's row: the lowest shard checkpoint (shards 2 and 3 are at the origin) and the highest lag
            assertTrue(Pattern.compile("(?m)^deploy\\s+/cicd/sharded/trigger\\s+" + r0 + "\\s+-\\s+" + (r2 - r0) + "$")
                    .matcher(out).find(), out);
            assertTrue(out.contains("  4 shards: checkpoint min " + r0 + " max " + r2 + ", max lag " + (r2 - r0)
                    + ", marks 1, unowned none\n"), out);
            assertFalse(out.contains("SHARD "), "per-shard lines only with --shards:\n" + out);

            CliTestSupport.Run detailed = CliTestSupport.run("status", "--shards", "-c", cfg.toString());
            assertEquals(0, detailed.exitCode(), detailed.toString());
            assertTrue(Pattern.compile("(?m)^\\s+0 runner-[ab]\\s+" + r2 + "\\s+0\\s+0$").matcher(detailed.out()).find(), detailed.out());
            assertTrue(Pattern.compile("(?m)^\\s+1 runner-[ab]\\s+" + r1 + "\\s+1\\s+" + (r2 - r1) + "$").matcher(detailed.out()).find(),
                    detailed.out());
            assertTrue(Pattern.compile("(?m)^\\s+3 runner-[ab]\\s+" + r0 + "\\s+0\\s+" + (r2 - r0) + "$").matcher(detailed.out()).find(),
                    detailed.out());

            CliTestSupport.Run json = CliTestSupport.run("status", "-o", "json", "-c", cfg.toString());
            assertEquals(0, json.exitCode(), json.toString());
            JsonNode doc = JSON.readTree(json.out());
            assertEquals(4, doc.path("sharding").path("shards").asInt(), json.out());
            JsonNode members = doc.path("sharding").path("members");
            assertEquals(2, members.size(), json.out());
            assertEquals("runner-a", members.get(0).path("id").asText());
            assertEquals(2, members.get(0).path("shards").asInt());
            assertTrue(members.get(0).path("live").asBoolean());
            JsonNode w = doc.path("watches").get(0);
            assertEquals(r0, w.path("checkpoint").asLong());
            assertEquals(r2 - r0, w.path("lag").asLong());
            JsonNode sh = w.path("sharding");
            assertEquals(r0, sh.path("origin").asLong());
            assertEquals(r0, sh.path("minCheckpoint").asLong());
            assertEquals(r2, sh.path("maxCheckpoint").asLong());
            assertEquals(0, sh.path("unowned").size());
            assertEquals(4, sh.path("shards").size());
            JsonNode s1 = sh.path("shards").get(1);
            assertEquals(1, s1.path("shard").asInt());
            assertEquals(r1, s1.path("checkpoint").asLong());
            assertEquals(1, s1.path("marks").asLong());
            assertEquals(r2 - r1, s1.path("lag").asLong());
            assertTrue(s1.path("owner").asText().matches("runner-[ab]"), s1.toString());
        }

        // both runners left: no member, every shard without an owner
        CliTestSupport.Run after = CliTestSupport.run("status", "-c", cfg.toString());
        assertEquals(0, after.exitCode(), after.toString());
        assertTrue(after.out().contains("sharded: 4 shards, 0 live members\n"), after.out());
        assertTrue(after.out().contains(", unowned 4 (0,1,2,3)\n"), after.out());
        JsonNode doc = JSON.readTree(CliTestSupport.run("status", "-o", "json", "-c", cfg.toString()).out());
        assertEquals(4, doc.path("watches").get(0).path("sharding").path("unowned").size());
        assertTrue(doc.path("watches").get(0).path("sharding").path("shards").get(0).path("owner").isNull());
    }

    @Test
    void anUnshardedGroupShowsNoShards() throws Exception {
        Path cfg = config("plain");
        put("/cicd/plain/trigger", "{\"imageTag\":\"v1\"}");
        CliTestSupport.Run text = CliTestSupport.run("status", "--shards", "-c", cfg.toString());
        assertEquals(0, text.exitCode(), text.toString());
        assertEquals(3, text.out().lines().count(), text.out());
        assertFalse(text.out().contains("shard"), text.out());
        JsonNode doc = JSON.readTree(CliTestSupport.run("status", "-o", "json", "-c", cfg.toString()).out());
        assertFalse(doc.has("sharding"), doc.toString());
        assertFalse(doc.path("watches").get(0).has("sharding"), doc.toString());
    }
}
