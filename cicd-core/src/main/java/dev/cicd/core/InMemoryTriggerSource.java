package dev.cicd.core;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An in-memory key-value store with a global revision counter, behaving like an etcd keyspace, that is
 * also a {@link TriggerSource}. For tests and for embedding the pipeline without etcd.
 *
 * <p>Every {@link #put} or {@link #delete} takes the next revision. {@link #start} honours the
 * {@link TriggerSource} contract: with a checkpoint the history after it is replayed (a {@link
 * SourceNotice.Kind#GAP} notice and the current values are delivered instead when the checkpoint lies
 * before {@link #compact compacted} history; a {@link SourceNotice.Kind#RESET} notice when the checkpoint
 * is ahead of the store); without one the current value of each matching key is delivered once, then
 * live changes. Each started delivery has its own thread that calls the listener in revision order;
 * DELETEs are delivered too: the pipeline keeps its key map with them (a delete is a trigger only for
 * watches that {@link WatchSpec#includeDeletes() include them}).
 *
 * <p>Thread-safe: puts may come from many threads. History is kept until {@link #compact}.
 */
public final class InMemoryTriggerSource implements TriggerSource {

    private final Object lock = new Object();
    private final TreeMap<String, InMemoryChange> current = new TreeMap<>();
    private final ArrayList<InMemoryChange> history = new ArrayList<>();
    private final List<InMemoryDelivery> deliveries = new ArrayList<>();
    private final AtomicInteger deliveryIds = new AtomicInteger();
    private long revision;
    private long compactRevision;

    /** An empty store at revision 0. */
    public InMemoryTriggerSource() {
    }

    /** Stores a UTF-8 text value; returns the revision of the change. */
    public long put(String key, String value) {
        Objects.requireNonNull(value, "value");
        return put(key, value.getBytes(StandardCharsets.UTF_8));
    }

    /** Stores a value; returns the revision of the change. */
    public long put(String key, byte[] value) {
        requireKey(key);
        Objects.requireNonNull(value, "value");
        synchronized (lock) {
            long rev = ++revision;
            InMemoryChange previous = current.get(key);
            long create = previous == null ? rev : previous.createRevision();
            long version = previous == null ? 1 : previous.version() + 1;
            InMemoryChange change = new InMemoryChange(key, value.clone(), EventType.PUT, rev, create, version);
            current.put(key, change);
            record(change);
            return rev;
        }
    }

    /**
     * Deletes a key; returns the revision of the change, or the unchanged current revision when the key
     * did not exist (as etcd does, nothing happens then).
     */
    public long delete(String key) {
        requireKey(key);
        synchronized (lock) {
            if (current.remove(key) == null) {
                return revision;
            }
            long rev = ++revision;
            record(new InMemoryChange(key, new byte[0], EventType.DELETE, rev, 0, 0));
            return rev;
        }
    }

    /** The current value of a key as UTF-8 text. */
    public Optional<String> get(String key) {
        synchronized (lock) {
            InMemoryChange c = current.get(key);
            return c == null ? Optional.empty() : Optional.of(new String(c.value(), StandardCharsets.UTF_8));
        }
    }

    /** The store's current revision (0 while empty). */
    public long revision() {
        synchronized (lock) {
            return revision;
        }
    }

    /** The revision up to which history was compacted (0 when never). */
    public long compactRevision() {
        synchronized (lock) {
            return compactRevision;
        }
    }

    /**
     * Drops the history up to and including {@code upTo}: a later start from a checkpoint before it
     * gets a {@link SourceNotice.Kind#GAP} notice and the current values instead of the replay.
     */
    public void compact(long upTo) {
        synchronized (lock) {
            if (upTo > revision) {
                throw new IllegalArgumentException("cannot compact to revision " + upTo
                        + ", the store is at revision " + revision);
            }
            if (upTo <= compactRevision) {
                return;
            }
            int cut = firstAfter(upTo);
            history.subList(0, cut).clear();
            compactRevision = upTo;
        }
    }

    /**
     * Waits until every started delivery has handed all changes made so far to its listener (and the
     * listener calls returned). Handy in tests: {@code source.awaitDelivered(..) && pipeline.awaitIdle(..)}.
     *
     * @return false when the timeout passed first
     */
    public boolean awaitDelivered(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<InMemoryDelivery> snapshot;
        synchronized (lock) {
            snapshot = List.copyOf(deliveries);
        }
        for (InMemoryDelivery d : snapshot) {
            if (!d.awaitIdle(deadline)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public AutoCloseable start(List<WatchSpec> watches, Map<String, Long> checkpoints, TriggerListener listener) {
        List<WatchSpec> specs = List.copyOf(watches);
        Map<String, Long> cps = Map.copyOf(checkpoints);
        Objects.requireNonNull(listener, "listener");
        synchronized (lock) {
            int id = deliveryIds.incrementAndGet();
            ArrayDeque<Object> initial = new ArrayDeque<>();
            for (WatchSpec w : specs) {
                initialItems(w, cps.get(w.name()), initial);
            }
            InMemoryDelivery delivery = new InMemoryDelivery(id, specs, listener, initial, this::unregister);
            deliveries.add(delivery);
            delivery.start();
            return delivery;
        }
    }

    private void unregister(InMemoryDelivery delivery) {
        synchronized (lock) {
            deliveries.remove(delivery);
        }
    }

    /** What a watch gets before live changes; called under the lock. */
    private void initialItems(WatchSpec w, Long checkpoint, ArrayDeque<Object> out) {
        if (checkpoint == null) {
            currentValues(w, 0, Long.MAX_VALUE, out);
            return;
        }
        long cp = checkpoint;
        if (cp > revision) {
            out.add(new SourceNotice(w.name(), SourceNotice.Kind.RESET, revision, 0,
                    "checkpoint r" + cp + " of watch " + w.name() + " is ahead of the store's revision r" + revision
                            + ": the store was reset; delivering the current values"));
            currentValues(w, 0, Long.MAX_VALUE, out);
            return;
        }
        if (cp < compactRevision) {
            long lost = compactRevision - cp;
            out.add(new SourceNotice(w.name(), SourceNotice.Kind.GAP, compactRevision, lost,
                    "history of watch " + w.name() + " after checkpoint r" + cp + " was compacted up to r"
                            + compactRevision + ": up to " + lost + " revisions could not be replayed; "
                            + "delivering the current values instead"));
            currentValues(w, cp, compactRevision, out);
        }
        for (int i = firstAfter(cp); i < history.size(); i++) {
            InMemoryChange c = history.get(i);
            if (c.wantedBy(w)) {
                out.add(c.toEvent(w.name()));
            }
        }
    }

    /** Current values of matching keys whose mod revision lies in (after, upTo], in revision order. */
    private void currentValues(WatchSpec w, long after, long upTo, ArrayDeque<Object> out) {
        List<InMemoryChange> values = new ArrayList<>();
        for (InMemoryChange c : current.values()) {
            if (c.modRevision() > after && c.modRevision() <= upTo && w.matches(c.key())) {
                values.add(c);
            }
        }
        values.sort(Comparator.comparingLong(InMemoryChange::modRevision));
        for (InMemoryChange c : values) {
            out.add(c.toEvent(w.name()));
        }
    }

    /**
     * The watch's keys at {@code revision} from the history; when that part of the history was compacted,
     * the current values.
     */
    @Override
    public SortedMap<String, String> snapshot(WatchSpec watch, long revision) {
        SortedMap<String, String> out = new TreeMap<>();
        synchronized (lock) {
            if (revision <= 0 || revision < compactRevision) {
                current.forEach((k, c) -> {
                    if (watch.matches(k)) {
                        out.put(watch.relativeKey(k), new String(c.value(), StandardCharsets.UTF_8));
                    }
                });
                return out;
            }
            for (InMemoryChange c : history) {
                if (c.modRevision() > revision) {
                    break;
                }
                if (watch.matches(c.key())) {
                    if (c.type() == EventType.DELETE) {
                        out.remove(watch.relativeKey(c.key()));
                    } else {
                        out.put(watch.relativeKey(c.key()), new String(c.value(), StandardCharsets.UTF_8));
                    }
                }
            }
        }
        return out;
    }

    /** Index of the first history entry with a revision above {@code rev}; called under the lock. */
    private int firstAfter(long rev) {
        int lo = 0;
        int hi = history.size();
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (history.get(mid).modRevision() <= rev) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    /** Appends to the history and hands the change to every delivery; called under the lock. */
    private void record(InMemoryChange change) {
        history.add(change);
        for (InMemoryDelivery d : deliveries) {
            d.offer(change);
        }
    }

    private static void requireKey(String key) {
        if (key == null || key.isEmpty()) {
            throw new IllegalArgumentException("key must not be empty, was '" + key + "'");
        }
    }
}
