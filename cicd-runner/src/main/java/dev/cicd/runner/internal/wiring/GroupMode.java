package dev.cicd.runner.internal.wiring;

import dev.cicd.etcd.LeaderElection;
import dev.cicd.etcd.ShardMembership;
import dev.cicd.etcd.ShardSnapshot;
import dev.cicd.etcd.internal.Checks;
import dev.cicd.runner.ConfigException;
import dev.cicd.runner.RunnerSettings;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.options.GetOption;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A group is run either by one leader or by runners sharing its shards, never both at once: both would
 * carry out the same events. Checked when a runner starts; the shard count of a sharded group is checked
 * by {@link ShardMembership#start}.
 */
public final class GroupMode {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(GroupMode.class);

    private GroupMode() {
    }

    /**
     * @throws ConfigException naming the keys, when the group runs the other way: a sharded runner of a
     *                         group with a runner campaigning for its leadership, or a runner with one
     *                         leader ({@code runner.shards: 0}) of a group made sharded
     */
    public static void check(Client etcd, RunnerSettings s, Duration timeout) {
        if (s.sharded()) {
            String dir = LeaderElection.DEFAULT_ELECTION_ROOT + "/" + s.group() + "/";
            long leaders = count(etcd, dir, timeout);
            if (leaders > 0) {
                throw new ConfigException("runner.shards: group " + s.group() + " has " + leaders + " runner(s) with "
                        + "runner.shards 0 campaigning for its leadership (keys under " + dir + "); stop them before "
                        + "starting runners that share the group's shards, or use another runner.group");
            }
        } else {
            ShardSnapshot snap;
            try {
                snap = ShardMembership.snapshot(etcd, s.group());
            } catch (RuntimeException e) {
                if (!Checks.isPermissionDenied(e)) {
                    throw e;
                }
                LOG.warn("cannot check that group {} is not sharded: reading {}/{}/ is not permitted (grant the runner "
                        + "read on it: deploy/etcd/roles.sh does); going on with one leader", s.group(),
                        ShardMembership.DEFAULT_ROOT, s.group());
                return;
            }
            if (snap.shards() > 0) {
                throw new ConfigException("runner.shards: group " + s.group() + " is sharded (" + snap.shards()
                        + " shards, key " + ShardMembership.DEFAULT_ROOT + "/" + s.group() + "/config, "
                        + snap.members().size() + " live member(s)); set runner.shards: " + snap.shards()
                        + ", or, to run it with one leader again, stop its runners and delete that key");
            }
        }
    }

    private static long count(Client etcd, String prefix, Duration timeout) {
        ByteSequence key = ByteSequence.from(prefix, StandardCharsets.UTF_8);
        try {
            return etcd.getKVClient().get(key, GetOption.builder().isPrefix(true).withCountOnly(true).build())
                    .get(timeout.toMillis(), TimeUnit.MILLISECONDS).getCount();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ConfigException("interrupted while reading " + prefix, e);
        } catch (ExecutionException | TimeoutException e) {
            throw new ConfigException("could not read " + prefix + " to check how group runs: " + e, e);
        }
    }
}
