package dev.cicd.etcd.internal;

import dev.cicd.etcd.ProgressRecord;
import dev.cicd.etcd.StatusRecord;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Which status-prefix values answer a wait for the outcome of one put (key and revision). */
public final class StatusMatch {

    private static final Logger LOG = LoggerFactory.getLogger(StatusMatch.class);

    private StatusMatch() {
    }

    public static Optional<ProgressRecord> progress(KvTransport.Kv kv, String key, long revision, String suffix) {
        if (!kv.key().endsWith(suffix)) {
            return Optional.empty();
        }
        String v = kv.value();
        if (!ProgressRecord.isProgress(v)) {
            return Optional.empty();
        }
        try {
            ProgressRecord p = ProgressRecord.fromJson(v);
            return p.revision() == revision && p.key().equals(key) ? Optional.of(p) : Optional.empty();
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    public static Optional<StatusRecord> match(KvTransport.Kv kv, String key, long revision, String suffix) {
        if (!kv.key().endsWith(suffix)) {
            return Optional.empty();
        }
        if (ProgressRecord.isProgress(kv.value())) {
            return Optional.empty();
        }
        try {
            StatusRecord r = StatusRecord.fromJson(kv.value());
            if (r.revision() == revision && r.key().equals(key)) {
                return Optional.of(r);
            }
        } catch (IllegalArgumentException e) {
            LOG.debug("skipping {}: {}", kv.key(), e.getMessage());
        }
        return Optional.empty();
    }

    /** {@code best}, or the record at {@code kv} when it is a final record of {@code key} newer than both. */
    public static Optional<StatusRecord> newer(KvTransport.Kv kv, String key, long revision, Optional<StatusRecord> best) {
        String v = kv.value();
        if (ProgressRecord.isProgress(v)) {
            return best;
        }
        try {
            StatusRecord r = StatusRecord.fromJson(v);
            boolean later = r.key().equals(key) && r.revision() > revision
                    && best.map(b -> r.revision() > b.revision()).orElse(true);
            return later ? Optional.of(r) : best;
        } catch (IllegalArgumentException e) {
            return best;
        }
    }
}
