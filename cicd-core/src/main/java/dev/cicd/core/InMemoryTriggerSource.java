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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
 * DELETEs are delivered only to watches that {@link WatchSpec#includeDeletes() include them}.
 *
 * <p>Thread-safe: puts may come from many threads. History is kept until {@link #compact}.
 */
public final class InMemoryTriggerSource implements TriggerSource {

    private static final Logger LOG = LoggerFactory.getLogger(InMemoryTriggerSource.class);
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(30);

    private final Object lock = new Object();
    private final TreeMap<String, Change> current = new TreeMap<>();
    private final ArrayList<Change> history = new ArrayList<>();
    private final List<Delivery> deliveries = new ArrayList<>();
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
            Change previous = current.get(key);
            long create = previous == null ? rev : previous.createRevision();
            long version = previous == null ? 1 : previous.version() + 1;
            Change change = new Change(key, value.clone(), EventType.PUT, rev, create, version);
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
            record(new Change(key, new byte[0], EventType.DELETE, rev, 0, 0));
            return rev;
        }
    }

    /** The current value of a key as UTF-8 text. */
    public Optional<String> get(String key) {
        synchronized (lock) {
            Change c = current.get(key);
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
        List<Delivery> snapshot;
        synchronized (lock) {
            snapshot = List.copyOf(deliveries);
        }
        for (Delivery d : snapshot) {
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
            Delivery delivery = new Delivery(deliveryIds.incrementAndGet(), specs, listener);
            for (WatchSpec w : specs) {
                initialItems(w, cps.get(w.name()), delivery.queue);
            }
            deliveries.add(delivery);
            delivery.thread.start();
            return delivery;
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
            Change c = history.get(i);
            if (wants(w, c)) {
                out.add(c.toEvent(w.name()));
            }
        }
    }

    /** Current values of matching keys whose mod revision lies in (after, upTo], in revision order. */
    private void currentValues(WatchSpec w, long after, long upTo, ArrayDeque<Object> out) {
        List<Change> values = new ArrayList<>();
        for (Change c : current.values()) {
            if (c.modRevision() > after && c.modRevision() <= upTo && w.matches(c.key())) {
                values.add(c);
            }
        }
        values.sort(Comparator.comparingLong(Change::modRevision));
        for (Change c : values) {
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
            if (revision < compactRevision) {
                current.forEach((k, c) -> {
                    if (watch.matches(k)) {
                        out.put(watch.relativeKey(k), new String(c.value(), StandardCharsets.UTF_8));
                    }
                });
                return out;
            }
            for (Change c : history) {
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
    private void record(Change change) {
        history.add(change);
        for (Delivery d : deliveries) {
            d.offer(change);
        }
    }

    private static boolean wants(WatchSpec w, Change c) {
        return w.matches(c.key()) && (c.type() == EventType.PUT || w.includeDeletes());
    }

    private static void requireKey(String key) {
        if (key == null || key.isEmpty()) {
            throw new IllegalArgumentException("key must not be empty, was '" + key + "'");
        }
    }

    private record Change(String key, byte[] value, EventType type, long modRevision, long createRevision,
                          long version) {
        TriggerEvent toEvent(String watch) {
            return new TriggerEvent(watch, key, value, type, modRevision, createRevision, version);
        }
    }

    /** One started delivery: a queue and the thread that drains it into the listener. */
    private final class Delivery implements AutoCloseable {
        private final List<WatchSpec> watches;
        private final TriggerListener listener;
        private final ArrayDeque<Object> queue = new ArrayDeque<>();
        private final ReentrantLock callLock = new ReentrantLock();
        private final Thread thread;
        private boolean busy;
        private volatile boolean closed;

        Delivery(int id, List<WatchSpec> watches, TriggerListener listener) {
            this.watches = watches;
            this.listener = listener;
            this.thread = new Thread(this::run, "cicd-inmemory-source-" + id);
            this.thread.setDaemon(true);
        }

        /** Called under the source lock, so changes are queued in revision order. */
        void offer(Change change) {
            List<TriggerEvent> events = null;
            for (WatchSpec w : watches) {
                if (wants(w, change)) {
                    if (events == null) {
                        events = new ArrayList<>(1);
                    }
                    events.add(change.toEvent(w.name()));
                }
            }
            if (events != null) {
                synchronized (this) {
                    queue.addAll(events);
                    notifyAll();
                }
            }
        }

        private void run() {
            while (true) {
                Object item;
                synchronized (this) {
                    while (queue.isEmpty() && !closed) {
                        try {
                            wait();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            closed = true;
                        }
                    }
                    if (closed) {
                        queue.clear();
                        notifyAll();
                        return;
                    }
                    item = queue.poll();
                    busy = true;
                }
                callLock.lock();
                try {
                    if (!closed) {
                        deliver(item);
                    }
                } finally {
                    callLock.unlock();
                    synchronized (this) {
                        busy = false;
                        notifyAll();
                    }
                }
            }
        }

        private void deliver(Object item) {
            try {
                if (item instanceof TriggerEvent e) {
                    listener.onEvent(e);
                } else if (item instanceof SourceNotice n) {
                    listener.onNotice(n);
                }
            } catch (RuntimeException e) {
                LOG.warn("listener failed on {}; continuing with the next change", item, e);
            }
        }

        boolean awaitIdle(long deadlineNanos) {
            synchronized (this) {
                while ((busy || !queue.isEmpty()) && !closed) {
                    long left = deadlineNanos - System.nanoTime();
                    if (left <= 0) {
                        return false;
                    }
                    try {
                        TimeUnit.NANOSECONDS.timedWait(this, left);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return false;
                    }
                }
                return true;
            }
        }

        @Override
        public void close() {
            synchronized (lock) {
                deliveries.remove(this);
            }
            synchronized (this) {
                closed = true;
                notifyAll();
            }
            if (Thread.currentThread() == thread) {
                return;
            }
            // no listener call starts after close() returns: wait for one in progress to end
            try {
                if (callLock.tryLock(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                    callLock.unlock();
                } else {
                    LOG.warn("a listener call of {} did not return within {}; closing anyway", thread.getName(),
                            CLOSE_WAIT);
                }
                thread.join(CLOSE_WAIT.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
