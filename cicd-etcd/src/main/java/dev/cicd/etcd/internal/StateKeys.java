package dev.cicd.etcd.internal;

/**
 * Where a runner group's state lives in etcd (prefixes without trailing '/'):
 * <pre>
 *   &lt;statePrefix&gt;/checkpoint/&lt;watch&gt;            last revision with every outcome up to it recorded, decimal
 *   &lt;statePrefix&gt;/recorded/&lt;watch&gt;/&lt;revision&gt;  an outcome recorded above the checkpoint (revision zero-padded
 *                                          to 20 digits, so a key range is a revision range)
 *   &lt;statePrefix&gt;/applied/&lt;target&gt;              {"fingerprint","revision","key","watch","appliedAt","runnerId"}
 *   &lt;statusPrefix&gt;/&lt;watch&gt;/&lt;revision&gt;           status record (JSON), with a lease of the status TTL; revision
 *                                          in plain decimal (not padded: text order is not number order)
 *   &lt;statusPrefix&gt;/&lt;watch&gt;/latest               the newest status record of the watch
 *   &lt;statusPrefix&gt;/&lt;watch&gt;/notice               the newest source notice (gap, reset, ...) of the watch
 * </pre>
 * A sharded group (runners share its shards) keeps a watch's position per shard instead of the
 * {@code checkpoint} and {@code recorded} keys above:
 * <pre>
 *   &lt;statePrefix&gt;/shards/&lt;watch&gt;/origin                      where shards without a checkpoint start, decimal
 *   &lt;statePrefix&gt;/shards/&lt;watch&gt;/checkpoint/&lt;shard&gt;          the shard's checkpoint, decimal
 *   &lt;statePrefix&gt;/shards/&lt;watch&gt;/recorded/&lt;shard&gt;/&lt;revision&gt; an outcome of the shard above its checkpoint (20 digits)
 *   &lt;statePrefix&gt;/shards/&lt;watch&gt;/latest                      revision of the watch's latest record (20 digits)
 * </pre>
 */
public record StateKeys(String statePrefix, String statusPrefix) {

    public String checkpoint(String watch) {
        return statePrefix + "/checkpoint/" + watch;
    }

    /** The directory of a watch's recorded-above-checkpoint marks, with trailing '/'. */
    public String recordedDir(String watch) {
        return statePrefix + "/recorded/" + watch + "/";
    }

    public String recorded(String watch, long revision) {
        return recordedDir(watch) + padded(revision);
    }

    /** The directory of a sharded watch's keys, with trailing '/'. */
    public String shardDir(String watch) {
        return statePrefix + "/shards/" + watch + "/";
    }

    /** Where a sharded watch's shards without a checkpoint start (written once, by the first runner). */
    public String shardOrigin(String watch) {
        return shardDir(watch) + "origin";
    }

    /** The revision of a sharded watch's {@code latest} record, zero-padded: runners write it only upwards. */
    public String shardLatest(String watch) {
        return shardDir(watch) + "latest";
    }

    /** The directory of a sharded watch's per-shard checkpoints, with trailing '/'. */
    public String shardCheckpointDir(String watch) {
        return shardDir(watch) + "checkpoint/";
    }

    public String shardCheckpoint(String watch, int shard) {
        return shardCheckpointDir(watch) + shard;
    }

    /** The directory of a sharded watch's marks (all shards), with trailing '/'. */
    public String shardRecordedRoot(String watch) {
        return shardDir(watch) + "recorded/";
    }

    /** The directory of one shard's marks, with trailing '/'. */
    public String shardRecordedDir(String watch, int shard) {
        return shardRecordedRoot(watch) + shard + "/";
    }

    public String shardRecorded(String watch, int shard, long revision) {
        return shardRecordedDir(watch, shard) + padded(revision);
    }

    public String applied(String target) {
        return statePrefix + "/applied/" + target;
    }

    public String status(String watch, long revision) {
        return statusDir(watch) + revision;
    }

    /** The directory of a watch's status records ({@code latest}, {@code notice} among them), with trailing '/'. */
    public String statusDir(String watch) {
        return statusPrefix + "/" + watch + "/";
    }

    /**
     * The key range [start, end) holding exactly the status keys of a watch whose name starts with a digit:
     * its per-revision records (and neither {@code latest} nor {@code notice}, which sort after ':').
     */
    public KeyRange revisionRange(String watch) {
        return new KeyRange(Etcd.bytes(statusDir(watch) + "0"), Etcd.bytes(statusDir(watch) + ":"));
    }

    public String latest(String watch) {
        return statusPrefix + "/" + watch + "/latest";
    }

    public String notice(String watch) {
        return statusPrefix + "/" + watch + "/notice";
    }

    /** A revision as 20 digits: the longest a long has, so text order is number order. */
    public static String padded(long revision) {
        String s = Long.toString(revision);
        return "0".repeat(20 - s.length()) + s;
    }
}
