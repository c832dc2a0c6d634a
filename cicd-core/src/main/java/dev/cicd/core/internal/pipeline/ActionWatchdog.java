package dev.cicd.core.internal.pipeline;

import dev.cicd.core.WatchSpec;
import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Interrupts an action's thread once its timeout and the grace after it are over, for actions that
 * ignore their own timeout. One alarm per running action.
 */
final class ActionWatchdog {

    private static final Logger LOG = LoggerFactory.getLogger(ActionWatchdog.class);

    private final ScheduledExecutorService timer;
    private final Duration grace;

    ActionWatchdog(ScheduledExecutorService timer, Duration grace) {
        this.timer = timer;
        this.grace = grace;
    }

    Duration grace() {
        return grace;
    }

    /** Arms an alarm for the calling thread; close the returned alarm when the action returns. */
    Alarm arm(WatchSpec spec) {
        Alarm alarm = new Alarm(Thread.currentThread(), spec);
        long millis = Math.min(spec.timeout().plus(grace).toMillis(), Long.MAX_VALUE / 2);
        try {
            alarm.future = timer.schedule(alarm::fire, millis, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            LOG.debug("watch {}: no watchdog for this action: {}", spec.name(), e.toString());
        }
        return alarm;
    }

    /** One armed alarm. */
    static final class Alarm {
        private final Thread thread;
        private final WatchSpec spec;
        private ScheduledFuture<?> future;
        private boolean done;
        private boolean fired;

        private Alarm(Thread thread, WatchSpec spec) {
            this.thread = thread;
            this.spec = spec;
        }

        private synchronized void fire() {
            if (!done) {
                fired = true;
                LOG.warn("watch {}: action {} ignores its timeout of {}; interrupting it", spec.name(), spec.action(),
                        spec.timeout());
                thread.interrupt();
            }
        }

        /** Disarms the alarm; returns whether it fired. */
        synchronized boolean disarm() {
            done = true;
            if (future != null) {
                future.cancel(false);
            }
            return fired;
        }
    }
}
