package dev.cicd.core;

import dev.cicd.core.support.OverInMemory;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cicd.core.support.Recorder;
import dev.cicd.core.support.Templates;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** An action's start and its progress reports reach the state store and the sinks, before the outcome. */
@Timeout(60)
class ProgressHookTest {

    private static final String KEY = "/cicd/app/trigger";

    @TempDir
    Path tmp;

    @Test
    void theStartAndTheActionsReportsReachTheStateStoreAndTheSinksBeforeTheOutcome() throws Exception {
        List<String> stored = new CopyOnWriteArrayList<>();
        List<String> told = new CopyOnWriteArrayList<>();
        StateStore state = new ProgressStore(p -> stored.add(p.revision() + " " + p.step() + " " + p.detail()));
        Recorder recorder = new Recorder();
        OutcomeSink sink = new OutcomeSink() {
            @Override
            public void onProgress(Progress p) {
                told.add(p.revision() + " " + p.step() + " " + p.detail() + " " + p.requestId().orElse("-"));
            }

            @Override
            public void onOutcome(Outcome outcome) {
                told.add(outcome.revision() + " outcome " + outcome.kind());
            }
        };
        Action reporting = (plan, ctx) -> {
            ctx.report("deploy", "1/2");
            ctx.report("deploy", "2/2");
            return ActionResult.applied("done");
        };
        InMemoryTriggerSource source = new InMemoryTriggerSource();
        try (Pipeline p = Pipeline.builder().source(source).renderer(Templates.of("t", "{{ data.tag }}"))
                .watch(WatchSpec.builder("app").prefix("/cicd/app").key("/trigger").template("t").action("a").build())
                .action("a", reporting).state(state).sink(sink).sink(recorder).workDir(tmp.resolve("work")).build()) {
            p.start();
            long rev = source.put(KEY, "{\"tag\":\"v1\",\"requestId\":\"ci-7\"}");
            recorder.await(1, Duration.ofSeconds(30));
            assertEquals(List.of(rev + " started ", rev + " deploy 1/2", rev + " deploy 2/2"), stored);
            assertEquals(List.of(rev + " started  ci-7", rev + " deploy 1/2 ci-7", rev + " deploy 2/2 ci-7",
                    rev + " outcome APPLIED"), told);
        }
    }

    @Test
    void aThrowingProgressListenerNeverFailsTheAction() throws Exception {
        StateStore state = new ProgressStore(p -> {
            throw new IllegalStateException("store down");
        });
        Recorder recorder = new Recorder();
        OutcomeSink throwing = new OutcomeSink() {
            @Override
            public void onProgress(Progress p) {
                throw new IllegalStateException("sink down");
            }

            @Override
            public void onOutcome(Outcome outcome) {
            }
        };
        InMemoryTriggerSource source = new InMemoryTriggerSource();
        try (Pipeline p = Pipeline.builder().source(source).renderer(Templates.of("t", "{{ data.tag }}"))
                .watch(WatchSpec.builder("app").prefix("/cicd/app").key("/trigger").template("t").action("a").build())
                .action("a", (plan, ctx) -> {
                    ctx.report("x", "y");
                    return ActionResult.applied("");
                }).state(state).sink(throwing).sink(recorder).workDir(tmp.resolve("work")).build()) {
            p.start();
            source.put(KEY, "{\"tag\":\"v1\"}");
            List<Outcome> outcomes = recorder.await(1, Duration.ofSeconds(30));
            assertEquals(Outcome.Kind.APPLIED, outcomes.get(0).kind(), outcomes.toString());
            assertTrue(outcomes.get(0).requestId().equals(Optional.empty()));
        }
    }

    /** An in-memory store that hands progress reports to {@code onProgress}. */
    private static final class ProgressStore extends OverInMemory {
        private final java.util.function.Consumer<Progress> onProgress;

        ProgressStore(java.util.function.Consumer<Progress> onProgress) {
            this.onProgress = onProgress;
        }

        @Override
        public void progress(Progress p) {
            onProgress.accept(p);
        }
    }
}
