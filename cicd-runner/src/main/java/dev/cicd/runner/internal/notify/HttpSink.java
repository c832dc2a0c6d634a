package dev.cicd.runner.internal.notify;

import dev.cicd.core.Outcome;
import dev.cicd.runner.NotifyConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * One notification sink: a bounded queue of outcomes and one sender thread that POSTs each, trying again
 * with exponential back-off. {@link #offer} never blocks and never throws: a full queue drops its oldest
 * entry (WARN, {@code cicd_notifications_total{result="dropped"}}). The thread starts at the first offer.
 * {@link #close(long)} lets the sender finish what is queued until a deadline, then stops it; what is
 * left counts as dropped.
 */
final class HttpSink {

    private static final Logger LOG = LoggerFactory.getLogger(HttpSink.class);

    /** One outcome to send, with its targets. */
    record Delivery(Outcome outcome, List<String> targets) {
    }

    /** How one request ended. */
    private record Attempt(boolean sent, boolean retryable, String problem) {
    }

    private final String name;
    private final URI uri;
    private final Optional<byte[]> secret;
    private final Map<String, String> headers;
    private final Duration timeout;
    private final NotifyConfig.Retry retry;
    private final int capacity;
    private final BiFunction<Outcome, List<String>, byte[]> body;
    private final HttpClientHolder http;
    private final Counter sent;
    private final Counter failed;
    private final Counter dropped;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final ArrayDeque<Delivery> queue = new ArrayDeque<>();
    private Thread sender;
    private boolean closing;
    private boolean busy;
    /** System.nanoTime() after which nothing more is sent (set by close). */
    private volatile long stopAt = Long.MAX_VALUE;

    HttpSink(String name, URI uri, Optional<byte[]> secret, NotifyConfig config,
             BiFunction<Outcome, List<String>, byte[]> body, HttpClientHolder http, MeterRegistry registry) {
        this.name = name;
        this.uri = uri;
        this.secret = secret;
        this.headers = config.headers();
        this.timeout = config.timeout();
        this.retry = config.retry();
        this.capacity = config.queueSize();
        this.body = body;
        this.http = http;
        this.sent = counter(registry, "sent");
        this.failed = counter(registry, "failed");
        this.dropped = counter(registry, "dropped");
    }

    private Counter counter(MeterRegistry registry, String result) {
        return Counter.builder("cicd.notifications")
                .description("notifications by sink and result: sent, failed (after every retry), dropped (queue full or shutdown)")
                .tag("sink", name).tag("result", result).register(registry);
    }

    String name() {
        return name;
    }

    /** Queues the outcome; drops the oldest queued one when full. Never blocks on the network. */
    void offer(Delivery d) {
        Delivery lost = null;
        lock.lock();
        try {
            if (closing) {
                lost = d;
            } else {
                if (queue.size() >= capacity) {
                    lost = queue.pollFirst();
                }
                queue.addLast(d);
                if (sender == null) {
                    sender = new Thread(this::run, "cicd-notify-" + name);
                    sender.setDaemon(true);
                    sender.start();
                }
                changed.signalAll();
            }
        } finally {
            lock.unlock();
        }
        if (lost != null) {
            dropped.increment();
            LOG.warn("notification sink {}: {}; dropped the {} outcome of watch {} revision {}", name,
                    lost == d ? "closed" : "queue full (" + capacity + ")", lost.outcome().kind().label(),
                    lost.outcome().watch(), lost.outcome().revision());
        }
    }

    private void run() {
        while (true) {
            Delivery d;
            lock.lock();
            try {
                while (queue.isEmpty() && !closing) {
                    changed.await();
                }
                d = queue.pollFirst();
                if (d == null) {
                    return; // closing and nothing left
                }
                busy = true;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } finally {
                lock.unlock();
            }
            try {
                deliver(d);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                dropped.increment();
                LOG.warn("notification sink {}: stopped while sending the {} outcome of watch {} revision {}; dropped",
                        name, d.outcome().kind().label(), d.outcome().watch(), d.outcome().revision());
                return;
            } catch (RuntimeException e) {
                failed.increment();
                LOG.warn("notification sink {}: the {} outcome of watch {} revision {} was not sent: {}", name,
                        d.outcome().kind().label(), d.outcome().watch(), d.outcome().revision(), e.toString(), e);
            } finally {
                lock.lock();
                try {
                    busy = false;
                    changed.signalAll();
                } finally {
                    lock.unlock();
                }
            }
        }
    }

    /** Sends one outcome, trying again while the attempts, the retry time and the close deadline allow. */
    private void deliver(Delivery d) throws InterruptedException {
        Outcome o = d.outcome();
        MDC.put("watch", o.watch());
        MDC.put("key", o.event().key());
        MDC.put("revision", Long.toString(o.revision()));
        o.requestId().ifPresent(id -> MDC.put("requestId", id));
        try {
            byte[] payload = body.apply(o, d.targets());
            long first = System.nanoTime();
            long giveUp = first + retry.maxTime().toNanos();
            Attempt a = null;
            for (int n = 1; ; n++) {
                a = send(payload);
                if (a.sent()) {
                    sent.increment();
                    LOG.debug("notification sink {}: sent the {} outcome (attempt {})", name, o.kind().label(), n);
                    return;
                }
                long pause = retry.backoff(n).toNanos();
                long next = System.nanoTime() + pause;
                if (!a.retryable() || n >= retry.attempts() || next - giveUp > 0 || next - stopAt > 0) {
                    break;
                }
                LOG.debug("notification sink {}: attempt {} failed ({}); trying again in {} ms", name, n, a.problem(),
                        pause / 1_000_000);
                Thread.sleep(pause / 1_000_000, (int) (pause % 1_000_000));
            }
            failed.increment();
            LOG.warn("notification sink {}: the {} outcome of watch {} revision {} was not sent: {}", name,
                    o.kind().label(), o.watch(), o.revision(), a.problem());
        } finally {
            MDC.remove("watch");
            MDC.remove("key");
            MDC.remove("revision");
            MDC.remove("requestId");
        }
    }

    private Attempt send(byte[] payload) throws InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(timeout)
                .header("Content-Type", "application/json; charset=utf-8")
                .header("User-Agent", "cicd-runner")
                .POST(HttpRequest.BodyPublishers.ofByteArray(payload));
        headers.forEach(b::header);
        secret.ifPresent(s -> b.header(NotificationBodies.SIGNATURE_HEADER, NotificationBodies.signature(s, payload)));
        try {
            HttpResponse<Void> r = http.get().send(b.build(), HttpResponse.BodyHandlers.discarding());
            int code = r.statusCode();
            if (code >= 200 && code < 300) {
                return new Attempt(true, false, "");
            }
            return new Attempt(false, code == 429 || code == 408 || code >= 500, "HTTP " + code + " from " + safeUri());
        } catch (IOException e) {
            return new Attempt(false, true, e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()) + " (" + safeUri() + ")");
        }
    }

    /** The URL without its path and query (a Slack webhook's path is its secret). */
    private String safeUri() {
        return uri.getScheme() + "://" + uri.getAuthority() + "/...";
    }

    /**
     * Stops taking outcomes; the sender goes on with what is queued until {@code deadlineNanos} (a
     * {@link System#nanoTime()} value). Returns at once; {@link #awaitStopped} waits.
     */
    void shutdown(long deadlineNanos) {
        lock.lock();
        try {
            closing = true;
            stopAt = deadlineNanos;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * After {@link #shutdown}: waits for the sender until {@code deadlineNanos}, then interrupts it; whatever is
     * still queued counts as dropped.
     */
    void awaitStopped(long deadlineNanos) {
        Thread t;
        lock.lock();
        try {
            t = sender;
        } finally {
            lock.unlock();
        }
        if (t != null) {
            try {
                t.join(Math.max(1, (deadlineNanos - System.nanoTime()) / 1_000_000));
                if (t.isAlive()) {
                    t.interrupt();
                    t.join(1000);
                }
            } catch (InterruptedException e) {
                t.interrupt();
                Thread.currentThread().interrupt();
            }
        }
        int left;
        lock.lock();
        try {
            left = queue.size();
            queue.clear();
        } finally {
            lock.unlock();
        }
        if (left > 0) {
            dropped.increment(left);
            LOG.warn("notification sink {}: {} outcome(s) still queued at shutdown were dropped", name, left);
        }
    }

    /** Whether nothing is queued or being sent (for tests and close). */
    boolean idle() {
        lock.lock();
        try {
            return queue.isEmpty() && !busy;
        } finally {
            lock.unlock();
        }
    }

    /** The one {@link HttpClient} of all sinks, built at the first request (it starts a thread). */
    static final class HttpClientHolder {
        private HttpClient client;

        synchronized HttpClient get() {
            if (client == null) {
                // no client-wide connect timeout: each request's timeout bounds it
                client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
            }
            return client;
        }
    }
}
