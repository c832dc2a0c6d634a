package dev.cicd.core;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A {@link Deduplicator} that keeps the last applied fingerprint per watch in memory. Thread-safe.
 * Forgotten on restart: use a durable one (the etcd module's) when a restart must not re-apply.
 */
public final class InMemoryDeduplicator implements Deduplicator {

    private final Map<String, String> applied = new ConcurrentHashMap<>();

    @Override
    public Optional<String> lastApplied(String watch) {
        return Optional.ofNullable(applied.get(watch));
    }

    @Override
    public void recordApplied(Plan plan) {
        Objects.requireNonNull(plan, "plan");
        applied.put(plan.watch(), plan.fingerprint());
    }

    /** Forgets what was applied for the watch. */
    public void forget(String watch) {
        applied.remove(watch);
    }
}
