package dev.cicd.etcd.internal;

import io.etcd.jetcd.Client;
import io.etcd.jetcd.lease.LeaseGrantResponse;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One lease of an {@link ElectionLoop} campaign: granted, kept alive with a keep-alive every TTL/4,
 * tracked until when it is surely alive on the server (send time of the last acknowledged keep-alive +
 * TTL - margin), and revoked when the campaign ends.
 */
final class ElectionLease {

    private static final Logger LOG = LoggerFactory.getLogger(ElectionLease.class);

    private final Client client;
    private final ScheduledExecutorService keepAlives;
    private final Duration requestTimeout;
    private final String description;
    private final BiConsumer<Long, String> onNotFound;
    private final long lease;
    private final long ttlNanos;
    private final long marginNanos;
    private final AtomicBoolean inFlight = new AtomicBoolean();
    private volatile long validUntil;
    private ScheduledFuture<?> task;

    private ElectionLease(Client client, Duration requestTimeout, ScheduledExecutorService keepAlives,
            String description, BiConsumer<Long, String> onNotFound, long lease, long ttlSeconds, long grantSentAt) {
        this.client = client;
        this.requestTimeout = requestTimeout;
        this.keepAlives = keepAlives;
        this.description = description;
        this.onNotFound = onNotFound;
        this.lease = lease;
        this.ttlNanos = TimeUnit.SECONDS.toNanos(ttlSeconds);
        this.marginNanos = Math.min(ttlNanos / 10, TimeUnit.MILLISECONDS.toNanos(500));
        this.validUntil = grantSentAt + ttlNanos - marginNanos;
    }

    /**
     * Grants a lease of {@code ttlSeconds} (etcd may grant another TTL); keep-alives start with {@link #start}.
     *
     * @param keepAlives runs the keep-alives
     * @param onNotFound told (lease id, why) when etcd no longer knows the lease
     */
    static ElectionLease grant(Client client, long ttlSeconds, Duration requestTimeout, String description,
            ScheduledExecutorService keepAlives, BiConsumer<Long, String> onNotFound) {
        long sentAt = System.nanoTime();
        LeaseGrantResponse grant = Etcd.await(client.getLeaseClient().grant(ttlSeconds), requestTimeout,
                () -> description + ": granting a lease of " + ttlSeconds + " s");
        return new ElectionLease(client, requestTimeout, keepAlives, description, onNotFound, grant.getID(),
                grant.getTTL() > 0 ? grant.getTTL() : ttlSeconds, sentAt);
    }

    long id() {
        return lease;
    }

    void start() {
        long period = Math.max(100, TimeUnit.NANOSECONDS.toMillis(ttlNanos) / 4);
        task = keepAlives.scheduleAtFixedRate(this::ping, period, period, TimeUnit.MILLISECONDS);
    }

    void stop() {
        if (task != null) {
            task.cancel(false);
        }
    }

    /** Whether the lease is surely still alive on the server. */
    boolean valid() {
        return System.nanoTime() - validUntil < 0;
    }

    /** Revokes the lease, waiting at most 2 s (or the request timeout if shorter); failures are only logged. */
    void revokeQuietly() {
        try {
            client.getLeaseClient().revoke(lease).get(Math.min(2000, requestTimeout.toMillis()), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            LOG.debug("{}: revoking lease {} failed: {}", description, Long.toHexString(lease), e.toString());
        }
    }

    private void ping() {
        if (!inFlight.compareAndSet(false, true)) {
            return;
        }
        long sent = System.nanoTime();
        try {
            client.getLeaseClient().keepAliveOnce(lease)
                    .orTimeout(Math.max(200, TimeUnit.NANOSECONDS.toMillis(ttlNanos) / 2), TimeUnit.MILLISECONDS)
                    .whenComplete((r, t) -> {
                        inFlight.set(false);
                        if (t == null && r.getTTL() > 0) {
                            long until = sent + TimeUnit.SECONDS.toNanos(r.getTTL()) - marginNanos;
                            if (until - validUntil > 0) {
                                validUntil = until;
                            }
                        } else if (t != null && Etcd.isLeaseNotFound(t)) {
                            onNotFound.accept(lease, "etcd does not know lease " + Long.toHexString(lease));
                        } else if (t != null) {
                            LOG.debug("{}: keep-alive of lease {} failed: {}", description,
                                    Long.toHexString(lease), Etcd.describe(Etcd.unwrap(t)));
                        }
                    });
        } catch (RuntimeException e) {
            inFlight.set(false);
            LOG.debug("{}: keep-alive of lease {} failed: {}", description, Long.toHexString(lease), e.toString());
        }
    }
}
