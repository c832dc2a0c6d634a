package dev.cicd.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cicd.core.support.Recorder;
import dev.cicd.core.support.Templates;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Targets and lanes: events of one target run one at a time in revision order, different targets in
 * parallel within the bound, several targets wait for all, coalescing, and exactly-once across a restart
 * with lanes that finished out of revision order.
 *
 * <p>The plans here are {@code "t1,t2:payload"}: the test action reads its targets from the text before
 * the colon, as a Kubernetes action reads {@code namespace/deployment} from its plan.
 */
@Timeout(120)
class LanesTest {

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

    /** An action whose targets are the plan's text before ':'; runs {@code body}. */
    static Action targeted(Action body) {
        return new Action() {
            @Override
            public ActionResult execute(Plan plan, ActionContext context) {
                return body.execute(plan, context);
            }

            @Override
            public Set<String> targets(Plan plan) {
                String head = plan.text().substring(0, Math.max(0, plan.text().indexOf(':')));
                return head.isEmpty() ? Set.of() : new LinkedHashSet<>(Arrays.asList(head.split(",")));
            }
        };
    }

    static String payloadOf(Plan plan) {
        return plan.text().substring(plan.text().indexOf(':') + 1);
    }

    private Pipeline started(Action action, int parallelism, StateStore state, WatchSpec.Coalesce coalesce) {
        Pipeline p = Pipeline.builder().source(source).renderer(Templates.of("t", "{{ value }}")).sink(recorder)
                .workDir(tmp.resolve("work")).parallelism(parallelism).state(state).action("a", action)
                .closeTimeout(Duration.ofMillis(300))
                .watch(WatchSpec.builder("w").prefix("/w").key("/k").template("t").action("a").dedupe(false)
                        .coalesce(coalesce).build())
                .build();
        pipelines.add(p);
        p.start();
        return p;
    }

    private Pipeline started(Action action, int parallelism) {
        return started(action, parallelism, new InMemoryStateStore(), WatchSpec.Coalesce.NONE);
    }

