package dev.cicd.etcd;

import dev.cicd.core.Outcome;
import dev.cicd.core.OutcomeSink;
import dev.cicd.core.SourceNotice;
import dev.cicd.etcd.internal.StateOps;

/**
 * Writes status records: {@code <statusPrefix>/<watch>/<revision>} (with the status lease) and
 * {@code <statusPrefix>/<watch>/latest} per outcome, and {@code <statusPrefix>/<watch>/notice} per source
 * notice. Built by {@link EtcdState#statusSink()} (outcomes and notices) or {@link EtcdState#noticeSink()}
 * (notices only, for a pipeline whose {@link EtcdStateStore} committer already writes the status
 * records).
 */
public final class EtcdStatusSink implements OutcomeSink {

    private final StateOps ops;
    private final boolean outcomes;

    EtcdStatusSink(StateOps ops, boolean outcomes) {
        this.ops = ops;
        this.outcomes = outcomes;
    }

    @Override
    public void onOutcome(Outcome outcome) {
        if (outcomes) {
            ops.writeStatus(outcome);
        }
    }

    @Override
    public void onNotice(SourceNotice notice) {
        ops.writeNotice(notice);
    }

    /** The key of the status record of one event. */
    public String key(String watch, long revision) {
        return ops.statusKey(watch, revision);
    }
}
