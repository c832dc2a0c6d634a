package dev.cicd.etcd;

import dev.cicd.core.Action;
import dev.cicd.core.ActionContext;
import dev.cicd.core.ActionResult;
import dev.cicd.core.CicdException;
import dev.cicd.core.Outcome;
import dev.cicd.core.OutcomeSink;
import dev.cicd.core.Plan;
import dev.cicd.core.Renderer;
import dev.cicd.core.SourceNotice;
import dev.cicd.core.TriggerEvent;
import dev.cicd.core.TriggerListener;
import dev.cicd.core.WatchSpec;
import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/** Test doubles that record what they see, and small helpers shared by the etcd tests. */
final class Recording {

    private static final AtomicInteger SEQ = new AtomicInteger();

    private Recording() {
    }

    /** A key prefix no other test uses: {@code /it/<name>-<n>}. */
    static String uniquePrefix(String name) {
        return "/it/" + name + "-" + SEQ.incrementAndGet() + "-" + Long.toString(System.nanoTime() % 100000, 36);
    }

    static WatchSpec watch(String name, String prefix) {
        return WatchSpec.builder(name).prefix(prefix).key("/trigger").template("image").action("record").build();
    }

    static String value(int i) {
        return "{\"image\":\"app:" + i + "\"}";
    }

    /** Plan text "image=<image>"; a payload without "image" is BAD_PAYLOAD (rejected). */
    static final Renderer RENDERER = (watch, event, keys) -> {
        JsonNode n = event.json();
        if (!n.hasNonNull("image")) {
            throw new CicdException(CicdException.Code.BAD_PAYLOAD, "value of " + event.key() + " at revision "
                    + event.modRevision() + " has no field 'image'");
        }
        return Plan.of(event, "image=" + n.get("image").asText());
    };

    /** Waits until {@code condition} holds, polling every 10 ms; false on timeout. */
    static boolean await(Duration timeout, java.util.function.BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            try {
                TimeUnit.MILLISECONDS.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }

    /** Records events and notices; fails the test thread's assertions when calls overlap. */
    static final class Listener implements TriggerListener {
        private final List<TriggerEvent> events = new ArrayList<>();
        private final List<SourceNotice> notices = new ArrayList<>();
        private final AtomicInteger inCall = new AtomicInteger();
        private final AtomicInteger overlaps = new AtomicInteger();
        private volatile boolean closed;
        private final AtomicInteger callsAfterClose = new AtomicInteger();

        @Override
        public void onEvent(TriggerEvent event) {
            enter();
            try {
                synchronized (this) {
                    events.add(event);
                }
            } finally {
                inCall.decrementAndGet();
            }
        }

        @Override
        public void onNotice(SourceNotice notice) {
            enter();
            try {
                synchronized (this) {
                    notices.add(notice);
                }
            } finally {
                inCall.decrementAndGet();
            }
        }

        private void enter() {
            if (closed) {
                callsAfterClose.incrementAndGet();
            }
            if (inCall.incrementAndGet() > 1) {
                overlaps.incrementAndGet();
            }
        }

        synchronized List<TriggerEvent> events() {
            return List.copyOf(events);
        }

        synchronized List<SourceNotice> notices() {
            return List.copyOf(notices);
        }

        synchronized List<SourceNotice> notices(SourceNotice.Kind kind) {
            return notices.stream().filter(n -> n.kind() == kind).toList();
        }

        boolean awaitEvents(int n, Duration timeout) {
            return await(timeout, () -> events().size() >= n);
        }

        boolean awaitNotice(SourceNotice.Kind kind, Duration timeout) {
            return await(timeout, () -> !notices(kind).isEmpty());
        }

        int overlaps() {
            return overlaps.get();
        }

        void markClosed() {
            closed = true;
        }

        int callsAfterClose() {
            return callsAfterClose.get();
        }
    }

    /** An action that records each call; a payload with "fail": true fails with exit code 3. */
    static final class RecordingAction implements Action {
        record Call(String runner, String watch, String key, long revision, String plan) {
        }

        private final List<Call> calls = new ArrayList<>();
        private final String runner;
        private final RecordingAction shared;
        private final Duration delay;

        RecordingAction() {
            this(null, null, Duration.ZERO);
        }

        private RecordingAction(String runner, RecordingAction shared, Duration delay) {
            this.runner = runner;
            this.shared = shared;
            this.delay = delay;
        }

        /** A view that records into this action under a runner name, optionally sleeping per call. */
        RecordingAction as(String runnerName, Duration delay) {
            return new RecordingAction(runnerName, this, delay);
        }

        @Override
        public ActionResult execute(Plan plan, ActionContext context) {
            if (!delay.isZero()) {
                try {
                    Thread.sleep(delay.toMillis());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return ActionResult.failed("interrupted", "");
                }
            }
            RecordingAction target = shared == null ? this : shared;
            synchronized (target) {
                target.calls.add(new Call(runner, plan.watch(), plan.event().key(), plan.event().modRevision(), plan.text()));
            }
            JsonNode n = plan.event().json();
            if (n.path("fail").asBoolean(false)) {
                return ActionResult.failed("asked to fail", 3, "failing as asked");
            }
            return ActionResult.applied("ok " + plan.text());
        }

        synchronized List<Call> calls() {
            return List.copyOf(calls);
        }

        List<Call> calls(Predicate<Call> p) {
            return calls().stream().filter(p).toList();
        }
    }

    /** Records outcomes and notices a pipeline reports. */
    static final class Sink implements OutcomeSink {
        private final List<Outcome> outcomes = new ArrayList<>();
        private final List<SourceNotice> notices = new ArrayList<>();

        @Override
        public synchronized void onOutcome(Outcome outcome) {
            outcomes.add(outcome);
        }

        @Override
        public synchronized void onNotice(SourceNotice notice) {
            notices.add(notice);
        }

        synchronized List<Outcome> outcomes() {
            return List.copyOf(outcomes);
        }

        synchronized List<SourceNotice> notices() {
            return List.copyOf(notices);
        }

        boolean awaitOutcomes(int n, Duration timeout) {
            return await(timeout, () -> outcomes().size() >= n);
        }
    }
}
