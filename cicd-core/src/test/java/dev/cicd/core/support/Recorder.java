package dev.cicd.core.support;

import dev.cicd.core.Outcome;
import dev.cicd.core.OutcomeSink;
import dev.cicd.core.SourceNotice;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A sink that keeps every outcome and notice and lets a test wait for a number of them. */
public final class Recorder implements OutcomeSink {

    private final List<Outcome> outcomes = new ArrayList<>();
    private final List<SourceNotice> notices = new ArrayList<>();

    @Override
    public synchronized void onOutcome(Outcome outcome) {
        outcomes.add(outcome);
        notifyAll();
    }

    @Override
    public synchronized void onNotice(SourceNotice notice) {
        notices.add(notice);
        notifyAll();
    }

    public synchronized List<Outcome> outcomes() {
        return List.copyOf(outcomes);
    }

    public synchronized List<Outcome> outcomes(String watch) {
        return outcomes.stream().filter(o -> o.watch().equals(watch)).toList();
    }

    public synchronized List<SourceNotice> notices() {
        return List.copyOf(notices);
    }

    /** Waits until at least {@code n} outcomes arrived; returns them all. Fails the test on timeout. */
    public synchronized List<Outcome> await(int n, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (outcomes.size() < n) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError("expected " + n + " outcomes within " + timeout + ", got " + outcomes.size()
                        + ": " + outcomes);
            }
            try {
                TimeUnit.NANOSECONDS.timedWait(this, left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            }
        }
        return List.copyOf(outcomes);
    }

    /** Waits until at least {@code n} notices arrived. */
    public synchronized List<SourceNotice> awaitNotices(int n, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (notices.size() < n) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError("expected " + n + " notices within " + timeout + ", got " + notices);
            }
            try {
                TimeUnit.NANOSECONDS.timedWait(this, left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            }
        }
        return List.copyOf(notices);
    }
}
