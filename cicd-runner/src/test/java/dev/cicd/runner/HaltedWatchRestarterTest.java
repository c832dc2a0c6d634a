package dev.cicd.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cicd.core.ActionResult;
import dev.cicd.core.CicdException;
import dev.cicd.core.InMemoryStateStore;
import dev.cicd.core.InMemoryTriggerSource;
import dev.cicd.core.Outcome;
import dev.cicd.core.PebbleRenderer;
import dev.cicd.core.Pipeline;
import dev.cicd.core.StateStore;
import dev.cicd.core.WatchSpec;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class HaltedWatchRestarterTest {

    @Test
    void aWatchHaltedBecauseItsStateCouldNotBeWrittenIsRestartedFromTheCheckpointOnceTheStoreIsBack()
            throws Exception {
        InMemoryTriggerSource source = new InMemoryTriggerSource();
        InMemoryStateStore memory = new InMemoryStateStore();
        AtomicBoolean down = new AtomicBoolean(true);
        StateStore flaky = new StateStore() {
            @Override
            public WatchState load(String watch) {
                return memory.load(watch);
            }

            @Override
            public Optional<String> lastApplied(String target) {
                return memory.lastApplied(target);
            }

            @Override
            public void commit(Batch batch) {
                if (down.get()) {
                    throw new CicdException(CicdException.Code.SOURCE, "etcd unreachable for 30 s");
                }
                memory.commit(batch);
            }
        };
        WatchSpec w = WatchSpec.builder("w").prefix("/w").key("/k").template("t").action("a").build();
        PebbleRenderer renderer = PebbleRenderer.builder().classpathPrefix(null).template("t", "{{ value }}").build();
        java.util.function.Supplier<Pipeline> factory = () -> Pipeline.builder().source(source).renderer(renderer)
                .state(flaky).watch(w).action("a", (plan, ctx) -> ActionResult.applied("")).build();
        AtomicReference<Pipeline> term = new AtomicReference<>(factory.get());
        List<List<String>> restarts = new CopyOnWriteArrayList<>();
        term.get().start();
        try (HaltedWatchRestarter restarter = new HaltedWatchRestarter(term, factory, () -> true, restarts::add)) {
            restarter.start();
            long rev = source.put("/w/k", "v1");
            long deadline = System.nanoTime() + 20_000_000_000L;
            while (!term.get().stats("w").halted() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertTrue(term.get().stats("w").halted(), "not even a failed record could be written: halted");
            down.set(false);
            while (memory.outcomes().isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertEquals(List.of(rev), memory.outcomes().stream().map(Outcome::revision).toList());
            assertEquals(Outcome.Kind.APPLIED, memory.outcomes().get(0).kind());
            assertEquals(List.of("w"), restarts.get(0));
            assertTrue(!term.get().stats("w").halted());
        } finally {
            term.get().close();
        }
    }
}
