package dev.cicd.core.internal.pipeline;

import dev.cicd.core.Outcome;
import dev.cicd.core.OutcomeSink;
import dev.cicd.core.Progress;
import dev.cicd.core.SourceNotice;
import dev.cicd.core.StateStore;
import dev.cicd.core.TriggerEvent;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Tells the sinks (and, for progress and notices, the state store) what happened: an arrival, an action's
 * progress, a source notice, a recorded outcome. A sink or store that throws is logged and skipped; none
 * of these ever fails the pipeline.
 */
final class Teller {

    private static final Logger LOG = LoggerFactory.getLogger(Teller.class);
    /** The outcome lines keep the recorder's logger name, which users filter on. */
    private static final Logger OUTCOMES = LoggerFactory.getLogger(Recorder.class);

    private final StateStore state;
    private final List<OutcomeSink> sinks;

    Teller(StateStore state, List<OutcomeSink> sinks) {
        this.state = state;
        this.sinks = List.copyOf(sinks);
    }

    /** An event arrived from the source (on the source's thread: keep it cheap). */
    void received(TriggerEvent event) {
        for (OutcomeSink sink : sinks) {
            try {
                sink.onReceived(event);
            } catch (RuntimeException e) {
                LOG.debug("sink {} failed on an arrival: {}", sink, e.toString());
            }
        }
    }

    /** An action started or reported progress. */
    void progress(Progress p) {
        try {
            state.progress(p);
        } catch (RuntimeException e) {
            LOG.debug("recording the progress of revision {} of watch {} failed: {}", p.revision(), p.watch(), e.toString());
        }
        for (OutcomeSink sink : sinks) {
            try {
                sink.onProgress(p);
            } catch (RuntimeException e) {
                LOG.debug("sink {} failed on progress: {}", sink, e.toString());
            }
        }
    }

    /** A source notice (gap, reset, reconnect). */
    void notice(SourceNotice notice) {
        try {
            state.notice(notice);
        } catch (RuntimeException e) {
            LOG.warn("recording notice {} of watch {} failed: {}", notice.kind(), notice.watch(), e.toString());
        }
        for (OutcomeSink sink : sinks) {
            try {
                sink.onNotice(notice);
            } catch (RuntimeException e) {
                LOG.warn("sink {} failed on notice {}: {}", sink, notice.kind(), e.toString(), e);
            }
        }
    }

    /** A recorded outcome: counted, logged as one line with the event's MDC, handed to every sink. */
    void outcome(Job job, Outcome o) {
        job.feed.progress.count(o.kind());
        MDC.put("watch", o.watch());
        MDC.put("key", o.event().key());
        MDC.put("revision", Long.toString(o.revision()));
        o.requestId().ifPresent(id -> MDC.put("requestId", id));
        try {
            logOutcome(o, job.targets);
            for (OutcomeSink sink : sinks) {
                try {
                    sink.onOutcome(o, job.targets);
                } catch (RuntimeException ex) {
                    OUTCOMES.warn("watch {}: sink {} failed on revision {}; skipped: {}", o.watch(), sink, o.revision(),
                            ex.toString(), ex);
                }
            }
        } finally {
            MDC.remove("watch");
            MDC.remove("key");
            MDC.remove("revision");
            MDC.remove("requestId");
        }
    }

    private static void logOutcome(Outcome o, List<String> targets) {
        if (OUTCOMES.isInfoEnabled()) {
            OUTCOMES.info("outcome={} watch={} key={} revision={} target={}{}{} duration={}ms{}", o.kind().label(), o.watch(),
                    o.event().key(), o.revision(), String.join(",", targets),
                    o.requestId().map(id -> " requestId=" + id).orElse(""),
                    o.exitCode().isPresent() ? " exitCode=" + o.exitCode().getAsInt() : "",
                    Duration.between(o.started(), o.finished()).toMillis(),
                    o.reason().isEmpty() ? "" : " reason=\"" + o.reason().replace('\n', ' ').replace('\r', ' ') + "\"");
        }
    }
}
