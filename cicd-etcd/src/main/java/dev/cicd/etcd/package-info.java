/**
 * cicd on etcd: {@link dev.cicd.etcd.EtcdTriggerSource} watches the trigger keys from a checkpoint and delivers
 * every put once, in order, across reconnects, compactions and restarts; {@link dev.cicd.etcd.EtcdState} builds
 * the runner group's {@link dev.cicd.etcd.EtcdStateStore} (status records, fingerprints per target, checkpoints,
 * written in fenced transactions); {@link dev.cicd.etcd.LeaderElection} keeps one leader per runner group;
 * {@link dev.cicd.etcd.ShardMembership} lets the runners of a group share its shards instead (membership,
 * assignment, ownership keys whose create revisions fence each shard's writes);
 * {@link dev.cicd.etcd.TriggerPublisher} is the CI side, putting a trigger and waiting for its
 * {@link dev.cicd.etcd.StatusRecord}; {@link dev.cicd.etcd.EtcdClients} builds jetcd clients with TLS and
 * authentication. Classes in {@code dev.cicd.etcd.internal} are not API.
 */
package dev.cicd.etcd;
