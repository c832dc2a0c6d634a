package dev.cicd.testkit.internal.k8s;

import dev.cicd.testkit.internal.k8s.DeploymentStatuses.Phase;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * What kube-controller-manager's deployment controller does, for the fields deploy code reads.
 *
 * <p>It lists Deployments every {@value #POLL_MILLIS} ms through an ordinary client, against the
 * simulated API server, and reconciles each one that is new or changed (a different
 * resourceVersion), or collects the garbage of one that is gone. It polls rather than watches: the
 * mock server's watch handling blocks its event loop for up to 30 s when a watch is closed while an
 * event is being sent to it, which made closing a fixture fail at random ("Unable to close
 * MockWebServer", CI run of 2026-11-27). For each Deployment it finds the ReplicaSets it owns (controller ownerReference with its
 * uid; ReplicaSets without one are never touched or counted), reuses the one whose pod template
 * equals the Deployment's (ignoring {@code pod-template-hash}) or creates {@code <name>-<hash>},
 * numbers revisions like the real controller (a reused ReplicaSet moves to max + 1), copies the
 * revision to the Deployment, and reports rollout status: progressing at once, converged after
 * the rollout delay (old ReplicaSets scaled to 0), or {@code ProgressDeadlineExceeded} after the
 * deadline when the failure hook matches an image. Deleting a Deployment deletes the ReplicaSets
 * it owns. All work runs on one thread, one Deployment at a time.
 *
 * <p>This class holds the poll, the work queue with its retries, the rollout timing and garbage
 * collection; {@link ReplicaSets} finds, creates and scales ReplicaSets, {@link Revisions} numbers
 * revisions (rollbacks included) and {@link DeploymentStatuses} computes and writes the status.
 */
final class DeploymentController implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(DeploymentController.class);
    private static final long RETRY_MILLIS = 50;
    private static final int MAX_RETRIES = 12;
    static final long POLL_MILLIS = 20;

    /** The rollout in progress for one Deployment uid: which ReplicaSet, which generation, since when. */
    private record Rollout(String replicaSet, long generation, long startedNanos, boolean failing) {
    }

    private final KubernetesClient client;
    private final Revisions revisions;
    private final ReplicaSets replicaSets;
    private final DeploymentStatuses statuses;
    private final Duration rolloutDelay;
    private final Duration failAfter;
    private final List<Pattern> failingImages = new CopyOnWriteArrayList<>();
    private final Set<String> queued = ConcurrentHashMap.newKeySet();
    /** Touched only on the controller thread. */
    private final Map<String, Rollout> rollouts = new HashMap<>();
    /** When each Deployment uid's rollout is next due; touched only on the controller thread. */
    private final Map<String, Long> wakeUps = new HashMap<>();
    /** Consecutive failed reconciles per namespace/name; touched only on the controller thread. */
    private final Map<String, Integer> failures = new HashMap<>();
    /** The Deployments of the last poll by namespace/name; touched only on the controller thread. */
    private Map<String, Deployment> seen = new HashMap<>();
    private ScheduledExecutorService executor;
    private volatile boolean closed;

    DeploymentController(KubernetesClient client, Duration rolloutDelay, Duration failAfter) {
        this.client = Objects.requireNonNull(client, "client");
        this.revisions = new Revisions(client);
        this.replicaSets = new ReplicaSets(client, revisions);
        this.statuses = new DeploymentStatuses(client);
        this.rolloutDelay = Objects.requireNonNull(rolloutDelay, "rolloutDelay");
        this.failAfter = Objects.requireNonNull(failAfter, "failAfter");
    }

    /** Starts the worker thread and the poll; returns once the first poll has run. */
    synchronized void start() {
        if (executor != null) {
            throw new IllegalStateException("already started");
        }
        executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "cicd-testkit-deployment-controller");
            t.setDaemon(true);
            return t;
        });
        try {
            executor.submit(this::poll).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting the simulated deployment controller", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("the simulated deployment controller could not list Deployments", e.getCause());
        }
        executor.scheduleWithFixedDelay(this::pollSafely, POLL_MILLIS, POLL_MILLIS, TimeUnit.MILLISECONDS);
    }

    private void pollSafely() {
        try {
            poll();
        } catch (RuntimeException e) {
            if (!closed) {
                LOG.warn("listing Deployments failed, polling again in {} ms: {}", POLL_MILLIS, e.toString());
            }
        }
    }

    /** What an informer's add, update and delete events would say, found by comparing two lists. */
    private void poll() {
        if (closed) {
            return;
        }
        Map<String, Deployment> now = new HashMap<>();
        for (Deployment d : client.apps().deployments().inAnyNamespace().list().getItems()) {
            String key = d.getMetadata().getNamespace() + "/" + d.getMetadata().getName();
            now.put(key, d);
            Deployment before = seen.get(key);
            if (before != null && !Objects.equals(before.getMetadata().getUid(), d.getMetadata().getUid())) {
                collectGarbage(before); // deleted and created again between two polls
                before = null;
            }
            if (before == null || !Objects.equals(before.getMetadata().getResourceVersion(),
                    d.getMetadata().getResourceVersion())) {
                enqueue(d, 0);
            }
        }
        for (Map.Entry<String, Deployment> gone : seen.entrySet()) {
            if (!now.containsKey(gone.getKey())) {
                collectGarbage(gone.getValue());
            }
        }
        seen = now;
    }

    void failImages(Pattern pattern) {
        failingImages.add(Objects.requireNonNull(pattern, "pattern"));
    }

    void clearFailures() {
        failingImages.clear();
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (executor != null) {
            executor.shutdownNow();
            try {
                if (!executor.awaitTermination(5, TimeUnit.SECONDS)) {
                    LOG.warn("the simulated deployment controller did not stop within 5 s");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void enqueue(Deployment d, long delayMillis) {
        String namespace = d.getMetadata().getNamespace();
        String name = d.getMetadata().getName();
        enqueue(namespace, name, delayMillis);
    }

    private void enqueue(String namespace, String name, long delayMillis) {
        String key = namespace + "/" + name;
        if (delayMillis == 0 && !queued.add(key)) {
            return;
        }
        submit(() -> {
            if (delayMillis == 0) {
                queued.remove(key);
            }
            reconcileSafely(namespace, name);
        }, delayMillis);
    }

    private void submit(Runnable task, long delayMillis) {
        if (closed) {
            return;
        }
        try {
            executor.schedule(task, delayMillis, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            if (!closed) {
                throw e;
            }
        }
    }

    private void reconcileSafely(String namespace, String name) {
        if (closed) {
            return;
        }
        String key = namespace + "/" + name;
        MDC.put("key", key);
        try {
            reconcile(namespace, name);
            failures.remove(key);
        } catch (RuntimeException e) {
            if (closed) {
                return;
            }
            int attempt = failures.merge(key, 1, Integer::sum);
            boolean conflict = e instanceof KubernetesClientException k && k.getCode() == 409;
            if (attempt > MAX_RETRIES) {
                LOG.warn("reconcile of deployment {} failed {} times, waiting for its next change: {}",
                        key, attempt - 1, e.toString());
                failures.remove(key);
                return;
            }
            if (conflict) {
                LOG.debug("conflict while reconciling {}, retrying: {}", key, e.getMessage());
            } else {
                LOG.warn("reconcile of deployment {} failed, retrying: {}", key, e.toString());
            }
            enqueue(namespace, name, Math.min(2_000, RETRY_MILLIS << Math.min(attempt - 1, 6)));
        } finally {
            MDC.remove("key");
        }
    }

    private void reconcile(String namespace, String name) {
        Deployment d = client.apps().deployments().inNamespace(namespace).withName(name).get();
        if (d == null || d.getMetadata().getDeletionTimestamp() != null || d.getSpec() == null
                || d.getSpec().getTemplate() == null) {
            return; // a real API server would have rejected a Deployment without a pod template
        }
        String uid = d.getMetadata().getUid();
        List<ReplicaSet> all = client.apps().replicaSets().inNamespace(namespace).list().getItems();
        List<ReplicaSet> owned = ReplicaSets.owned(all, uid);
        int replicas = Optional.ofNullable(d.getSpec().getReplicas()).orElse(1);
        long generation = Optional.ofNullable(d.getMetadata().getGeneration()).orElse(1L);
        if (Boolean.TRUE.equals(d.getSpec().getPaused())) {
            statuses.write(d, statuses.paused(d, generation));
            return;
        }
        ReplicaSets.Current found = replicaSets.current(d, all, owned, replicas);
        ReplicaSet current = found.replicaSet();
        String currentName = current.getMetadata().getName();
        long revision = Revisions.of(current);
        MDC.put("revision", Long.toString(revision));
        try {
            d = revisions.annotate(d, revision, currentName);
            long now = System.nanoTime();
            Rollout rollout = rollouts.get(uid);
            if (rollout == null || !rollout.replicaSet().equals(currentName) || rollout.generation() != generation) {
                rollout = new Rollout(currentName, generation, now, failing(d.getSpec().getTemplate()));
                rollouts.put(uid, rollout);
            }
            long due = (rollout.failing() ? failAfter : rolloutDelay).toNanos();
            long elapsed = now - rollout.startedNanos();
            Phase phase = elapsed < due ? Phase.PROGRESSING
                    : rollout.failing() ? Phase.DEADLINE_EXCEEDED : Phase.COMPLETE;
            long wakeUpAt = rollout.startedNanos() + due;
            if (phase == Phase.PROGRESSING && !Objects.equals(wakeUps.put(uid, wakeUpAt), wakeUpAt)) {
                enqueue(namespace, name, TimeUnit.NANOSECONDS.toMillis(due - elapsed) + 1);
            }
            List<ReplicaSet> old = owned.stream().filter(rs -> !rs.getMetadata().getName().equals(currentName)).toList();
            if (phase == Phase.COMPLETE) {
                current = replicaSets.scale(current, replicas, replicas);
                old = old.stream().map(rs -> replicaSets.scale(rs, 0, 0)).toList();
            } else {
                // pods of the new template are not available yet; ones already running stay so
                int stillAvailable = Math.min(replicas, ReplicaSets.statusInt(current, ReplicaSetStatus::getAvailableReplicas));
                current = replicaSets.scale(current, replicas, rollout.failing() ? 0 : stillAvailable);
            }
            statuses.write(d, statuses.rollout(d, generation, replicas, found.collisionCount(), current, old, phase));
        } finally {
            MDC.remove("revision");
        }
    }

    private boolean failing(PodTemplateSpec template) {
        return PodTemplates.images(template).stream()
                .anyMatch(image -> failingImages.stream().anyMatch(p -> p.matcher(image).find()));
    }

    private void collectGarbage(Deployment d) {
        String uid = d.getMetadata().getUid();
        rollouts.remove(uid);
        wakeUps.remove(uid);
        String namespace = d.getMetadata().getNamespace();
        try {
            for (ReplicaSet rs : client.apps().replicaSets().inNamespace(namespace).list().getItems()) {
                if (ReplicaSets.ownedBy(rs, uid)) {
                    client.apps().replicaSets().inNamespace(namespace).withName(rs.getMetadata().getName()).delete();
                    LOG.debug("deleted replica set {}/{} of deleted deployment", namespace, rs.getMetadata().getName());
                }
            }
        } catch (KubernetesClientException e) {
            if (!closed) {
                LOG.warn("could not delete the replica sets of deployment {}/{}: {}", namespace,
                        d.getMetadata().getName(), e.getMessage());
            }
        }
    }
}
