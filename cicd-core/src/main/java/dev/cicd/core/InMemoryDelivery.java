package dev.cicd.core;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One started delivery of an {@link InMemoryTriggerSource}: a queue and the thread that drains it into
 * the listener, one call at a time, in the order items were queued.
 */
final class InMemoryDelivery implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(InMemoryDelivery.class);
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(30);

    private final List<WatchSpec> watches;
    private final TriggerListener listener;
    private final Consumer<InMemoryDelivery> unregister;
    private final ArrayDeque<Object> queue;
    private final ReentrantLock callLock = new ReentrantLock();
    private final Thread thread;
    private boolean busy;
    private volatile boolean closed;

    /**
     * @param initial    the events and notices to deliver before any change offered later (taken over)
     * @param unregister called first on {@link #close}, so the source stops offering changes
     */
    InMemoryDelivery(int id, List<WatchSpec> watches, TriggerListener listener, ArrayDeque<Object> initial,
            Consumer<InMemoryDelivery> unregister) {
        this.watches = watches;
        this.listener = listener;
        this.queue = initial;
        this.unregister = unregister;
        this.thread = new Thread(this::run, "cicd-inmemory-source-" + id);
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /** Called under the source lock, so changes are queued in revision order. */
    void offer(InMemoryChange change) {
        List<TriggerEvent> events = null;
        for (WatchSpec w : watches) {
            if (change.wantedBy(w)) {
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

    /** Waits until the queue is empty and no listener call runs; false when the deadline passed first. */
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
        unregister.accept(this);
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
