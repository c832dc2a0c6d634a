package dev.cicd.core;

import dev.cicd.core.support.OverInMemory;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cicd.core.internal.process.ProcessTree;
import dev.cicd.core.support.Recorder;
import dev.cicd.core.support.Templates;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.MDC;

@Timeout(120)
class PipelineTest {

    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String KEY = "/cicd/rollout/trigger";
    /** The recipe's rollout, as a script that appends "revision tag" to $OUT. */
    private static final String ROLLOUT = "printf '%s %s\\n' \"$CICD_REVISION\" {{ data.imageTag | sh }} >> \"$OUT\"\n";

    @TempDir
    Path tmp;

    private final InMemoryTriggerSource source = new InMemoryTriggerSource();
    private final Recorder recorder = new Recorder();
    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : toClose) {
            c.close();
        }
    }

    private static WatchSpec rollout() {
        return WatchSpec.builder("rollout").prefix("/cicd/rollout").key("/trigger").template("rollout").action("shell")
                .build();
    }

    private static String payload(String tag) {
        return "{\"action\":\"deploy\",\"k8sNamespace\":\"ns-demo1-dev\",\"appName\":\"demo1\",\"svcName\":\"gateway\","
                + "\"imageTag\":\"" + tag + "\"}";
    }

    private Path out() {
        return tmp.resolve("out.txt");
    }

    private ShellAction shell() {
        return ShellAction.builder().env("OUT", out().toString()).env("MARK", tmp.resolve("marker").toString())
                .env("FLAG", tmp.resolve("flag").toString()).env("PIDS", tmp.resolve("pids").toString())
                .killGrace(Duration.ofMillis(500)).build();
    }

    private Pipeline.Builder base(Renderer renderer) {
        return Pipeline.builder().source(source).renderer(renderer).sink(recorder).workDir(tmp.resolve("work"));
    }

    private Pipeline started(Pipeline.Builder b) {
        Pipeline p = b.build();
        toClose.add(p);
        p.start();
        return p;
    }

    private List<String> outLines() throws Exception {
        return Files.exists(out()) ? Files.readAllLines(out()) : List.of();
    }

    private static List<Outcome.Kind> kinds(List<Outcome> outcomes) {
        return outcomes.stream().map(Outcome::kind).toList();
    }

    // ---- the recipe's self-test ----

    @Test
    void tenDistinctPutsApplyTenTimesInRevisionOrder() throws Exception {
        Pipeline p = started(base(Templates.of("rollout", ROLLOUT)).watch(rollout()).action("shell", shell()));
        List<String> expected = new ArrayList<>();
        List<Long> revisions = new ArrayList<>();
        for (int i = 1; i <= 10; i++) {
            long rev = source.put(KEY, payload("v" + i));
            revisions.add(rev);
            expected.add(rev + " v" + i);
        }
        List<Outcome> outcomes = recorder.await(10, WAIT);
        assertEquals(Collections.nCopies(10, Outcome.Kind.APPLIED), kinds(outcomes));
        assertEquals(revisions, outcomes.stream().map(Outcome::revision).toList());
        assertEquals(expected, outLines());
        Pipeline.WatchStats stats = p.stats("rollout");
        assertEquals(10, stats.received());
        assertEquals(10, stats.count(Outcome.Kind.APPLIED));
        assertEquals(revisions.get(9), stats.lastRevision());
    }

    @Test
    void tenIdenticalPutsApplyOnceAndAreNineTimesInSync() throws Exception {
        Pipeline p = started(base(Templates.of("rollout", ROLLOUT)).watch(rollout()).action("shell", shell()));
        for (int i = 0; i < 10; i++) {
            source.put(KEY, payload("v1"));
        }
        List<Outcome> outcomes = recorder.await(10, WAIT);
        assertEquals(Outcome.Kind.APPLIED, outcomes.get(0).kind());
        assertEquals(Collections.nCopies(9, Outcome.Kind.IN_SYNC), kinds(outcomes.subList(1, 10)));
        assertEquals(1, outLines().size());
        assertEquals(9, p.stats("rollout").count(Outcome.Kind.IN_SYNC));
        assertTrue(outcomes.stream().allMatch(o -> o.fingerprint().equals(outcomes.get(0).fingerprint())));
    }

    @Test
    void aFailedRunDoesNotBlockARetryOfTheSameValue() throws Exception {
        // fails the first time (and leaves a flag), succeeds after
        String template = "if [ ! -e \"$FLAG\" ]; then touch \"$FLAG\"; echo failing; exit 1; fi\n" + ROLLOUT;
        started(base(Templates.of("rollout", template)).watch(rollout()).action("shell", shell()));
        for (int i = 0; i < 3; i++) {
            source.put(KEY, payload("v1"));
        }
        List<Outcome> outcomes = recorder.await(3, WAIT);
        assertEquals(List.of(Outcome.Kind.FAILED, Outcome.Kind.APPLIED, Outcome.Kind.IN_SYNC), kinds(outcomes));
        assertEquals("exit code 1", outcomes.get(0).reason());
        assertEquals(1, outcomes.get(0).exitCode().getAsInt());
        assertTrue(outcomes.get(0).output().contains("failing"));
        assertEquals(1, outLines().size());
    }

    // ---- bad input and failures: one outcome each, and the next event runs ----

    @Test
    void malformedJsonIsRejectedNamingTheKeyAndTheNextEventRuns() throws Exception {
        started(base(Templates.of("rollout", ROLLOUT)).watch(rollout()).action("shell", shell()));
        long bad = source.put(KEY, "{\"imageTag\": v1");
        source.put(KEY, payload("v2"));
        List<Outcome> outcomes = recorder.await(2, WAIT);
        assertEquals(List.of(Outcome.Kind.REJECTED, Outcome.Kind.APPLIED), kinds(outcomes));
        String reason = outcomes.get(0).reason();
        assertTrue(reason.contains(KEY) && reason.contains("revision " + bad) && reason.contains("not valid JSON"), reason);
        assertTrue(outcomes.get(0).fingerprint().isEmpty());
        assertEquals(1, outLines().size(), "nothing ran for the rejected value");
    }

    @Test
    void aFieldThePayloadLacksIsRejectedNamingItAndTheTemplateAndTheNextEventRuns() throws Exception {
        String template = "{% if data.mode == \"typo\" %}echo {{ data.imageTagg }}{% endif %}\n" + ROLLOUT;
        started(base(Templates.of("rollout", template)).watch(rollout()).action("shell", shell()));
        source.put(KEY, "{\"mode\":\"typo\",\"imageTag\":\"v1\"}");
        source.put(KEY, "{\"mode\":\"ok\",\"imageTag\":\"v2\"}");
        List<Outcome> outcomes = recorder.await(2, WAIT);
        // a typo in the template reads like a field the payload lacks: the message names both places
        assertEquals(List.of(Outcome.Kind.REJECTED, Outcome.Kind.APPLIED), kinds(outcomes));
        String reason = outcomes.get(0).reason();
        assertTrue(reason.contains("payload field 'imageTagg' is missing") && reason.contains("'rollout'")
                && reason.contains("line 1"), reason);
        assertEquals(1, outLines().size());
    }

    @Test
    void aTemplateSyntaxErrorFailsEveryEventNamingTheTemplateWhileOtherWatchesGoOn() throws Exception {
        WatchSpec broken = WatchSpec.builder("broken").prefix("/b").key("/trigger").template("broken").action("shell")
                .build();
        started(base(Templates.of("rollout", ROLLOUT, "broken", "echo ok\necho {{ data.imageTag ) }}\necho after\n"))
                .watch(broken).watch(rollout()).action("shell", shell()));
        source.put("/b/trigger", payload("v1"));
        source.put("/b/trigger", payload("v2"));
        source.put(KEY, payload("v3"));
        recorder.await(3, WAIT);
        List<Outcome> failed = recorder.outcomes("broken");
        assertEquals(List.of(Outcome.Kind.FAILED, Outcome.Kind.FAILED), kinds(failed));
        for (Outcome o : failed) {
            assertTrue(o.reason().contains("'broken'") && o.reason().contains("line 2"), o.reason());
        }
        assertEquals(List.of(Outcome.Kind.APPLIED), kinds(recorder.outcomes("rollout")));
    }

    @Test
    void anActionThatTimesOutFailsKillsItsProcessTreeAndTheNextEventRuns() throws Exception {
        String template = """
                {% if data.mode == "hang" %}
                sleep 60 &
                echo $! > "$PIDS"
                echo $$ >> "$PIDS"
                wait
                {% endif %}
                """ + ROLLOUT;
        WatchSpec w = WatchSpec.builder("rollout").prefix("/cicd/rollout").key("/trigger").template("rollout")
                .action("shell").timeout(Duration.ofSeconds(1)).build();
        started(base(Templates.of("rollout", template)).watch(w).action("shell", shell()));
        source.put(KEY, "{\"mode\":\"hang\",\"imageTag\":\"v1\"}");
        long next = source.put(KEY, "{\"mode\":\"ok\",\"imageTag\":\"v2\"}");
        List<Outcome> outcomes = recorder.await(2, WAIT);
        assertEquals(List.of(Outcome.Kind.FAILED, Outcome.Kind.APPLIED), kinds(outcomes));
        assertTrue(outcomes.get(0).reason().startsWith("timed out after PT1S"), outcomes.get(0).reason());
        assertEquals(List.of(next + " v2"), outLines());
        List<String> pids = Files.readAllLines(tmp.resolve("pids"));
        assertEquals(2, pids.size());
        for (String pid : pids) {
            assertFalse(ProcessHandle.of(Long.parseLong(pid.trim())).map(ProcessTree::alive).orElse(false),
                    "process " + pid + " was killed");
        }
    }

    @Test
    void anActionThatThrowsFailsNamingTheExceptionAndTheNextEventRuns() {
        Action exploding = (plan, ctx) -> {
            if (plan.text().contains("explode")) {
                throw new IllegalStateException("kaboom in " + plan.event().modRevision());
            }
            return ActionResult.applied("fine");
        };
        started(base(Templates.of("t", "{{ value }}")).action("a", exploding)
                .watch(WatchSpec.builder("w").prefix("/w").key("/k").template("t").action("a").build()));
        long rev = source.put("/w/k", "explode");
        source.put("/w/k", "calm");
        List<Outcome> outcomes = recorder.await(2, WAIT);
        assertEquals(List.of(Outcome.Kind.FAILED, Outcome.Kind.APPLIED), kinds(outcomes));
        String reason = outcomes.get(0).reason();
        assertTrue(reason.contains("IllegalStateException") && reason.contains("kaboom in " + rev), reason);
        assertEquals("fine", outcomes.get(1).output());
    }

    @Test
    void aRejectionFromTheActionIsRecordedAndNotDeduplicated() {
        Action rejecting = (plan, ctx) -> ActionResult.rejected("namespace 'kube-system' is not allowed");
        started(base(Templates.of("t", "{{ value }}")).action("a", rejecting)
                .watch(WatchSpec.builder("w").prefix("/w").key("/k").template("t").action("a").build()));
        source.put("/w/k", "same");
        source.put("/w/k", "same");
        List<Outcome> outcomes = recorder.await(2, WAIT);
        assertEquals(List.of(Outcome.Kind.REJECTED, Outcome.Kind.REJECTED), kinds(outcomes));
        assertEquals("namespace 'kube-system' is not allowed", outcomes.get(0).reason());
    }

    @Test
    void anActionThatIgnoresItsTimeoutIsInterruptedAndTheWatchGoesOn() {
        AtomicBoolean laterInterrupted = new AtomicBoolean();
        Action stubborn = (plan, ctx) -> {
            if (plan.text().equals("hang")) {
                try {
                    Thread.sleep(30_000);
                    return ActionResult.applied("slept");
                } catch (InterruptedException e) {
                    throw CicdException.interrupted("sleeping", e);
                }
            }
            laterInterrupted.set(Thread.currentThread().isInterrupted());
            return ActionResult.applied("quick");
        };
        WatchSpec w = WatchSpec.builder("w").prefix("/w").key("/k").template("t").action("a")
                .timeout(Duration.ofMillis(200)).build();
        started(base(Templates.of("t", "{{ value }}")).action("a", stubborn).watch(w)
                .actionGrace(Duration.ofMillis(200)));
        source.put("/w/k", "hang");
        source.put("/w/k", "next");
        List<Outcome> outcomes = recorder.await(2, WAIT);
        assertEquals(List.of(Outcome.Kind.FAILED, Outcome.Kind.APPLIED), kinds(outcomes));
        assertTrue(outcomes.get(0).reason().contains("ran past its timeout of PT0.2S"), outcomes.get(0).reason());
        assertFalse(laterInterrupted.get(), "the next action does not inherit the interrupt");
    }

    // ---- shell injection ----

    @Test
    void aPayloadQuotedWithShNeverRunsInjectedCommands() throws Exception {
        started(base(Templates.of("rollout", "echo {{ data.imageTag | sh }} >> \"$OUT\"\n"))
                .watch(rollout()).action("shell", shell()));
        List<String> tags = List.of("v1; touch $MARK", "v1 $(touch $MARK)", "v1 `touch $MARK`", "v1' ; touch \"$MARK\" ; '",
                "v1\ntouch $MARK");
        for (String tag : tags) {
            source.put(KEY, "{\"imageTag\":" + new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(tag) + "}");
        }
        List<Outcome> outcomes = recorder.await(tags.size(), WAIT);
        assertEquals(Collections.nCopies(tags.size(), Outcome.Kind.APPLIED), kinds(outcomes), outcomes.toString());
        assertFalse(Files.exists(tmp.resolve("marker")), "the injected command never ran");
        assertEquals(String.join("\n", tags) + "\n", Files.readString(out()), "each tag was echoed literally");
    }

    @Test
    void theInjectionTestWouldNoticeAnUnquotedValue() throws Exception {
        // the control for the test above: without | sh the same payload does run the injected command
        started(base(Templates.of("rollout", "echo {{ data.imageTag }} >> \"$OUT\"\n"))
                .watch(rollout()).action("shell", shell()));
        source.put(KEY, "{\"imageTag\":\"v1; touch $MARK\"}");
        recorder.await(1, WAIT);
        assertTrue(Files.exists(tmp.resolve("marker")));
    }

    // ---- scale and order ----

    @Test
    void tenThousandEventsOverAHundredWatchesAllGetAnOutcomeInPerWatchOrder() throws Exception {
        int watches = 100;
        int perWatch = 100;
        Map<String, List<Long>> executed = new ConcurrentHashMap<>();
        Action noop = (plan, ctx) -> {
            executed.computeIfAbsent(plan.watch(), k -> Collections.synchronizedList(new ArrayList<>()))
                    .add(plan.event().modRevision());
            return ActionResult.applied("");
        };
        Pipeline.Builder b = base(Templates.of("t", "deploy {{ value }}")).action("noop", noop);
        for (int w = 0; w < watches; w++) {
            b.watch(WatchSpec.builder(String.format("w%03d", w)).prefix(String.format("/t/w%03d", w)).key("/trigger")
                    .template("t").action("noop").build());
        }
        Pipeline p = started(b);
        ExecutorService writers = Executors.newFixedThreadPool(4);
        try {
            for (int t = 0; t < 4; t++) {
                int writer = t;
                writers.execute(() -> {
                    for (int i = 0; i < perWatch; i++) {
                        for (int w = writer; w < watches; w += 4) {
                            source.put(String.format("/t/w%03d/trigger", w), "v" + i);
                        }
                    }
                });
            }
        } finally {
            writers.shutdown();
            assertTrue(writers.awaitTermination(60, TimeUnit.SECONDS));
        }
        assertTrue(source.awaitDelivered(WAIT));
        assertTrue(p.awaitIdle(WAIT));
        assertEquals(watches * perWatch, recorder.outcomes().size());
        for (int w = 0; w < watches; w++) {
            String name = String.format("w%03d", w);
            List<Long> revs = recorder.outcomes(name).stream().map(Outcome::revision).toList();
            assertEquals(perWatch, revs.size(), name);
            for (int i = 1; i < revs.size(); i++) {
                assertTrue(revs.get(i) > revs.get(i - 1), name + " out of order: " + revs);
            }
            assertEquals(revs, executed.get(name), name + ": the action ran in the same order");
            assertEquals(perWatch, p.stats(name).count(Outcome.Kind.APPLIED));
        }
    }

    @Test
    void eventsAtOrBelowTheLastProcessedRevisionAreDropped() {
        TriggerSource replaying = (watches, checkpoints, listener) -> {
            for (long rev : new long[] {1, 2, 2, 1, 3}) {
                listener.onEvent(TriggerEvent.put("w", "/w/k", "v" + rev, rev));
            }
            return () -> { };
        };
        Pipeline p = Pipeline.builder().source(replaying).renderer(Templates.of("t", "{{ value }}")).sink(recorder)
                .action("a", (plan, ctx) -> ActionResult.applied(""))
                .watch(WatchSpec.builder("w").prefix("/w").key("/k").template("t").action("a").dedupe(false).build())
                .workDir(tmp).build();
        toClose.add(p);
        p.start();
        assertTrue(p.awaitIdle(WAIT));
        assertEquals(List.of(1L, 2L, 3L), recorder.outcomes().stream().map(Outcome::revision).toList());
        assertEquals(2, p.stats("w").dropped());
        assertEquals(5, p.stats("w").received());
    }

    @Test
    void theRendererSeesTheWatchesCurrentKeysRelativeToItsPrefix() {
        List<SortedMap<String, String>> seen = new CopyOnWriteArrayList<>();
        Renderer capturing = (watch, event, keys) -> {
            seen.add(new TreeMap<>(keys));
            return Plan.of(event, event.type() + " " + event.key());
        };
        started(base(capturing).action("a", (plan, ctx) -> ActionResult.applied(""))
                .watch(WatchSpec.builder("app").prefix("/app").template("t").action("a").includeDeletes(true).build()));
        source.put("/app/a", "1");
        source.put("/app/b", "2");
        long deleted = source.delete("/app/a");
        source.put("/other/c", "3");
        List<Outcome> outcomes = recorder.await(3, WAIT);
        assertEquals(List.of(Map.of("/a", "1"), Map.of("/a", "1", "/b", "2"), Map.of("/b", "2")), seen);
        // /app/a and /app/b are two targets: their outcomes may be recorded in either order
        assertEquals(EventType.DELETE, outcomes.stream().filter(o -> o.revision() == deleted).findFirst().orElseThrow()
                .event().type());
    }

    // ---- checkpoints, sinks, close ----

    @Test
    void aRestartResumesAfterTheCheckpointAndSkipsWhatWasProcessed() throws Exception {
        InMemoryStateStore checkpoints = new InMemoryStateStore();
        List<Long> executed = new CopyOnWriteArrayList<>();
        Action recording = (plan, ctx) -> {
            executed.add(plan.event().modRevision());
            return ActionResult.applied("");
        };
        WatchSpec w = WatchSpec.builder("w").prefix("/w").key("/k").template("t").action("a").build();
        Pipeline first = base(Templates.of("t", "{{ value }}")).action("a", recording).watch(w).state(checkpoints)
                .build();
        first.start();
        for (int i = 1; i <= 3; i++) {
            source.put("/w/k", "before-" + i);
        }
        recorder.await(3, WAIT);
        first.close();
        assertEquals(OptionalLong.of(3), checkpoints.checkpoint("w"));

        long r4 = source.put("/w/k", "while-down-4");
        long r5 = source.put("/w/k", "while-down-5");
        Pipeline second = started(base(Templates.of("t", "{{ value }}")).action("a", recording).watch(w)
                .state(checkpoints));
        long r6 = source.put("/w/k", "after-6");
        assertTrue(source.awaitDelivered(WAIT));
        assertTrue(second.awaitIdle(WAIT));
        assertEquals(List.of(1L, 2L, 3L, r4, r5, r6), executed);
        assertEquals(OptionalLong.of(r6), checkpoints.checkpoint("w"));
        assertEquals(3, second.stats("w").received(), "nothing before the checkpoint was delivered again");
    }

    @Test
    void afterARestartTemplatesStillSeeTheOtherKeysOfTheWatchAsOfTheCheckpoint() throws Exception {
        InMemoryStateStore checkpoints = new InMemoryStateStore();
        List<String> plans = new CopyOnWriteArrayList<>();
        Action recording = (plan, ctx) -> {
            plans.add(plan.text());
            return ActionResult.applied("");
        };
        // a confd-style watch: the trigger reads a setting kept in another key of the same prefix
        WatchSpec w = WatchSpec.builder("w").prefix("/app").template("t").action("a").build();
        Renderer r = Templates.of("t", "{{ getv('/replicas', 'none') }} {{ value }}");
        Pipeline first = started(base(r).action("a", recording).watch(w).state(checkpoints));
        source.put("/app/replicas", "3");
        source.put("/app/trigger", "v1");
        recorder.await(2, WAIT);
        first.close();
        source.put("/app/replicas", "5"); // changed while down: delivered as an event after the restart

        Pipeline second = started(base(r).action("a", recording).watch(w).state(checkpoints));
        source.put("/app/trigger", "v2");
        assertTrue(source.awaitDelivered(WAIT));
        assertTrue(second.awaitIdle(WAIT));
        // the two keys are two targets, run in parallel: look for the trigger's plan, not the last one
        assertTrue(plans.contains("5 v2"), "the key map is seeded from the checkpoint: " + plans);

        // the same, with the setting unchanged while down: only the snapshot can know it
        second.close();
        Pipeline third = started(base(r).action("a", recording).watch(w).state(checkpoints));
        source.put("/app/trigger", "v3");
        assertTrue(source.awaitDelivered(WAIT));
        assertTrue(third.awaitIdle(WAIT));
        assertTrue(plans.contains("5 v3"), plans.toString());
    }

    @Test
    void inMemorySnapshotIsTheWatchsKeysAtTheRevision() {
        WatchSpec w = WatchSpec.builder("w").prefix("/app").template("t").action("a").build();
        long r1 = source.put("/app/a", "1");
        source.put("/other/x", "x");
        long r3 = source.put("/app/a", "2");
        source.put("/app/b", "b");
        source.delete("/app/a");
        assertEquals(Map.of("/a", "1"), source.snapshot(w, r1));
        assertEquals(Map.of("/a", "2"), source.snapshot(w, r3));
        assertEquals(Map.of("/b", "b"), source.snapshot(w, source.revision()));
    }

    @Test
    void aThrowingSinkDoesNotStopThePipeline() {
        OutcomeSink throwing = o -> {
            throw new IllegalStateException("sink down");
        };
        Pipeline p = started(Pipeline.builder().source(source).renderer(Templates.of("t", "{{ value }}"))
                .sink(throwing).sink(recorder).workDir(tmp)
                .action("a", (plan, ctx) -> ActionResult.applied(""))
                .watch(WatchSpec.builder("w").prefix("/w").key("/k").template("t").action("a").build()));
        for (int i = 0; i < 5; i++) {
            source.put("/w/k", "v" + i);
        }
        List<Outcome> outcomes = recorder.await(5, WAIT);
        assertEquals(Collections.nCopies(5, Outcome.Kind.APPLIED), kinds(outcomes));
        assertTrue(p.awaitIdle(WAIT));
        assertFalse(p.stats("w").halted());
    }

    @Test
    void closeWaitsForAnInFlightAction() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        AtomicBoolean finished = new AtomicBoolean();
        Action slow = (plan, ctx) -> {
            started.countDown();
            try {
                Thread.sleep(700);
            } catch (InterruptedException e) {
                throw CicdException.interrupted("sleeping", e);
            }
            finished.set(true);
            return ActionResult.applied("done");
        };
        InMemoryStateStore checkpoints = new InMemoryStateStore();
        Pipeline p = base(Templates.of("t", "{{ value }}")).action("a", slow).state(checkpoints)
                .watch(WatchSpec.builder("w").prefix("/w").key("/k").template("t").action("a").build()).build();
        p.start();
        long rev = source.put("/w/k", "v1");
        assertTrue(started.await(10, TimeUnit.SECONDS));
        p.close();
        assertTrue(finished.get(), "close() returned only after the action");
        assertEquals(1, recorder.outcomes().size());
        assertEquals(OptionalLong.of(rev), checkpoints.checkpoint("w"));
        source.put("/w/k", "v2");
        Thread.sleep(100);
        assertEquals(1, recorder.outcomes().size(), "nothing is processed after close");
    }

    /** An action that counts {@code started} down and sleeps until interrupted, which it records. */
    private static Action stuck(CountDownLatch started, AtomicBoolean interrupted) {
        return (plan, ctx) -> {
            started.countDown();
            try {
                Thread.sleep(60_000);
                return ActionResult.applied("");
            } catch (InterruptedException e) {
                interrupted.set(true);
                Thread.currentThread().interrupt();
                return ActionResult.failed("interrupted", "");
            }
        };
    }

    @Test
    void closeInterruptsAnActionAfterTheCloseTimeoutAndDoesNotCheckpointIt() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        AtomicBoolean interrupted = new AtomicBoolean();
        Action stuck = stuck(started, interrupted);
        InMemoryStateStore checkpoints = new InMemoryStateStore();
        Pipeline p = base(Templates.of("t", "{{ value }}")).action("a", stuck).state(checkpoints)
                .closeTimeout(Duration.ofMillis(200))
                .watch(WatchSpec.builder("w").prefix("/w").key("/k").template("t").action("a").build()).build();
        p.start();
        source.put("/w/k", "v1");
        assertTrue(started.await(10, TimeUnit.SECONDS));
        long t0 = System.nanoTime();
        p.close();
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(10), "close is bounded");
        assertTrue(interrupted.get());
        assertTrue(checkpoints.checkpoint("w").isEmpty(), "an event cut short by close is replayed after a restart");
        assertEquals(List.of(), recorder.outcomes());
    }

    @Test
    void abortInterruptsARunningActionAtOnceAndRecordsNothingOfIt() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        AtomicBoolean interrupted = new AtomicBoolean();
        Action stuck = stuck(started, interrupted);
        InMemoryStateStore checkpoints = new InMemoryStateStore();
        Pipeline p = base(Templates.of("t", "{{ value }}")).action("a", stuck).state(checkpoints)
                .closeTimeout(Duration.ofMinutes(5))
                .watch(WatchSpec.builder("w").prefix("/w").key("/k").template("t").action("a").build()).build();
        p.start();
        source.put("/w/k", "v1");
        assertTrue(started.await(10, TimeUnit.SECONDS));
        long t0 = System.nanoTime();
        p.abort();
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(30), "abort does not wait the close timeout");
        assertTrue(interrupted.get());
        assertTrue(checkpoints.checkpoint("w").isEmpty());
        assertEquals(List.of(), recorder.outcomes());
    }

    // ---- wiring ----

    @Test
    void aWatchNamingAnUnknownActionFailsTheBuildNamingBoth() {
        CicdException e = assertThrows(CicdException.class, () -> Pipeline.builder().source(source)
                .renderer(Templates.of("t", "x")).action("shell", shell())
                .watch(WatchSpec.builder("rollout").template("t").action("kubernetes").build()).build());
        assertEquals(CicdException.Code.CONFIG, e.code());
        assertTrue(e.getMessage().contains("rollout") && e.getMessage().contains("'kubernetes'"), e.getMessage());
    }

    @Test
    void nothingStartsAThreadBeforeStart() {
        Set<Thread> before = Thread.getAllStackTraces().keySet();
        Pipeline p = base(Templates.of("t", "x")).action("a", (plan, ctx) -> ActionResult.applied(""))
                .watch(WatchSpec.builder("w").template("t").action("a").build()).build();
        toClose.add(p);
        List<String> created = Thread.getAllStackTraces().keySet().stream().filter(t -> !before.contains(t))
                .map(Thread::getName).filter(n -> n.startsWith("cicd-")).toList();
        assertEquals(List.of(), created);
        assertTrue(p.workDir().isEmpty());
    }

    @Test
    void aDefaultWorkDirectoryIsCreatedAtStartAndRemovedAtClose() {
        List<Path> seen = new CopyOnWriteArrayList<>();
        Pipeline p = Pipeline.builder().source(source).renderer(Templates.of("t", "{{ value }}")).sink(recorder)
                .action("a", (plan, ctx) -> {
                    seen.add(ctx.workDir());
                    return ActionResult.applied("");
                })
                .watch(WatchSpec.builder("w").prefix("/w").key("/k").template("t").action("a").build()).build();
        p.start();
        Path dir = p.workDir().orElseThrow();
        source.put("/w/k", "v");
        recorder.await(1, WAIT);
        assertEquals(List.of(dir.resolve("w")), seen);
        p.close();
        assertFalse(Files.exists(dir));
    }

    @Test
    void mdcCarriesWatchKeyRevisionAndRequestIdDuringProcessingOnly() throws Exception {
        List<Map<String, String>> during = new CopyOnWriteArrayList<>();
        Action capturing = (plan, ctx) -> {
            during.add(MDC.getCopyOfContextMap());
            return ActionResult.applied("");
        };
        // one worker thread: the second event runs on the thread the first one used
        started(base(Templates.of("t", "{{ value }}")).action("a", capturing).parallelism(1)
                .watch(WatchSpec.builder("w").prefix("/w").key("/k").template("t").action("a").build()));
        long rev = source.put("/w/k", "{\"requestId\":\"req-42\",\"imageTag\":\"v1\"}");
        Outcome o = recorder.await(1, WAIT).get(0);
        assertEquals(Optional.of("req-42"), o.requestId());
        long rev2 = source.put("/w/k", "plain");
        recorder.await(2, WAIT);
        assertEquals(Map.of("watch", "w", "key", "/w/k", "revision", Long.toString(rev), "requestId", "req-42"),
                during.get(0));
        assertEquals(Map.of("watch", "w", "key", "/w/k", "revision", Long.toString(rev2)), during.get(1),
                "nothing of the first event is left in the MDC");
    }

    @Test
    void executedPlansGetARunLogAndInSyncOnesDoNot() throws Exception {
        RunLog runLog = RunLog.builder().dir(tmp.resolve("logs")).build();
        started(base(Templates.of("rollout", ROLLOUT)).watch(rollout()).action("shell", shell()).runLog(runLog));
        long rev = source.put(KEY, payload("v7"));
        source.put(KEY, payload("v7"));
        List<Outcome> outcomes = recorder.await(2, WAIT);
        Path log = outcomes.get(0).runLog().orElseThrow();
        assertEquals(tmp.resolve("logs").resolve("rollout"), log.getParent());
        assertTrue(log.getFileName().toString().endsWith("-r" + rev + ".log"));
        String text = Files.readString(log);
        assertTrue(text.contains("outcome: applied") && text.contains("'v7'") && text.contains("exit-code: 0"), text);
        assertEquals(Outcome.Kind.IN_SYNC, outcomes.get(1).kind());
        assertTrue(outcomes.get(1).runLog().isEmpty());
    }

    @Test
    void sourceNoticesReachEverySink() throws Exception {
        source.put("/w/k", "a");
        source.put("/w/k", "b");
        source.put("/w/k", "c");
        source.compact(2);
        Recorder second = new Recorder();
        started(base(Templates.of("t", "{{ value }}")).sink(second).action("a", (plan, ctx) -> ActionResult.applied(""))
                .state(new InMemoryStateStore().checkpoint("w", 1))
                .watch(WatchSpec.builder("w").prefix("/w").key("/k").template("t").action("a").build()));
        assertEquals(SourceNotice.Kind.GAP, recorder.awaitNotices(1, WAIT).get(0).kind());
        assertEquals(SourceNotice.Kind.GAP, second.awaitNotices(1, WAIT).get(0).kind());
        assertEquals(List.of(3L), recorder.await(1, WAIT).stream().map(Outcome::revision).toList());
    }

    @Test
    void aWriteRefusedForLostOwnershipHaltsTheWatchAndRecordsNothingOfIt() throws Exception {
        InMemoryStateStore memory = new InMemoryStateStore();
        StateStore deposing = refusing(memory, b -> b.entries().stream()
                .anyMatch(e -> e.outcome().event().text().equals("deposed")), CicdException.Code.FENCED, "not the leader any more");
        Pipeline p = started(base(Templates.of("t", "{{ value }}")).state(deposing)
                .action("a", (plan, ctx) -> ActionResult.applied(""))
                .watch(WatchSpec.builder("w").prefix("/w").key("/k").template("t").action("a").build())
                .watch(WatchSpec.builder("v").prefix("/v").key("/k").template("t").action("a").build()));
        long v1 = source.put("/v/k", "other");
        recorder.await(1, WAIT);
        long r1 = source.put("/w/k", "one");
        recorder.await(2, WAIT);
        source.put("/w/k", "deposed");
        source.put("/w/k", "three");
        assertTrue(source.awaitDelivered(WAIT));
        assertTrue(p.awaitIdle(WAIT));
        assertEquals(List.of("v@" + v1 + ":applied", "w@" + r1 + ":applied"), memory.outcomes().stream()
                .map(o -> o.watch() + "@" + o.revision() + ":" + o.kind().label()).toList());
        assertEquals(OptionalLong.of(r1), memory.checkpoint("w"), "nothing after the failed write is checkpointed");
        assertEquals(2, recorder.outcomes().size(), "sinks hear only of recorded outcomes");
        assertTrue(p.stats("w").halted());
        assertFalse(p.stats("v").halted());
        assertEquals(2, p.stats("w").dropped(), "the event whose write failed and the one after it have no outcome");
    }

    @Test
    void aRecordTheStoreRefusesIsRecordedAsASmallFailedOutcomeAndTheWatchGoesOn() throws Exception {
        InMemoryStateStore memory = new InMemoryStateStore();
        StateStore picky = refusing(memory, b -> b.entries().stream().anyMatch(e -> e.outcome().requestId().isPresent()),
                CicdException.Code.SOURCE, "etcdserver: request is too large");
        Pipeline p = started(base(Templates.of("t", "{{ value }}")).state(picky)
                .action("a", (plan, ctx) -> ActionResult.applied(""))
                .watch(WatchSpec.builder("w").prefix("/w").key("/k").template("t").action("a").build()));
        long big = source.put("/w/k", "{\"requestId\":\"r-1\",\"imageTag\":\"v1\"}");
        long next = source.put("/w/k", "plain");
        assertTrue(source.awaitDelivered(WAIT));
        assertTrue(p.awaitIdle(WAIT));
        List<Outcome> stored = memory.outcomes();
        assertEquals(List.of(big, next), stored.stream().map(Outcome::revision).toList());
        assertEquals(Outcome.Kind.FAILED, stored.get(0).kind());
        assertTrue(stored.get(0).reason().contains("could not be recorded: etcdserver: request is too large"),
                stored.get(0).reason());
        assertEquals(Outcome.Kind.APPLIED, stored.get(1).kind());
        assertFalse(p.stats("w").halted(), "no input stops a watch");
        assertEquals(OptionalLong.of(next), memory.checkpoint("w"));
    }

    /** The store {@code memory}, except that a batch matching {@code refuse} fails with {@code code}. */
    private static StateStore refusing(InMemoryStateStore memory, java.util.function.Predicate<StateStore.Batch> refuse,
            CicdException.Code code, String message) {
        return new OverInMemory(memory) {
            @Override
            public void commit(Batch batch) {
                if (refuse.test(batch)) {
                    throw new CicdException(code, message);
                }
                memory.commit(batch);
            }
        };
    }

    @Test
    void statsCountOutcomesByKind() {
        Pipeline p = started(base(Templates.of("t", "{{ data.x }}")).action("a", (plan, ctx) -> ActionResult.applied(""))
                .watch(WatchSpec.builder("w").prefix("/w").key("/k").template("t").action("a").build()));
        source.put("/w/k", "{\"x\":1}");
        source.put("/w/k", "{\"x\":1}");
        source.put("/w/k", "nope");
        recorder.await(3, WAIT);
        Pipeline.WatchStats s = p.stats().get("w");
        assertNotNull(s);
        assertEquals(Map.of(Outcome.Kind.APPLIED, 1L, Outcome.Kind.IN_SYNC, 1L, Outcome.Kind.REJECTED, 1L,
                Outcome.Kind.FAILED, 0L, Outcome.Kind.SUPERSEDED, 0L), s.outcomes());
        assertEquals(3, s.completed());
        assertEquals(3, s.received());
        assertEquals(recorder.outcomes().stream().map(Outcome::kind).collect(Collectors.toSet()),
                Set.of(Outcome.Kind.APPLIED, Outcome.Kind.IN_SYNC, Outcome.Kind.REJECTED));
    }
}
