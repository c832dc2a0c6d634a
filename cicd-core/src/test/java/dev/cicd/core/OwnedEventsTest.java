package dev.cicd.core;

import static dev.cicd.core.LanesTest.payloadOf;
import static dev.cicd.core.LanesTest.targeted;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cicd.core.support.OverInMemory;
import dev.cicd.core.support.Recorder;
import dev.cicd.core.support.Templates;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A store that owns part of the targets ({@link StateStore#owns}): the pipeline carries out only those
 * events, passes the rest without an outcome, and its stored checkpoint still moves over the passed ones.
 */
@Timeout(60)
class OwnedEventsTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path tmp;

    private final InMemoryTriggerSource source = new InMemoryTriggerSource();
    private final List<Pipeline> pipelines = new ArrayList<>();

    @AfterEach
    void closeAll() {
        pipelines.forEach(Pipeline::close);
    }

    /** An in-memory store owning the targets {@code owned} accepts. */
    static final class PartStore extends OverInMemory {
        private final Predicate<String> owned;

        PartStore(Predicate<String> owned) {
            this.owned = owned;
        }

        @Override
        public boolean owns(String watch, List<String> targets, long revision) {
            return owned.test(targets.get(0));
        }
    }

    private Pipeline started(Action action, StateStore state, Recorder sink, String name) {
        Pipeline p = Pipeline.builder().source(source).renderer(Templates.of("t", "{{ value }}")).sink(sink)
                .workDir(tmp.resolve(name)).parallelism(8).state(state).action("a", action)
                .closeTimeout(Duration.ofMillis(300))
                .watch(WatchSpec.builder("w").prefix("/w").key("/k").template("t").action("a").dedupe(false).build())
                .build();
        pipelines.add(p);
        p.start();
        return p;
    }

    private static boolean even(String target) {
        return Integer.parseInt(target.substring(3)) % 2 == 0;
    }

    @Test
    void twoPipelinesOwningHalfTheTargetsEachRunEveryValueOnceInOrder() throws Exception {
        Map<String, List<String>> ran = new ConcurrentHashMap<>();
        Action action = targeted((plan, ctx) -> {
            ran.computeIfAbsent(plan.text().substring(0, plan.text().indexOf(':')),
                    k -> new CopyOnWriteArrayList<>()).add(payloadOf(plan));
            return ActionResult.applied("");
        });
        PartStore evens = new PartStore(OwnedEventsTest::even);
        PartStore odds = new PartStore(t -> !even(t));
        Recorder evenSink = new Recorder();
        Recorder oddSink = new Recorder();
        started(action, evens, evenSink, "even");
        started(action, odds, oddSink, "odd");
        long last = 0;
        for (int i = 0; i < 20; i++) {
            for (int t = 0; t < 10; t++) {
                last = source.put("/w/k", "app" + t + ":v" + i);
            }
        }
        evenSink.await(100, WAIT);
        oddSink.await(100, WAIT);

        assertEquals(100, evens.inner.outcomes().size(), "the even targets' values, each once");
        assertTrue(evens.inner.outcomes().stream().allMatch(o -> even(o.event().text().split(":")[0])));
        assertEquals(100, odds.inner.outcomes().size());
        for (int t = 0; t < 10; t++) {
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                expected.add("v" + i);
            }
            assertEquals(expected, ran.get("app" + t), "app" + t + " ran its values once each, in order");
        }
        awaitCheckpoint(evens, last);
        awaitCheckpoint(odds, last);
    }

    @Test
    void aStoreOwningNothingRunsNothingAndItsCheckpointStillMovesOverThePassedEvents() throws Exception {
        List<String> ran = new CopyOnWriteArrayList<>();
        PartStore none = new PartStore(t -> false);
        Pipeline p = started(targeted((plan, ctx) -> {
            ran.add(plan.text());
            return ActionResult.applied("");
        }), none, new Recorder(), "none");
        long last = 0;
        for (int i = 0; i < 30; i++) {
            last = source.put("/w/k", "app" + i + ":v");
        }
        assertTrue(source.awaitDelivered(WAIT));
        assertTrue(p.awaitIdle(WAIT));
        awaitCheckpoint(none, last);
        assertEquals(List.of(), ran);
        assertEquals(List.of(), none.inner.outcomes());
        assertEquals(30, p.stats("w").dropped(), "passed events count as dropped");
    }

    /** Renders through {@code inner}, counting the events rendered. */
    private static Renderer counting(Renderer inner, List<String> rendered) {
        return (spec, event, keys) -> {
            rendered.add(event.key());
            return inner.render(spec, event, keys);
        };
    }

    /** An action that never names targets (a script's kind): its events' target is the key. */
    private static Action script(List<String> ran) {
        return new Action() {
            @Override
            public ActionResult execute(Plan plan, ActionContext context) {
                ran.add(plan.event().key());
                return ActionResult.applied("");
            }

            @Override
            public boolean namesTargets() {
                return false;
            }
        };
    }

    private Pipeline keyPerTarget(Action action, StateStore state, Renderer renderer, Recorder sink) {
        Pipeline p = Pipeline.builder().source(source).renderer(renderer).sink(sink).workDir(tmp.resolve("keys"))
                .parallelism(4).state(state).action("a", action).closeTimeout(Duration.ofMillis(300))
                .watch(WatchSpec.builder("w").prefix("/w").template("t").action("a").dedupe(false).build())
                .build();
        pipelines.add(p);
        p.start();
        return p;
    }

    @Test
    void anotherRunnersEventWhoseTargetIsItsKeyIsPassedWithoutBeingRendered() throws Exception {
        List<String> rendered = new CopyOnWriteArrayList<>();
        List<String> ran = new CopyOnWriteArrayList<>();
        PartStore evens = new PartStore(key -> Integer.parseInt(key.substring(key.lastIndexOf('/') + 2)) % 2 == 0);
        Recorder sink = new Recorder();
        Pipeline p = keyPerTarget(script(ran), evens, counting(Templates.of("t", "{{ value }}"), rendered), sink);
        for (int i = 0; i < 20; i++) {
            source.put("/w/t" + i, "v" + i);
        }
        sink.await(10, WAIT);
        assertTrue(source.awaitDelivered(WAIT));
        assertTrue(p.awaitIdle(WAIT));
        List<String> evenKeys = new ArrayList<>();
        for (int i = 0; i < 20; i += 2) {
            evenKeys.add("/w/t" + i);
        }
        assertEquals(evenKeys, rendered, "only this runner's events are rendered");
        assertEquals(evenKeys, ran.stream().sorted((a, b) -> Integer.compare(
                Integer.parseInt(a.substring(4)), Integer.parseInt(b.substring(4)))).toList());
        assertEquals(10, p.stats("w").dropped(), "the others are passed");
    }

    @Test
    void anEventOfAnActionThatMayNameTargetsIsRenderedBeforeItsOwnerIsKnown() throws Exception {
        List<String> rendered = new CopyOnWriteArrayList<>();
        PartStore none = new PartStore(t -> false);
        Pipeline p = keyPerTarget((plan, ctx) -> ActionResult.applied(""), none,
                counting(Templates.of("t", "{{ value }}"), rendered), new Recorder());
        for (int i = 0; i < 5; i++) {
            source.put("/w/t" + i, "v" + i);
        }
        assertTrue(source.awaitDelivered(WAIT));
        assertTrue(p.awaitIdle(WAIT));
        assertEquals(5, rendered.size(), "its targets are only known from the plan: " + rendered);
        assertEquals(5, p.stats("w").dropped());
    }

    private static void awaitCheckpoint(PartStore store, long last) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!store.inner.checkpoint("w").equals(OptionalLong.of(last)) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(OptionalLong.of(last), store.inner.checkpoint("w"), "the stored checkpoint reaches the last revision");
    }
}
