package dev.cicd.etcd.internal;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/** What a runner's shard membership counts, for its metrics. Thread-safe. */
public final class ShardCounters {

    private final AtomicLong rebalances = new AtomicLong();
    private final AtomicLong lastHandoverNanos = new AtomicLong(-1);

    void rebalanced() {
        rebalances.incrementAndGet();
    }

    void handedOver(long nanos) {
        lastHandoverNanos.set(Math.max(0, nanos));
    }

    /** How many times the group's assignment changed while this runner was a member. */
    public long rebalances() {
        return rebalances.get();
    }

    /** From a shard being assigned to this runner to holding its key, for the last shard taken. */
    public Optional<Duration> lastHandover() {
        long n = lastHandoverNanos.get();
        return n < 0 ? Optional.empty() : Optional.of(Duration.ofNanos(n));
    }
}
