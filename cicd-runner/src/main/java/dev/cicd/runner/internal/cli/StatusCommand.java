package dev.cicd.runner.internal.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cicd.etcd.EtcdState;
import dev.cicd.etcd.LeaderElection;
import dev.cicd.etcd.ShardMembership;
import dev.cicd.etcd.ShardSnapshot;
import dev.cicd.etcd.StatusRecord;
import dev.cicd.runner.RunnerConfig;
import dev.cicd.runner.WatchConfig;
import dev.cicd.runner.internal.wiring.Wiring;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.options.GetOption;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(mixinStandardHelpOptions = true, name = "status", description = {"Show, per watch: the group's leader, the checkpoint revision, the last "
        + "outcome, and the lag (revisions of the watched keys not processed yet). A sharded group also shows its "
        + "members with the shards each owns and, per watch, its shards' checkpoints, lag and owners."})
final class StatusCommand implements Callable<Integer> {

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    ConfigOption config;

    @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "text",
            description = "text or json: one JSON object {group, leader, etcd, watches: [{name, keys, checkpoint, "
                    + "lastOutcome, lag}]}, and for a sharded group also sharding: {shards, members} and each "
                    + "watch's sharding: {.., shards: [{shard, owner, checkpoint, marks, lag}]} (default: ${DEFAULT-VALUE}).")
    OutputFormat output;

    @Option(names = "--shards", description = "For a sharded group: one line per shard of each watch (owner, checkpoint, "
            + "marks, lag) instead of only a summary.")
    boolean perShard;

    private static final ObjectMapper JSON = new ObjectMapper();

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        RunnerConfig c = config.load(spec.commandLine());
        try (Client client = Wiring.etcd(c.etcd(), Duration.ofSeconds(5))) {
            LeaderElection election = LeaderElection.builder(client).group(c.runner().group()).build();
            Optional<String> leader = election.leader();
            EtcdState state = EtcdState.builder(client).group(c.runner().group())
                    .statePrefix(Wiring.statePrefix(c)).statusPrefix(c.runner().statusPrefix()).build();
            boolean asJson = output == OutputFormat.JSON;
            ShardSnapshot shards = ShardMembership.snapshot(client, c.runner().group());
            boolean sharded = shards.shards() > 0;
            ObjectNode doc = JSON.createObjectNode();
            doc.put("group", c.runner().group());
            if (leader.isPresent()) {
                doc.put("leader", leader.get());
            } else {
                doc.putNull("leader");
            }
            c.etcd().endpoints().forEach(doc.putArray("etcd")::add);
            if (sharded) {
                doc.set("sharding", ShardStatus.groupJson(shards));
            }
            ArrayNode watches = doc.putArray("watches");
            if (!asJson) {
                out.printf("group %s, leader: %s, etcd %s%n", c.runner().group(), leader.orElse("none"), c.etcd().endpoints());
                if (sharded) {
                    ShardStatus.printGroup(out, shards);
                }
                out.printf("%-16s %-28s %10s %-44s %6s%n", "WATCH", "KEYS", "CHECKPOINT", "LAST OUTCOME", "LAG");
            }
            for (WatchConfig w : c.watches()) {
                Optional<StatusRecord> last = state.latest(w.name());
                long newest = newestRevision(client, w);
                // a sharded watch: the lowest shard checkpoint (every shard is there) and the highest shard lag
                ShardStatus.Watch sw = sharded ? ShardStatus.Watch.read(client, Wiring.statePrefix(c), w.name(), shards, newest) : null;
                OptionalLong cp = sharded ? sw.minCheckpoint() : state.store().load(w.name()).checkpoint();
                long lag = sharded ? sw.maxLag() : cp.isPresent() ? Math.max(0, newest - cp.getAsLong()) : newest > 0 ? newest : 0;
                if (asJson) {
                    ObjectNode n = watches.addObject();
                    n.put("name", w.name());
                    w.fullKeys().forEach(n.putArray("keys")::add);
                    if (cp.isPresent()) {
                        n.put("checkpoint", cp.getAsLong());
                    } else {
                        n.putNull("checkpoint");
                    }
                    n.set("lastOutcome", last.isPresent() ? JSON.readTree(last.get().toJson()) : JSON.nullNode());
                    n.put("lag", lag);
                    if (sharded) {
                        n.set("sharding", sw.json());
                    }
                    continue;
                }
                String lastText = last.map(s -> s.outcome().label() + " r" + s.revision() + " " + s.finished()
                        + (s.reason().isEmpty() ? "" : " (" + oneLine(s.reason()) + ")")).orElse("-");
                out.printf("%-16s %-28s %10s %-44s %6d%n", w.name(), String.join(",", w.fullKeys()),
                        cp.isPresent() ? Long.toString(cp.getAsLong()) : "-", lastText, lag);
                if (sharded) {
                    sw.printSummary(out);
                    if (perShard) {
                        sw.printShards(out);
                    }
                }
            }
            if (asJson) {
                out.println(doc);
            }
            out.flush();
            return 0;
        }
    }

    private static String oneLine(String s) {
        String t = s.replaceAll("\\s+", " ");
        return t.length() > 80 ? t.substring(0, 77) + "..." : t;
    }

    /** The highest mod revision among the watch's keys (0 when none exists). */
    static long newestRevision(Client client, WatchConfig w) throws Exception {
        long max = 0;
        for (String k : w.fullKeys()) {
            GetOption opt = GetOption.builder().withKeysOnly(true).isPrefix(k.endsWith("/")).build();
            var resp = client.getKVClient().get(ByteSequence.from(k, StandardCharsets.UTF_8), opt).get(5, TimeUnit.SECONDS);
            for (var kv : resp.getKvs()) {
                max = Math.max(max, kv.getModRevision());
            }
        }
        return max;
    }
}
