package dev.cicd.core;

import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/** A {@link CheckpointStore} in memory. Thread-safe. */
public final class InMemoryCheckpointStore implements CheckpointStore {

    private final Map<String, Long> revisions = new ConcurrentHashMap<>();

    /** An empty store. */
    public InMemoryCheckpointStore() {
    }

    /** A store that starts with the given checkpoints. */
    public InMemoryCheckpointStore(Map<String, Long> initial) {
        revisions.putAll(initial);
    }

    @Override
    public OptionalLong load(String watch) {
        Long r = revisions.get(watch);
        return r == null ? OptionalLong.empty() : OptionalLong.of(r);
    }

    @Override
    public void save(String watch, long revision) {
        if (watch == null || watch.isBlank()) {
            throw new IllegalArgumentException("watch must not be blank, was '" + watch + "'");
        }
        revisions.put(watch, revision);
    }

    /** A sorted copy of all checkpoints. */
    public Map<String, Long> snapshot() {
        return new TreeMap<>(revisions);
    }
}
