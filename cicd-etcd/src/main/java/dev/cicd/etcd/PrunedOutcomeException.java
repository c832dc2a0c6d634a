package dev.cicd.etcd;

import dev.cicd.core.CicdException;

/**
 * The outcome a trigger waits on is no longer stored: etcd's history of it was compacted, its status record
 * was pruned ({@code runner.statusRetention}: count per watch, age), and a later put of the same key has a
 * recorded outcome already, so the one waited on came before it. Code {@link Code#SOURCE}.
 */
public final class PrunedOutcomeException extends CicdException {

    private final transient StatusRecord newer;

    public PrunedOutcomeException(String key, long revision, StatusRecord newer) {
        super(Code.SOURCE, "the outcome of " + key + " at revision " + revision + " is no longer stored (status "
                + "records are pruned by count and age: runner.statusRetention, and etcd compacted its history); a later "
                + "put of the key, revision " + newer.revision() + ", was already " + newer.outcome().label()
                + " by watch " + newer.watch());
        this.newer = newer;
    }

    /** The record of the later put of the same key that was found instead. */
    public StatusRecord newer() {
        return newer;
    }
}
