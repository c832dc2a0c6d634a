package dev.cicd.etcd.internal;

import dev.cicd.core.EventType;
import dev.cicd.core.SourceNotice;
import dev.cicd.core.TriggerEvent;
import dev.cicd.core.TriggerListener;
import dev.cicd.core.WatchSpec;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.watch.WatchEvent;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Hands one watch's events and notices to its listener: keeps only the keys the watch wants (named by
 * it, not under an ignored prefix), turns jetcd key-values into {@link TriggerEvent}s, sets the logging
 * context, and logs a listener failure rather than letting it stop the watch. Used on the watch loop's
 * thread only; nothing is delivered once the loop is closed.
 */
final class WatchDelivery {

    private static final Logger LOG = LoggerFactory.getLogger(WatchDelivery.class);

    private final WatchSpec spec;
    private final TriggerListener listener;
    private final List<String> ignoredPrefixes;
    private final BooleanSupplier closed;

    WatchDelivery(WatchSpec spec, TriggerListener listener, List<String> ignoredPrefixes, BooleanSupplier closed) {
        this.spec = spec;
        this.listener = listener;
        this.ignoredPrefixes = List.copyOf(ignoredPrefixes);
        this.closed = closed;
    }

    /** Whether the watch loop was closed: nothing more is delivered. */
    boolean closed() {
        return closed.getAsBoolean();
    }

    boolean wanted(String key) {
        if (!spec.matches(key)) {
            return false;
        }
        for (String p : ignoredPrefixes) {
            if (key.startsWith(p)) {
                return false;
            }
        }
        return true;
    }

    /** Delivers the values newer than {@code after}, in revision order. */
    void deliverValues(List<KeyValue> kvs, long after) {
        List<KeyValue> sorted = new ArrayList<>();
        for (KeyValue kv : kvs) {
            if (kv.getModRevision() > after && wanted(Etcd.text(kv.getKey()))) {
                sorted.add(kv);
            }
        }
        sorted.sort(Comparator.comparingLong(KeyValue::getModRevision));
        for (KeyValue kv : sorted) {
            if (closed()) {
                return;
            }
            deliver(toEvent(kv, EventType.PUT));
        }
    }

    /**
     * Delivers one watched change when the watch wants its key: a PUT or a DELETE (the pipeline keeps its
     * key map with deletes; they trigger only watches that include them).
     */
    void deliverChange(WatchEvent event) {
        KeyValue kv = event.getKeyValue();
        long rev = kv.getModRevision();
        String key = Etcd.text(kv.getKey());
        if (!wanted(key)) {
            return;
        }
        switch (event.getEventType()) {
            case PUT -> deliver(toEvent(kv, EventType.PUT));
            case DELETE -> deliver(new TriggerEvent(spec.name(), key, new byte[0], EventType.DELETE, rev, 0, 0));
            default -> LOG.debug("watch {}: ignoring event of unknown type for {} at revision {}",
                    spec.name(), key, rev);
        }
    }

    /** Logs a notice (RECONNECTED at info, the others at warn) and hands it to the listener. */
    void notice(SourceNotice.Kind kind, long revision, long lost, String message) {
        if (closed()) {
            return;
        }
        switch (kind) {
            case RECONNECTED -> LOG.info(message);
            default -> LOG.warn(message);
        }
        MDC.put("watch", spec.name());
        try {
            listener.onNotice(new SourceNotice(spec.name(), kind, revision, lost, message));
        } catch (RuntimeException e) {
            LOG.error("watch {}: the listener failed on a {} notice; continuing", spec.name(), kind, e);
        } finally {
            MDC.remove("watch");
        }
    }

    private TriggerEvent toEvent(KeyValue kv, EventType type) {
        return new TriggerEvent(spec.name(), Etcd.text(kv.getKey()), kv.getValue().getBytes(), type,
                kv.getModRevision(), kv.getCreateRevision(), kv.getVersion());
    }

    private void deliver(TriggerEvent event) {
        if (closed()) {
            return;
        }
        MDC.put("watch", event.watch());
        MDC.put("key", event.key());
        MDC.put("revision", Long.toString(event.modRevision()));
        try {
            listener.onEvent(event);
        } catch (RuntimeException e) {
            LOG.error("watch {}: the listener failed on {}; continuing with the next event", spec.name(), event, e);
        } finally {
            MDC.remove("watch");
            MDC.remove("key");
            MDC.remove("revision");
        }
    }
}
