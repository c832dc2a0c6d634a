package dev.cicd.core.internal.pipeline;

import dev.cicd.core.Outcome;
import dev.cicd.core.Plan;
import dev.cicd.core.TriggerEvent;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * One event on its way from the feed to its recorded outcome: the plan rendered at its revision (or the
 * outcome a failed render already decided), the targets it waits for, and where it is.
 */
final class Job implements Comparable<Job> {

    enum State { QUEUED, RUNNING, RECORDING, SUPERSEDED, DONE }

    /** Set by the scheduler when the job is queued. */
    long seq;
    final WatchFeed feed;
    final TriggerEvent event;
    final Optional<Plan> plan;
    final List<String> targets;
    final Optional<String> requestId;
    final Instant received;
    /** Set when rendering already decided the outcome (rejected or failed): nothing runs. */
    final Outcome decided;

    /** Guarded by the scheduler's lock. */
    State state = State.QUEUED;
    /** Queued jobs this one replaced (coalescing); told when this one starts. Guarded by the scheduler's lock. */
    final List<Job> replaced = new java.util.ArrayList<>();
    volatile Thread thread;
    volatile boolean closeInterrupted;

    Job(WatchFeed feed, TriggerEvent event, Optional<Plan> plan, List<String> targets,
            Optional<String> requestId, Instant received, Outcome decided) {
        this.feed = feed;
        this.event = event;
        this.plan = plan;
        this.targets = List.copyOf(targets);
        this.requestId = requestId;
        this.received = received;
        this.decided = decided;
    }

    long revision() {
        return event.modRevision();
    }

    String watch() {
        return event.watch();
    }

    @Override
    public int compareTo(Job o) {
        return Long.compare(seq, o.seq);
    }

    @Override
    public String toString() {
        return "job " + event.watch() + "@" + event.modRevision() + " " + targets;
    }
}
