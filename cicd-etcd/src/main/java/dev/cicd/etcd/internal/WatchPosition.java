package dev.cicd.etcd.internal;

import dev.cicd.core.CicdException;
import dev.cicd.core.SourceNotice;
import dev.cicd.core.WatchSpec;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Response;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one watch's place in etcd's history: the last revision delivered, the highest revision seen and
 * the cluster id, and moves it on as events arrive (dropping replays), across a compaction
 * ({@link SourceNotice.Kind#GAP}) and over a data reset ({@link SourceNotice.Kind#RESET}). Confined to
 * the watch loop's thread; the values that moving it delivers go through {@link WatchDelivery}.
 */
final class WatchPosition {

    private static final Logger LOG = LoggerFactory.getLogger(WatchPosition.class);

    private final WatchSpec spec;
    private final WatchReads reads;
    private final WatchDelivery delivery;
    private boolean positioned;
    private long lastDelivered;
    private long maxSeenRevision;
    private long clusterId;

    /**
     * @param checkpoint the last revision already processed, or null to start from the current values
     */
    WatchPosition(WatchSpec spec, WatchReads reads, WatchDelivery delivery, Long checkpoint) {
        this.spec = spec;
        this.reads = reads;
        this.delivery = delivery;
        if (checkpoint != null) {
            if (checkpoint < 0) {
                throw new IllegalArgumentException("checkpoint of watch " + spec.name() + " must be >= 0, was " + checkpoint);
            }
            this.positioned = true;
            this.lastDelivered = checkpoint;
            this.maxSeenRevision = checkpoint;
        }
    }

    /** Whether the watch has a place: a checkpoint, or the current values were delivered. */
    boolean positioned() {
        return positioned;
    }

    long lastDelivered() {
        return lastDelivered;
    }

    /** No checkpoint: deliver the current values of a read, then continue after the read's revision. */
    void position(GetResponse r) {
        Response.Header h = r.getHeader();
        clusterId = h.getClusterId();
        LOG.info("watch {}: no checkpoint; delivering the current values of {} at revision {}, then watching from {}",
                spec.name(), reads.range().describe(), h.getRevision(), h.getRevision() + 1);
        delivery.deliverValues(r.getKvs(), 0);
        lastDelivered = Math.max(lastDelivered, h.getRevision());
        maxSeenRevision = Math.max(maxSeenRevision, h.getRevision());
        positioned = true;
    }

    /**
     * Before each (re)connect: positions a watch without a place yet; otherwise reads the store's header
     * and handles a data reset (a cluster id that changed, a revision lower than one already seen).
     */
    void resume() {
        if (!positioned) {
            position(reads.read(0));
            return;
        }
        Response.Header h = reads.readHeader();
        String reset = resetReason(h);
        if (reset != null) {
            handleReset(reset);
        } else {
            clusterId = h.getClusterId();
            maxSeenRevision = Math.max(maxSeenRevision, h.getRevision());
        }
    }

    /**
     * A watch was created: notes the cluster id of the member that answered. When that member belongs to
     * another cluster, handles it as a data reset and returns true: the watch must be opened again.
     */
    boolean created(Response.Header h) {
        if (clusterId != 0 && h.getClusterId() != 0 && h.getClusterId() != clusterId) {
            // a member of another cluster answered: same as a reset found on reconnect
            handleReset(clusterIdChange(h.getClusterId()));
            return true;
        }
        if (h.getClusterId() != 0) {
            clusterId = h.getClusterId();
        }
        return false;
    }

    private String resetReason(Response.Header h) {
        if (clusterId != 0 && h.getClusterId() != clusterId) {
            return clusterIdChange(h.getClusterId());
        }
        if (h.getRevision() < maxSeenRevision) {
            return "the store's revision went back from " + maxSeenRevision + " to " + h.getRevision();
        }
        return null;
    }

    private String clusterIdChange(long newId) {
        return "the cluster id changed from " + Long.toHexString(clusterId) + " to " + Long.toHexString(newId);
    }

    /** A data reset: deliver every current value, continue at the store's current revision + 1. */
    private void handleReset(String reason) {
        GetResponse r = reads.read(0);
        Response.Header h = r.getHeader();
        delivery.notice(SourceNotice.Kind.RESET, h.getRevision(), 0, "etcd data reset detected for watch "
                + spec.name() + ": " + reason + "; delivering the current values of its keys and resuming at revision "
                + (h.getRevision() + 1));
        clusterId = h.getClusterId();
        maxSeenRevision = h.getRevision();
        lastDelivered = 0;
        delivery.deliverValues(r.getKvs(), 0);
        lastDelivered = h.getRevision();
    }

    /** Delivers the events of a watch response, dropping those at or below the last delivered revision. */
    void onEvents(WatchResponse response) {
        maxSeenRevision = Math.max(maxSeenRevision, response.getHeader().getRevision());
        long floor = lastDelivered;
        for (WatchEvent event : response.getEvents()) {
            if (delivery.closed()) {
                return;
            }
            KeyValue kv = event.getKeyValue();
            long rev = kv.getModRevision();
            if (rev <= floor) {
                LOG.debug("watch {}: dropping event of {} at revision {}: already delivered up to revision {}",
                        spec.name(), Etcd.text(kv.getKey()), rev, floor);
                continue;
            }
            lastDelivered = Math.max(lastDelivered, rev);
            delivery.deliverChange(event);
        }
    }

    /**
     * The revisions after {@code lastDelivered} were compacted up to {@code compactRevision}: deliver the
     * values current at the compact revision (or later, if that one is gone too) and report what could
     * not be replayed.
     */
    void recoverFromCompaction(long compactRevision) {
        long last = lastDelivered;
        long readAt = compactRevision;
        GetResponse r;
        try {
            r = reads.read(compactRevision);
        } catch (CicdException e) {
            if (!Etcd.isCompacted(e)) {
                throw e;
            }
            r = reads.read(0);
            readAt = r.getHeader().getRevision();
        }
        List<KeyValue> fresh = new ArrayList<>();
        for (KeyValue kv : r.getKvs()) {
            if (kv.getModRevision() > last && delivery.wanted(Etcd.text(kv.getKey()))) {
                fresh.add(kv);
            }
        }
        Lost lost = countLost(last, readAt, fresh);
        delivery.notice(SourceNotice.Kind.GAP, readAt, lost.count, "history of watch " + spec.name() + " after revision "
                + last + " was compacted up to revision " + compactRevision + ": " + lost.count + " revision(s) in ("
                + last + ", " + readAt + "] could not be replayed" + lost.note + "; delivering the " + fresh.size()
                + " value(s) current at revision " + readAt + " and watching from " + (readAt + 1));
        delivery.deliverValues(fresh, last);
        lastDelivered = Math.max(last, readAt);
        maxSeenRevision = Math.max(maxSeenRevision, r.getHeader().getRevision());
    }

    private record Lost(long count, String note) {
    }

    /**
     * Revisions in (last, readAt] of which no change survives in the store at {@code readAt}: every key
     * written at such a revision was overwritten or deleted before the compaction, so the change cannot
     * be replayed. Revisions are store-wide; when only this watch's keys were written in the range the
     * count is exactly the number of this watch's changes that were not delivered.
     */
    private Lost countLost(long last, long readAt, List<KeyValue> fresh) {
        if (readAt <= last) {
            return new Lost(0, "");
        }
        Set<Long> surviving = new HashSet<>();
        try {
            for (KeyValue kv : reads.keysModifiedIn(last, readAt)) {
                surviving.add(kv.getModRevision());
            }
            return new Lost(Math.max(0, readAt - last - surviving.size()), "");
        } catch (CicdException e) {
            LOG.debug("watch {}: cannot read the whole key space to count lost revisions: {}", spec.name(), e.getMessage());
            for (KeyValue kv : fresh) {
                surviving.add(kv.getModRevision());
            }
            return new Lost(Math.max(0, readAt - last - surviving.size()),
                    " (an upper bound: the key space outside the watch could not be read)");
        }
    }
}
