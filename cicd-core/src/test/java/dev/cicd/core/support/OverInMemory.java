package dev.cicd.core.support;

import dev.cicd.core.InMemoryStateStore;
import dev.cicd.core.StateStore;
import java.util.Optional;

/** A test store over an {@link InMemoryStateStore}: override what the test changes, the rest is the in-memory store's. */
public abstract class OverInMemory implements StateStore {

    public final InMemoryStateStore inner;

    protected OverInMemory() {
        this(new InMemoryStateStore());
    }

    protected OverInMemory(InMemoryStateStore inner) {
        this.inner = inner;
    }

    @Override
    public WatchState load(String watch) {
        return inner.load(watch);
    }

    @Override
    public Optional<String> lastApplied(String target) {
        return inner.lastApplied(target);
    }

    @Override
    public void commit(Batch batch) {
        inner.commit(batch);
    }
}
