package dev.cicd.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cicd.core.support.OverInMemory;
import dev.cicd.core.support.Recorder;
import dev.cicd.core.support.Templates;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A store with a {@link StateStore#checkpointInterval()} (a sharded etcd group's, whose checkpoint is one
 * write per shard): between two checkpoint writes, outcomes are committed without checkpoints; the
 * checkpoint follows when the interval is over, and when the pipeline stops.
 */
@Timeout(60)
class CheckpointIntervalTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path tmp;

    /** An in-memory store that keeps the checkpoints each commit carried. */
    static final class SlowCheckpoints extends OverInMemory {
        final List<Long> carried = new CopyOnWriteArrayList<>();
        private final Duration interval;

        SlowCheckpoints(Duration interval) {
            this.interval = interval;
        }

        @Override
        public Duration checkpointInterval() {
            return interval;
        }

        @Override
        public int maxConcurrentCommits() {
            return 2;
        }

        @Override
        public void commit(Batch batch) {
            inner.commit(batch);
            if (batch.checkpoints().containsKey("w")) {
                carried.add(batch.checkpoints().get("w"));
            }
        }
    }

    private Pipeline pipeline(InMemoryTriggerSource source, StateStore state, Recorder sink) {
        Pipeline p = Pipeline.builder().source(source).renderer(Templates.of("t", "{{ value }}")).sink(sink)
                .workDir(tmp.resolve("work")).parallelism(4).state(state)
                .action("a", (plan, ctx) -> ActionResult.applied("")).closeTimeout(Duration.ofSeconds(5))
                .watch(WatchSpec.builder("w").prefix("/w").template("t").action("a").dedupe(false).build())
                .build();
        p.start();
        return p;
    }

    @Test
    void outcomesAreCommittedWithoutCheckpointsWithinTheIntervalAndTheCheckpointFollowsWhenThePipelineStops()
            throws Exception {
        InMemoryTriggerSource source = new InMemoryTriggerSource();
        SlowCheckpoints store = new SlowCheckpoints(Duration.ofHours(1));
        Recorder sink = new Recorder();
        Pipeline p = pipeline(source, store, sink);
        long last = 0;
        for (int i = 0; i < 40; i++) {
            last = source.put("/w/t" + i, "v" + i);
        }
        sink.await(40, WAIT);
        assertTrue(p.awaitIdle(WAIT));
        assertEquals(40, store.inner.outcomes().size(), "every outcome committed meanwhile");
        assertTrue(store.carried.size() <= 1, "at most the first commit carried a checkpoint: " + store.carried);
        assertTrue(store.inner.checkpoint("w").orElse(0) < last, "the stored checkpoint is behind until the interval "
                + "is over: " + store.inner.checkpoint("w"));

        p.close();
        assertEquals(OptionalLong.of(last), store.inner.checkpoint("w"), "stopping writes the checkpoint");
    }

    @Test
    void theCheckpointFollowsOnceTheIntervalIsOverWithNothingElseToCommit() throws Exception {
        InMemoryTriggerSource source = new InMemoryTriggerSource();
        SlowCheckpoints store = new SlowCheckpoints(Duration.ofMillis(300));
        Recorder sink = new Recorder();
        Pipeline p = pipeline(source, store, sink);
        try {
            long last = 0;
            for (int i = 0; i < 40; i++) {
                last = source.put("/w/t" + i, "v" + i);
            }
            sink.await(40, WAIT);
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (!store.inner.checkpoint("w").equals(OptionalLong.of(last)) && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertEquals(OptionalLong.of(last), store.inner.checkpoint("w"), "written once the interval was over");
        } finally {
            p.close();
        }
    }
}
