package dev.cicd.core;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeSet;

/**
 * A {@link StateStore} in memory: for tests, demos and embedding without etcd. Thread-safe; every
 * {@link #commit} is atomic with respect to the reads. It keeps every recorded outcome (read them with
 * {@link #outcomes()}).
 */
public final class InMemoryStateStore implements StateStore {

    private final Map<String, Long> checkpoints = new HashMap<>();
    private final Map<String, TreeSet<Long>> recordedAbove = new HashMap<>();
    private final Map<String, String> applied = new HashMap<>();
    private final List<Outcome> outcomes = new ArrayList<>();
    private final List<SourceNotice> notices = new ArrayList<>();

    /** An empty store. */
    public InMemoryStateStore() {
    }

    /** Starts a watch at a checkpoint, as if it had processed every revision up to it. */
    public synchronized InMemoryStateStore checkpoint(String watch, long revision) {
        checkpoints.put(watch, revision);
        return this;
    }

    @Override
    public synchronized WatchState load(String watch) {
        Long cp = checkpoints.get(watch);
        TreeSet<Long> above = recordedAbove.getOrDefault(watch, new TreeSet<>());
        return new WatchState(cp == null ? OptionalLong.empty() : OptionalLong.of(cp), above);
    }

    @Override
    public synchronized Optional<String> lastApplied(String target) {
        return Optional.ofNullable(applied.get(target));
    }

    @Override
    public synchronized void commit(Batch batch) {
        for (Entry e : batch.entries()) {
            Outcome o = e.outcome();
            outcomes.add(o);
            if (o.kind() == Outcome.Kind.APPLIED && o.fingerprint().isPresent()) {
                for (String t : e.targets()) {
                    applied.put(t, o.fingerprint().get());
                }
            }
            recordedAbove.computeIfAbsent(o.watch(), w -> new TreeSet<>()).add(o.revision());
        }
        for (Map.Entry<String, Long> c : batch.checkpoints().entrySet()) {
            long cp = Math.max(c.getValue(), checkpoints.getOrDefault(c.getKey(), 0L));
            checkpoints.put(c.getKey(), cp);
            TreeSet<Long> above = recordedAbove.get(c.getKey());
            if (above != null) {
                above.headSet(cp, true).clear();
            }
        }
    }

    @Override
    public synchronized void notice(SourceNotice notice) {
        notices.add(notice);
    }

    /** The checkpoint of a watch. */
    public synchronized OptionalLong checkpoint(String watch) {
        Long cp = checkpoints.get(watch);
        return cp == null ? OptionalLong.empty() : OptionalLong.of(cp);
    }

    /** Every outcome recorded, in the order recorded. */
    public synchronized List<Outcome> outcomes() {
        return List.copyOf(outcomes);
    }

    /** Every notice recorded. */
    public synchronized List<SourceNotice> notices() {
        return List.copyOf(notices);
    }
}
