package dev.cicd.core.internal.pipeline;

import dev.cicd.core.WatchSpec;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * The lanes: one FIFO queue per target. A job runs when it is at the head of the queue of every target
 * it names and fewer than {@code parallelism} jobs are running; it leaves its queues when its outcome is
 * recorded, so the next event of a target starts only after the previous one is recorded.
 *
 * <p>Jobs enter in one global order (the feeds hand them over under this scheduler's lock), and every
 * queue holds its jobs in that order: the oldest waiting job is always at the head of all its queues,
 * so a plan touching several targets waits for all of them without deadlock or reordering. Ready jobs
 * start oldest first.
 *
 * <p>With {@link WatchSpec.Coalesce#LATEST}, a new job replaces the queued (not started) jobs of the
 * same watch with the same targets; when the job that replaced them starts, they are handed to
 * {@code onSuperseded} with it (so they name the value that really ran).
 */
final class LaneScheduler {

    private final Object lock = new Object();
    private final Map<String, ArrayDeque<Job>> lanes = new HashMap<>();
    private final TreeSet<Job> ready = new TreeSet<>();
    private final int parallelism;
    private final Consumer<Job> launcher;
    private final BiConsumer<Job, Job> onSuperseded;
    private int running;
    private long nextSeq;
    private boolean closed;

    /**
     * @param launcher     starts a job (on a worker thread); must not block
     * @param onSuperseded receives (skipped job, newer job)
     */
    LaneScheduler(int parallelism, Consumer<Job> launcher, BiConsumer<Job, Job> onSuperseded) {
        this.parallelism = parallelism;
        this.launcher = launcher;
        this.onSuperseded = onSuperseded;
    }

    /**
     * Queues a job behind the earlier jobs of its targets (numbering it: the order of submission is the
     * order of every queue); false when the scheduler is closed.
     */
    boolean submit(Job job) {
        List<Job> start;
        synchronized (lock) {
            if (closed) {
                return false;
            }
            job.seq = nextSeq++;
            if (job.feed.spec.coalesce() == WatchSpec.Coalesce.LATEST) {
                coalesce(job);
            }
            for (String t : job.targets) {
                lanes.computeIfAbsent(t, k -> new ArrayDeque<>()).addLast(job);
            }
            if (atHead(job)) {
                ready.add(job);
            }
            start = startReady();
        }
        launch(start);
        return true;
    }

    /** The job's action returned: its slot is free (its targets stay taken until {@link #completed}). */
    void actionFinished(Job job) {
        List<Job> start;
        synchronized (lock) {
            running--;
            start = startReady();
        }
        launch(start);
    }

    /** The job is recorded (or abandoned): its targets go to the next job in each queue. */
    void completed(Job job) {
        List<Job> start;
        synchronized (lock) {
            job.state = Job.State.DONE;
            release(job);
            start = startReady();
        }
        launch(start);
    }

    private void launch(List<Job> started) {
        for (Job j : started) {
            for (Job s : j.replaced) {
                onSuperseded.accept(s, j);
            }
            launcher.accept(j);
        }
    }

    /** Stops starting jobs; returns the jobs that were queued and never started (and those they replaced). */
    List<Job> close() {
        synchronized (lock) {
            closed = true;
            Set<Job> left = new LinkedHashSet<>();
            for (ArrayDeque<Job> q : lanes.values()) {
                for (Job j : q) {
                    if (j.state == Job.State.QUEUED) {
                        left.add(j);
                        left.addAll(j.replaced);
                    }
                }
            }
            ready.clear();
            return List.copyOf(left);
        }
    }

    private void coalesce(Job newer) {
        ArrayDeque<Job> q = lanes.get(newer.targets.get(0));
        if (q == null) {
            return;
        }
        List<Job> skipped = new ArrayList<>();
        for (Job j : q) {
            if (j.state == Job.State.QUEUED && j.feed == newer.feed && j.targets.equals(newer.targets)) {
                skipped.add(j);
            }
        }
        for (Job j : skipped) {
            j.state = Job.State.SUPERSEDED;
            ready.remove(j);
            release(j);
            newer.replaced.addAll(j.replaced);
            newer.replaced.add(j);
            j.replaced.clear();
        }
    }

    /** Removes the job from its queues; heads that became free of other queues become ready. */
    private void release(Job job) {
        for (String t : job.targets) {
            ArrayDeque<Job> q = lanes.get(t);
            if (q == null) {
                continue;
            }
            q.remove(job);
            if (q.isEmpty()) {
                lanes.remove(t);
            } else {
                Job head = q.peekFirst();
                if (head.state == Job.State.QUEUED && atHead(head)) {
                    ready.add(head);
                }
            }
        }
    }

    private boolean atHead(Job job) {
        for (String t : job.targets) {
            ArrayDeque<Job> q = lanes.get(t);
            if (q == null || q.peekFirst() != job) {
                return false;
            }
        }
        return true;
    }

    private List<Job> startReady() {
        if (closed || ready.isEmpty() || running >= parallelism) {
            return List.of();
        }
        List<Job> start = new ArrayList<>();
        while (running < parallelism && !ready.isEmpty()) {
            Job j = ready.pollFirst();
            j.state = Job.State.RUNNING;
            running++;
            start.add(j);
        }
        return start;
    }
}
