package dev.cicd.core.internal.pipeline;

import dev.cicd.core.ActionContext;
import dev.cicd.core.ActionResult;
import dev.cicd.core.CicdException;
import dev.cicd.core.Deduplicator;
import dev.cicd.core.Outcome;
import dev.cicd.core.Plan;
import dev.cicd.core.Progress;
import dev.cicd.core.WatchSpec;
import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.Consumer;

/**
 * Turns one job into its outcome, with no side effect but the action itself: the outcome decided at
 * render time, or in sync (the plan was the last applied to every target, for actions that do not
 * compare with the live state), or what the action returned under the watchdog.
 */
final class EventProcessor {

    private final Deduplicator deduplicator;
    private final ActionWatchdog watchdog;
    private final Clock clock;
    private final Consumer<Progress> progress;

    /** {@code progress} is told when an action starts and whenever it reports; it must not block or throw. */
    EventProcessor(Deduplicator deduplicator, ActionWatchdog watchdog, Clock clock, Consumer<Progress> progress) {
        this.deduplicator = deduplicator;
        this.watchdog = watchdog;
        this.clock = clock;
        this.progress = progress;
    }

    /** An outcome, and whether the action ran for it (its plan then goes to the run log). */
    record Processed(Outcome outcome, boolean executed) {
    }

    Processed process(Job job) {
        if (job.decided != null) {
            return new Processed(job.decided, false);
        }
        Instant started = clock.instant();
        Plan plan = job.plan.orElseThrow();
        WatchFeed feed = job.feed;
        Outcome.Kind kind;
        String reason = "";
        OptionalInt exitCode = OptionalInt.empty();
        String output = "";
        String dedupeError = null;
        boolean inSync = false;
        if (feed.spec.dedupe() && !feed.action.comparesLiveState()) {
            try {
                inSync = deduplicator.inSync(plan, job.targets);
            } catch (RuntimeException ex) {
                dedupeError = "could not check the last applied plan: " + ex.getClass().getName() + ": " + message(ex);
            }
        }
        if (dedupeError != null) {
            kind = Outcome.Kind.FAILED;
            reason = dedupeError;
        } else if (inSync) {
            kind = Outcome.Kind.IN_SYNC;
        } else {
            ActionResult result = runAction(job, plan, started);
            kind = result.kind();
            reason = result.reason();
            exitCode = result.exitCode();
            output = result.output();
        }
        Outcome outcome = new Outcome(job.event, kind, reason, Optional.of(plan.fingerprint()), exitCode, output,
                job.requestId, started, clock.instant(), Optional.empty());
        return new Processed(outcome, !inSync && dedupeError == null);
    }

    /** Runs the action under the watchdog; never throws. */
    private ActionResult runAction(Job job, Plan plan, Instant started) {
        WatchSpec spec = job.feed.spec;
        ActionContext.ProgressListener listener = (step, detail) -> progress.accept(
                new Progress(job.event, job.requestId, step, detail, started, clock.instant()));
        listener.onProgress(Progress.STARTED, "");
        ActionWatchdog.Alarm alarm = watchdog.arm(spec);
        ActionResult result;
        try {
            result = job.feed.action.execute(plan, new ActionContext(spec, spec.timeout(), job.feed.workDir, listener));
            if (result == null) {
                result = ActionResult.failed("action " + spec.action() + " returned no result", "");
            }
        } catch (CicdException ex) {
            result = ActionResult.failed("action " + spec.action() + " threw " + ex.getClass().getName()
                    + " (" + ex.code() + "): " + message(ex), "");
        } catch (RuntimeException | StackOverflowError ex) {
            result = ActionResult.failed("action " + spec.action() + " threw " + ex.getClass().getName() + ": "
                    + message(ex), "");
        }
        if (alarm.disarm()) {
            if (!job.closeInterrupted) {
                Thread.interrupted();
            }
            if (result.kind() != Outcome.Kind.APPLIED) {
                result = new ActionResult(result.kind(), "action " + spec.action() + " ran past its timeout of "
                        + spec.timeout() + " by more than " + watchdog.grace() + " and was interrupted; "
                        + result.reason(), result.exitCode(), result.output());
            }
        }
        return result;
    }

    static String message(Throwable t) {
        String m = t.getMessage();
        return m == null || m.isBlank() ? t.getClass().getSimpleName() : m;
    }
}
