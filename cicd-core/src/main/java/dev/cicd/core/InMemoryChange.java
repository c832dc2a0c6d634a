package dev.cicd.core;

/**
 * One change stored by {@link InMemoryTriggerSource}: a key's value (empty for a DELETE) at a revision,
 * with etcd's create revision and version (0 for a DELETE).
 */
record InMemoryChange(String key, byte[] value, EventType type, long modRevision, long createRevision,
                      long version) {

    /** Whether watch {@code w} is told about this change: its key matches and DELETEs are included if one. */
    boolean wantedBy(WatchSpec w) {
        return w.matches(key);
    }

    TriggerEvent toEvent(String watch) {
        return new TriggerEvent(watch, key, value, type, modRevision, createRevision, version);
    }
}
