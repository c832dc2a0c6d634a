package dev.cicd.core;

import dev.cicd.core.support.OverInMemory;
import static dev.cicd.core.LanesTest.payloadOf;
import static dev.cicd.core.LanesTest.targeted;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cicd.core.support.Recorder;
import dev.cicd.core.support.Templates;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A store that takes several commits at once (as etcd does): batches land in any order, and still every
 * checkpoint only moves forward, never passes an outcome that is not written, the {@code latest} record
 * ends on the newest outcome, and a restart runs nothing twice.
 */
@Timeout(120)
class ConcurrentCommitsTest {

    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path tmp;

    private final InMemoryTriggerSource source = new InMemoryTriggerSource();
    private final Recorder recorder = new Recorder();
    private final List<Pipeline> pipelines = new ArrayList<>();

    @AfterEach
    void closeAll() {
        pipelines.forEach(Pipeline::close);
    }

    /**
     * {@link InMemoryStateStore} behind a random delay, up to four commits at once, a small operation
     * budget (many batches); checks on every commit what a crash right after it would leave.
     */
    static final class ConcurrentStore extends OverInMemory {
        final AtomicInteger inFlight = new AtomicInteger();
        final AtomicInteger mostInFlight = new AtomicInteger();
        final List<String> violations = new CopyOnWriteArrayList<>();
        /** Every revision put per watch (filled by the test before it is needed). */
        final Map<String, TreeSet<Long>> put = new ConcurrentHashMap<>();
        private final Map<String, TreeSet<Long>> written = new HashMap<>();
        private final Map<String, Long> checkpoints = new HashMap<>();
        final Map<String, Outcome> latest = new ConcurrentHashMap<>();

        @Override
        public void commit(Batch batch) {
            mostInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
            try {
                Thread.sleep(ThreadLocalRandom.current().nextInt(4));
                synchronized (this) {
                    inner.commit(batch);
                    for (Entry e : batch.entries()) {
                        written.computeIfAbsent(e.outcome().watch(), w -> new TreeSet<>()).add(e.outcome().revision());
                    }
                    batch.checkpoints().forEach(this::checkCheckpoint);
                    batch.latest().forEach((w, o) -> latest.put(w, o));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw CicdException.interrupted("commit", e);
            } finally {
                inFlight.decrementAndGet();
            }
        }

        private void checkCheckpoint(String watch, long cp) {
            Long before = checkpoints.put(watch, cp);
            if (before != null && cp < before) {
                violations.add(watch + ": checkpoint moved back from " + before + " to " + cp);
            }
            TreeSet<Long> all = put.getOrDefault(watch, new TreeSet<>());
            Set<Long> done = written.getOrDefault(watch, new TreeSet<>());
            for (long r : all.headSet(cp, true)) {
                if (!done.contains(r)) {
                    violations.add(watch + ": checkpoint " + cp + " passed revision " + r + ", not written");
                }
            }
        }

        @Override
        public int maxOpsPerCommit() {
            return 20;
        }

        @Override
        public int maxConcurrentCommits() {
            return 4;
        }
    }

    private Pipeline started(Action action, StateStore state) {
        Pipeline p = Pipeline.builder().source(source).renderer(Templates.of("t", "{{ value }}")).sink(recorder)
                .workDir(tmp.resolve("work")).parallelism(16).state(state).action("a", action)
                .closeTimeout(Duration.ofMillis(300))
                .watch(WatchSpec.builder("w").prefix("/w").key("/k").template("t").action("a").dedupe(false).build())
                .build();
        pipelines.add(p);
        p.start();
        return p;
    }

    /** Puts {@code perTarget} values to each of {@code targets} targets, round robin; records the revisions. */
    private void burst(ConcurrentStore state, int targets, int perTarget, String tag) {
        TreeSet<Long> revisions = state.put.computeIfAbsent("w", w -> new TreeSet<>());
        for (int i = 0; i < perTarget; i++) {
            for (int t = 0; t < targets; t++) {
                synchronized (revisions) {
                    revisions.add(source.put("/w/k", "app" + t + ":" + tag + i));
                }
            }
        }
    }

    @Test
    void batchesLandingInAnyOrderKeepTheCheckpointBehindEveryUnwrittenOutcome() throws Exception {
        ConcurrentStore state = new ConcurrentStore();
        Map<String, List<String>> ran = new ConcurrentHashMap<>();
        Pipeline p = started(targeted((plan, ctx) -> {
            String payload = payloadOf(plan);
            ran.computeIfAbsent(plan.text().substring(0, plan.text().indexOf(':')),
                    k -> new CopyOnWriteArrayList<>()).add(payload);
            return ActionResult.applied("");
        }), state);
        burst(state, 50, 40, "v");
        long last = state.put.get("w").last();
        assertTrue(source.awaitDelivered(WAIT));
        assertTrue(p.awaitIdle(WAIT));

        assertEquals(List.of(), state.violations.stream().limit(5).toList());
        assertTrue(state.mostInFlight.get() > 1, "commits overlapped: " + state.mostInFlight.get());
        assertEquals(2000, state.inner.outcomes().size(), "every value recorded once");
        for (int t = 0; t < 50; t++) {
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                expected.add("v" + i);
            }
            assertEquals(expected, ran.get("app" + t), "app" + t + " ran its values once each, in order");
        }
        long deadline = System.nanoTime() + WAIT.toNanos();
        while ((!state.inner.checkpoint("w").equals(OptionalLong.of(last)) || !state.latest.containsKey("w")
                || state.latest.get("w").revision() != last) && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertEquals(OptionalLong.of(last), state.inner.checkpoint("w"),
                "with nothing queued, a batch of checkpoints catches up what the other batches wrote");
        assertEquals(last, state.latest.get("w").revision(), "latest is the newest outcome");
    }

    @Test
    void aRestartAfterOverlappingCommitsRunsNothingTwice() throws Exception {
        ConcurrentStore state = new ConcurrentStore();
        Map<String, AtomicInteger> runs = new ConcurrentHashMap<>();
        Action count = targeted((plan, ctx) -> {
            runs.computeIfAbsent(plan.text(), k -> new AtomicInteger()).incrementAndGet();
            return ActionResult.applied("");
        });
        Pipeline first = started(count, state);
        burst(state, 20, 30, "a");
        recorder.await(200, WAIT); // a checkpoint is stored (the in-memory source replays from it)
        first.close(); // mid-burst: what is recorded stays recorded, what is not runs after the restart

        Pipeline second = started(count, state);
        burst(state, 20, 5, "b");
        assertTrue(source.awaitDelivered(WAIT));
        assertTrue(second.awaitIdle(WAIT));

        assertEquals(List.of(), state.violations.stream().limit(5).toList());
        assertEquals(20 * 35, runs.size(), "every value ran");
        runs.forEach((value, n) -> assertEquals(1, n.get(), value + " ran " + n.get() + " times"));
        assertEquals(20 * 35, state.inner.outcomes().size(), "every value has exactly one recorded outcome");
    }
}
