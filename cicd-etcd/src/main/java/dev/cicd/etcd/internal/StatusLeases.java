package dev.cicd.etcd.internal;

import io.etcd.jetcd.Client;
import java.time.Duration;

/**
 * Leases for status records. One lease is shared by the records written within a window
 * (a tenth of the TTL, at most one hour) and granted for the TTL, so each record lives
 * between TTL - window and TTL (none is older than the TTL), at the cost of one lease grant per
 * window instead of per record: at most TTL / window + 1 leases are alive at a time.
 */
final class StatusLeases {

    private final Client client;
    private final long ttlSeconds;
    private final long windowNanos;
    private final Duration requestTimeout;
    private long lease;
    private long grantedAt;

    StatusLeases(Client client, Duration ttl, Duration requestTimeout) {
        this.client = client;
        Duration window = ttl.dividedBy(10);
        if (window.compareTo(Duration.ofHours(1)) > 0) {
            window = Duration.ofHours(1);
        }
        if (window.isZero()) {
            window = Duration.ofSeconds(1);
        }
        this.windowNanos = window.toNanos();
        this.ttlSeconds = Math.max(1, ttl.toSeconds());
        this.requestTimeout = requestTimeout;
    }

    synchronized long current() {
        long now = System.nanoTime();
        if (lease == 0 || now - grantedAt > windowNanos) {
            lease = Etcd.await(client.getLeaseClient().grant(ttlSeconds), requestTimeout,
                    () -> "granting a lease of " + ttlSeconds + " s for status records").getID();
            grantedAt = now;
        }
        return lease;
    }

    synchronized void invalidate(long id) {
        if (lease == id) {
            lease = 0;
        }
    }

    synchronized void forget() {
        lease = 0;
    }
}
