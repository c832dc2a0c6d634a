package dev.cicd.k8s.internal;

import dev.cicd.core.CicdException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * One lock per Deployment of one cluster, shared by every action of the JVM: the lock guards a cluster
 * object, so two action instances (say the rollout watch's and the undo watch's) must see the same lock.
 * Locks are taken in sorted order, so plans that touch several Deployments cannot deadlock.
 */
public final class DeploymentLocks {

    private static final DeploymentLocks SHARED = new DeploymentLocks();

    private final ConcurrentMap<String, ReentrantLock> locks = new ConcurrentHashMap<>();

    /** The JVM-wide registry. */
    public static DeploymentLocks shared() {
        return SHARED;
    }

    /** Held locks; closing releases them in reverse order. */
    public static final class Held implements AutoCloseable {
        private final List<ReentrantLock> held;

        private Held(List<ReentrantLock> held) {
            this.held = held;
        }

        @Override
        public void close() {
            for (int i = held.size() - 1; i >= 0; i--) {
                held.get(i).unlock();
            }
        }
    }

    /**
     * Takes the locks for {@code cluster|target} of every target, in sorted order, waiting at most until
     * {@code deadlineNanos} (a {@link System#nanoTime()} value).
     *
     * @param onWait called with a target whose lock is held by someone else, before waiting for it
     * @return the held locks, or empty when the deadline passed first (nothing is held then)
     * @throws CicdException {@code INTERRUPTED} when interrupted while waiting (nothing is held then)
     */
    public Optional<Held> acquire(String cluster, Collection<String> targets, long deadlineNanos,
                                  Consumer<String> onWait) {
        List<ReentrantLock> held = new ArrayList<>();
        boolean ok = false;
        try {
            for (String target : new TreeSet<>(targets)) {
                ReentrantLock lock = locks.computeIfAbsent(cluster + "|" + target, k -> new ReentrantLock(true));
                if (!lock.tryLock()) {
                    onWait.accept(target);
                    long remaining = deadlineNanos - System.nanoTime();
                    if (remaining <= 0 || !lock.tryLock(remaining, TimeUnit.NANOSECONDS)) {
                        return Optional.empty();
                    }
                }
                held.add(lock);
            }
            ok = true;
            return Optional.of(new Held(held));
        } catch (InterruptedException e) {
            throw CicdException.interrupted("waiting for the lock of a Deployment", e);
        } finally {
            if (!ok) {
                new Held(held).close();
            }
        }
    }
}
