package dev.cicd.core.internal.pipeline;

import dev.cicd.core.Outcome;
import dev.cicd.core.OutcomeSink;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Tells a recorded outcome: counts it, logs its line (with the event's MDC) and hands it to every sink.
 * A sink that throws is logged and skipped.
 */
final class OutcomeTeller {

    private static final Logger LOG = LoggerFactory.getLogger(Recorder.class);

    private final List<OutcomeSink> sinks;

    OutcomeTeller(List<OutcomeSink> sinks) {
        this.sinks = List.copyOf(sinks);
    }

    void tell(Job job, Outcome o) {
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
                    LOG.warn("watch {}: sink {} failed on revision {}; skipped: {}", o.watch(), sink, o.revision(),
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
        if (LOG.isInfoEnabled()) {
            LOG.info("outcome={} watch={} key={} revision={} target={}{}{} duration={}ms{}", o.kind().label(), o.watch(),
                    o.event().key(), o.revision(), String.join(",", targets),
                    o.requestId().map(id -> " requestId=" + id).orElse(""),
                    o.exitCode().isPresent() ? " exitCode=" + o.exitCode().getAsInt() : "",
                    Duration.between(o.started(), o.finished()).toMillis(),
                    o.reason().isEmpty() ? "" : " reason=\"" + o.reason().replace('\n', ' ').replace('\r', ' ') + "\"");
        }
    }
}
