package dev.cicd.etcd.internal;

import dev.cicd.core.CicdException;
import dev.cicd.etcd.NoRunnerException;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether a runner of the group is alive: a candidate key (each on its runner's lease) exists under
 * {@code <electionPrefix>/<group>/}, or, for a sharded group, a membership key under
 * {@code /cicd/.shards/<group>/members/} (for any group: a key under {@code /cicd/.shards/}, where a
 * sharded group's config stays after its runners stopped, so then only a group's absence is told). Absent for the grace period: {@link NoRunnerException}; etcd
 * unreadable for the grace period: {@code SOURCE}; a read refused for lack of permission turns the check
 * off with a warning (a CI user set up without read access to the election prefix).
 */
public final class RunnerLiveness {

    private static final Logger LOG = LoggerFactory.getLogger(RunnerLiveness.class);

    private final KvTransport kv;
    private final String runnerGroup;
    private final Duration runnerGrace;
    private final String dir;
    private final String shardDir;
    /** Where sharded groups keep their members (the default of {@code ShardMembership}). */
    static final String SHARD_ROOT = "/cicd/.shards/";
    private final long since = System.nanoTime();
    private long absentSince = -1;
    private long failingSince = -1;
    private boolean off;

    /** @param runnerGroup the group, or null for a runner of any group */
    public RunnerLiveness(KvTransport kv, String electionPrefix, String runnerGroup, Duration runnerGrace) {
        this.kv = kv;
        this.runnerGroup = runnerGroup;
        this.runnerGrace = runnerGrace;
        this.dir = electionPrefix + "/" + (runnerGroup == null ? "" : runnerGroup + "/");
        this.shardDir = SHARD_ROOT + (runnerGroup == null ? "" : runnerGroup + "/members/");
    }

    /**
     * Reads the election keys once.
     *
     * @throws NoRunnerException when none was there for the grace period
     * @throws CicdException     {@code SOURCE} when etcd was unreadable for the grace period
     */
    public void check() {
        if (off) {
            return;
        }
        long now = System.nanoTime();
        long count;
        try {
            count = kv.count(dir);
            if (count == 0) {
                count = kv.count(shardDir);
            }
            failingSince = -1;
        } catch (CicdException e) {
            if (Checks.isPermissionDenied(e)) {
                off = true;
                LOG.warn("cannot tell whether {} is alive: reading {} is not permitted; waiting without that check",
                        who(), dir);
                return;
            }
            if (failingSince < 0) {
                failingSince = now;
            } else if (now - failingSince >= runnerGrace.toNanos()) {
                throw e;
            }
            return;
        }
        if (count > 0) {
            absentSince = -1;
            return;
        }
        if (absentSince < 0) {
            absentSince = now;
        }
        if (now - absentSince >= runnerGrace.toNanos() && now - since >= runnerGrace.toNanos()) {
            throw new NoRunnerException("no " + who() + " is alive (no key under " + dir + " nor " + shardDir + " for "
                    + runnerGrace.toMillis() / 1000.0 + " s)");
        }
    }

    private String who() {
        return runnerGroup == null ? "runner of any group" : "runner of group " + runnerGroup;
    }
}