    @Test
    void aSlowTargetDoesNotDelayAnotherTarget() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        started(targeted((plan, ctx) -> {
            if (payloadOf(plan).equals("slow")) {
                await(release);
            }
            return ActionResult.applied("");
        }), 4);
        long slow = source.put("/w/k", "app-a:slow");
        long fast = source.put("/w/k", "app-b:fast");
        Outcome first = recorder.await(1, WAIT).get(0);
        assertEquals(fast, first.revision(), "app-b's verdict came while app-a was still rolling out");
        release.countDown();
        assertEquals(slow, recorder.await(2, WAIT).get(1).revision());
    }

    @Test
    void eventsOfOneTargetRunOneAtATimeInRevisionOrderUnderABurst() throws Exception {
        Map<String, AtomicInteger> running = new ConcurrentHashMap<>();
        Map<String, List<Long>> order = new ConcurrentHashMap<>();
        AtomicInteger overlaps = new AtomicInteger();
        Pipeline p = started(targeted((plan, ctx) -> {
            String target = plan.text().substring(0, plan.text().indexOf(':'));
            if (running.computeIfAbsent(target, t -> new AtomicInteger()).incrementAndGet() > 1) {
                overlaps.incrementAndGet();
            }
            order.computeIfAbsent(target, t -> new CopyOnWriteArrayList<>()).add(plan.event().modRevision());
            Thread.onSpinWait();
            running.get(target).decrementAndGet();
            return ActionResult.applied("");
        }), 8);
        Map<String, List<Long>> put = new java.util.HashMap<>();
        for (int i = 0; i < 1000; i++) {
            String target = "app-" + (i % 20);
            put.computeIfAbsent(target, t -> new ArrayList<>()).add(source.put("/w/k", target + ":v" + i));
        }
        assertTrue(source.awaitDelivered(WAIT));
        assertTrue(p.awaitIdle(WAIT));
        assertEquals(0, overlaps.get(), "two events of one target never run at once");
        assertEquals(put, order, "each target saw its values in revision order");
        assertEquals(1000, p.stats("w").count(Outcome.Kind.APPLIED));
        assertEquals(source.revision(), p.stats("w").lastRevision());
    }

    @Test
    void noMoreThanParallelismEventsRunAtOnce() throws Exception {
        AtomicInteger now = new AtomicInteger();
        AtomicInteger max = new AtomicInteger();
        Pipeline p = started(targeted((plan, ctx) -> {
            max.accumulateAndGet(now.incrementAndGet(), Math::max);
            sleep(50);
            now.decrementAndGet();
            return ActionResult.applied("");
        }), 5);
        for (int i = 0; i < 30; i++) {
            source.put("/w/k", "app-" + i + ":v");
        }
        assertTrue(source.awaitDelivered(WAIT));
        assertTrue(p.awaitIdle(WAIT));
        assertEquals(5, max.get(), "30 targets, parallelism 5");
    }

    @Test
    void aPlanTouchingSeveralTargetsWaitsForAllAndKeepsEachTargetsOrder() throws Exception {
        CountDownLatch releaseA = new CountDownLatch(1);
        List<String> ran = new CopyOnWriteArrayList<>();
        Pipeline p = started(targeted((plan, ctx) -> {
            if (payloadOf(plan).equals("first")) {
                await(releaseA);
            }
            ran.add(payloadOf(plan));
            return ActionResult.applied("");
        }), 8);
        source.put("/w/k", "a:first");      // holds a
        source.put("/w/k", "a,b:both");     // waits for a, holds b's queue
        source.put("/w/k", "b:after-both"); // behind "both" in b's queue
        source.put("/w/k", "c:free");       // nothing in its way
        assertEquals("free", payloadOf(recorder.await(1, WAIT).get(0)));
        releaseA.countDown();
        assertTrue(source.awaitDelivered(WAIT));
        assertTrue(p.awaitIdle(WAIT));
        assertEquals(List.of("free", "first", "both", "after-both"), ran);
    }

    private static String payloadOf(Outcome o) {
        return o.event().text().substring(o.event().text().indexOf(':') + 1);
    }

    @Test
    void coalesceLatestRunsOnlyTheNewestQueuedValueAndSupersedesTheRest() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch sentinel = new CountDownLatch(1);
        List<String> ran = new CopyOnWriteArrayList<>();
        Pipeline p = started(targeted((plan, ctx) -> {
            if (payloadOf(plan).equals("v1")) {
                await(release);
            }
            if (payloadOf(plan).equals("sentinel")) {
                sentinel.countDown();
                return ActionResult.applied("");
            }
            ran.add(payloadOf(plan));
            return ActionResult.applied("");
        }), 4, new InMemoryStateStore(), WatchSpec.Coalesce.LATEST);
        source.put("/w/k", "app:v1");
        long r2 = source.put("/w/k", "app:v2");
        long r3 = source.put("/w/k", "app:v3");
        long r4 = source.put("/w/k", "app:v4");
        source.put("/w/k", "other:sentinel"); // rendered after v4: once it ran, v4 is queued behind v1
        assertTrue(sentinel.await(60, TimeUnit.SECONDS));
        release.countDown();
        assertTrue(source.awaitDelivered(WAIT));
        assertTrue(p.awaitIdle(WAIT));
        assertEquals(List.of("v1", "v4"), ran);
        List<Outcome> superseded = recorder.outcomes().stream().filter(o -> o.kind() == Outcome.Kind.SUPERSEDED).toList();
        assertEquals(List.of(r2, r3), superseded.stream().map(Outcome::revision).toList());
        for (Outcome o : superseded) {
            assertTrue(o.reason().contains("superseded by revision " + r4), "names the value that ran: " + o.reason());
        }
        assertEquals(5, recorder.outcomes().size(), "one outcome per value");
        assertEquals(source.revision(), p.stats("w").lastRevision());
    }

    @Test
    void theCheckpointNeverPassesARevisionStillRunning() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        InMemoryStateStore state = new InMemoryStateStore();
        Pipeline p = started(targeted((plan, ctx) -> {
            if (payloadOf(plan).equals("slow")) {
                await(release);
            }
            return ActionResult.applied("");
        }), 4, state, WatchSpec.Coalesce.NONE);
        long slow = source.put("/w/k", "a:slow");
        long b1 = source.put("/w/k", "b:1");
        long b2 = source.put("/w/k", "b:2");
        recorder.await(2, WAIT);
        assertEquals(OptionalLong.of(slow - 1), state.checkpoint("w"));
        assertEquals(Set.of(b1, b2), state.load("w").recordedAbove());
        release.countDown();
        assertTrue(p.awaitIdle(WAIT));
        assertEquals(OptionalLong.of(b2), state.checkpoint("w"));
        assertEquals(Set.of(), state.load("w").recordedAbove());
    }

    @Test
    void aRestartRunsAgainOnlyTheEventThatWasInFlight() throws Exception {
        InMemoryStateStore state = new InMemoryStateStore();
        List<String> ran = new CopyOnWriteArrayList<>();
        CountDownLatch stuck = new CountDownLatch(1);
        Action first = targeted((plan, ctx) -> {
            ran.add(payloadOf(plan));
            if (payloadOf(plan).equals("slow")) {
                stuck.countDown();
                try {
                    Thread.sleep(60_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return ActionResult.failed("interrupted by close", "");
                }
            }
            return ActionResult.applied("");
        });
        Pipeline p1 = started(first, 4, state, WatchSpec.Coalesce.NONE);
        source.put("/w/k", "a:slow");
        source.put("/w/k", "b:1");
        source.put("/w/k", "b:2");
        assertTrue(stuck.await(10, TimeUnit.SECONDS));
        recorder.await(2, WAIT);
        p1.close(); // interrupts "slow": not recorded

        List<String> ranAfter = new CopyOnWriteArrayList<>();
        Pipeline p2 = started(targeted((plan, ctx) -> {
            ranAfter.add(payloadOf(plan));
            return ActionResult.applied("");
        }), 4, state, WatchSpec.Coalesce.NONE);
        long last = source.put("/w/k", "b:3");
        assertTrue(source.awaitDelivered(WAIT));
        assertTrue(p2.awaitIdle(WAIT));
        assertEquals(Set.of("slow", "3"), Set.copyOf(ranAfter),
                "b:1 and b:2 were recorded above the checkpoint: not run again");
        assertEquals(2, ranAfter.size());
        assertEquals(2, p2.stats("w").dropped());
        assertEquals(OptionalLong.of(last), state.checkpoint("w"));
        assertEquals(4, state.outcomes().size(), "every value has exactly one recorded outcome");
    }

    @Test
    void dedupeIsPerTargetAndAnyAppliedChangeToTheTargetClearsIt() throws Exception {
        List<String> ran = new CopyOnWriteArrayList<>();
        Action a = targeted((plan, ctx) -> {
            ran.add(plan.text());
            return ActionResult.applied("");
        });
        Pipeline p = Pipeline.builder().source(source).renderer(Templates.of("t", "{{ value }}")).sink(recorder)
                .workDir(tmp.resolve("work")).action("a", a)
                .watch(WatchSpec.builder("w").prefix("/w").key("/k").template("t").action("a").build())
                .build();
        pipelines.add(p);
        p.start();
        source.put("/w/k", "app:v7");
        source.put("/w/k", "other:v7");   // another target: not in sync with app's
        source.put("/w/k", "app:v7");     // in sync
        source.put("/w/k", "app:undo");   // a change to app
        source.put("/w/k", "app:v7");     // runs again
        assertTrue(source.awaitDelivered(WAIT));
        assertTrue(p.awaitIdle(WAIT));
        // the two targets run in parallel: app's runs are in order, other's is anywhere
        assertEquals(List.of("app:v7", "app:undo", "app:v7"), ran.stream().filter(t -> t.startsWith("app:")).toList());
        assertEquals(List.of("other:v7"), ran.stream().filter(t -> t.startsWith("other:")).toList());
        assertEquals(1, p.stats("w").count(Outcome.Kind.IN_SYNC));
        assertFalse(p.stats("w").halted());
    }

    @Test
    void theWatchsPositionPassesADeleteThatTriggeredNothing() throws Exception {
        Pipeline p = started(targeted((plan, ctx) -> ActionResult.applied("")), 4);
        source.put("/w/k", "app:v1");
        long deleted = source.delete("/w/k");
        assertTrue(source.awaitDelivered(WAIT));
        assertTrue(p.awaitIdle(WAIT));
        assertEquals(deleted, p.stats("w").lastRevision(), "what `once` waits for: nothing left to do");
        assertEquals(1, p.stats("w").completed());
    }

    @Test
    void aValueLargerThanTheWatchAcceptsIsRejectedBeforeRenderingAndTheWatchGoesOn() throws Exception {
        List<String> ran = new CopyOnWriteArrayList<>();
        Pipeline p = Pipeline.builder().source(source).renderer(Templates.of("t", "{{ value }}")).sink(recorder)
                .workDir(tmp.resolve("work")).action("a", targeted((plan, ctx) -> {
                    ran.add(payloadOf(plan));
                    return ActionResult.applied("");
                }))
                .watch(WatchSpec.builder("w").prefix("/w").key("/k").template("t").action("a").maxValueBytes(1024).build())
                .build();
        pipelines.add(p);
        p.start();
        long big = source.put("/w/k", "app:" + "x".repeat(2000));
        source.put("/w/k", "app:next");
        assertTrue(source.awaitDelivered(WAIT));
        assertTrue(p.awaitIdle(WAIT));
        // the rejected value's target is its key, the next value's is "app": two lanes, recorded in either order
        Outcome rejected = recorder.outcomes().stream().filter(o -> o.revision() == big).findFirst().orElseThrow();
        assertEquals(Outcome.Kind.REJECTED, rejected.kind());
        assertTrue(rejected.reason().contains("2004 bytes") && rejected.reason().contains("maxValueBytes"),
                rejected.reason());
        assertEquals(List.of("next"), ran, "nothing of the large value ran; the next value did");
    }

    /** A source the test drives by hand, whose subscription records what the pipeline asks of its flow. */
    static final class ManualSource implements TriggerSource {
        final List<String> flow = new CopyOnWriteArrayList<>();
        volatile TriggerListener listener;

        @Override
        public AutoCloseable start(List<WatchSpec> watches, Map<String, Long> checkpoints, TriggerListener l) {
            listener = l;
            return new Subscription();
        }

        final class Subscription implements AutoCloseable, TriggerSource.FlowControl {
            @Override
            public void pause(String watch) {
                flow.add("pause " + watch);
            }

            @Override
            public void resume(String watch) {
                flow.add("resume " + watch);
            }

            @Override
            public void close() {
            }
        }
    }

    @Test
    void tooManyWaitingEventsPauseTheWatchsSourceAndItResumesWhenHalfAreDone() throws Exception {
        ManualSource manual = new ManualSource();
        CountDownLatch release = new CountDownLatch(1);
        Pipeline p = Pipeline.builder().source(manual).renderer(Templates.of("t", "{{ value }}")).sink(recorder)
                .workDir(tmp.resolve("work")).maxQueuedEvents(10).action("a", targeted((plan, ctx) -> {
                    await(release);
                    return ActionResult.applied("");
                }))
                .watch(WatchSpec.builder("w").prefix("/w").key("/k").template("t").action("a").build()).build();
        pipelines.add(p);
        p.start();
        for (int i = 1; i <= 12; i++) {
            manual.listener.onEvent(TriggerEvent.put("w", "/w/k", "app:v" + i, i));
        }
        assertEquals(List.of("pause w"), manual.flow, "the tenth waiting event paused the source, once");
        release.countDown();
        assertTrue(p.awaitIdle(WAIT));
        assertEquals(List.of("pause w", "resume w"), manual.flow);
        assertEquals(12, recorder.outcomes().size(), "nothing was dropped");
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            throw CicdException.interrupted("waiting in a test action", e);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            throw CicdException.interrupted("sleeping in a test action", e);
        }
    }

    private static void waitUntil(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertTrue(condition.getAsBoolean());
    }
}
