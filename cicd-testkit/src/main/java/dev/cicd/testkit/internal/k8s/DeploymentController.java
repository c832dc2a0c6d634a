package dev.cicd.testkit.internal.k8s;

import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentCondition;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatus;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetBuilder;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetStatus;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
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
 * <p>An ordinary informer on Deployments, through an ordinary client, against the simulated API
 * server. For each Deployment it finds the ReplicaSets it owns (controller ownerReference with its
 * uid; ReplicaSets without one are never touched or counted), reuses the one whose pod template
 * equals the Deployment's (ignoring {@code pod-template-hash}) or creates {@code <name>-<hash>},
 * numbers revisions like the real controller (a reused ReplicaSet moves to max + 1), copies the
 * revision to the Deployment, and reports rollout status: progressing at once, converged after
 * the rollout delay (old ReplicaSets scaled to 0), or {@code ProgressDeadlineExceeded} after the
 * deadline when the failure hook matches an image. Deleting a Deployment deletes the ReplicaSets
 * it owns. All work runs on one thread, one Deployment at a time.
 */
final class DeploymentController implements AutoCloseable {

    static final String REVISION = "deployment.kubernetes.io/revision";
    static final String REVISION_HISTORY = "deployment.kubernetes.io/revision-history";
    static final String DESIRED_REPLICAS = "deployment.kubernetes.io/desired-replicas";
    static final String MAX_REPLICAS = "deployment.kubernetes.io/max-replicas";
    private static final String LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";

    private static final Logger LOG = LoggerFactory.getLogger(DeploymentController.class);
    private static final long RETRY_MILLIS = 50;
    private static final int MAX_RETRIES = 12;

    private enum Phase { PROGRESSING, COMPLETE, DEADLINE_EXCEEDED }

    /** The rollout in progress for one Deployment uid: which ReplicaSet, which generation, since when. */
    private record Rollout(String replicaSet, long generation, long startedNanos, boolean failing) {
    }

    private final KubernetesClient client;
    private final KubernetesSerialization serialization;
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
    private ScheduledExecutorService executor;
    private SharedIndexInformer<Deployment> informer;
    private volatile boolean closed;

    DeploymentController(KubernetesClient client, Duration rolloutDelay, Duration failAfter) {
        this.client = Objects.requireNonNull(client, "client");
        this.serialization = client.getKubernetesSerialization();
        this.rolloutDelay = Objects.requireNonNull(rolloutDelay, "rolloutDelay");
        this.failAfter = Objects.requireNonNull(failAfter, "failAfter");
    }

    /** Starts the worker thread and the informer; returns once the informer has synced. */
    synchronized void start() {
        if (executor != null) {
            throw new IllegalStateException("already started");
        }
        executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "cicd-testkit-deployment-controller");
            t.setDaemon(true);
            return t;
        });
        informer = client.apps().deployments().inAnyNamespace().inform(new ResourceEventHandler<>() {
            @Override
            public void onAdd(Deployment d) {
                enqueue(d, 0);
            }

            @Override
            public void onUpdate(Deployment old, Deployment d) {
                enqueue(d, 0);
            }

            @Override
            public void onDelete(Deployment d, boolean finalStateUnknown) {
                submit(() -> collectGarbage(d), 0);
            }
        });
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
        if (informer != null) {
            informer.stop();
        }
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
        List<ReplicaSet> owned = all.stream().filter(rs -> ownedBy(rs, uid)).toList();
        int replicas = Optional.ofNullable(d.getSpec().getReplicas()).orElse(1);
        long generation = Optional.ofNullable(d.getMetadata().getGeneration()).orElse(1L);
        if (Boolean.TRUE.equals(d.getSpec().getPaused())) {
            writeStatus(d, pausedStatus(d, generation));
            return;
        }
        long maxRevision = owned.stream().mapToLong(DeploymentController::revision).max().orElse(0);
        PodTemplateSpec template = d.getSpec().getTemplate();
        Optional<ReplicaSet> match = owned.stream()
                .filter(rs -> rs.getSpec() != null
                        && PodTemplates.equalIgnoringHash(rs.getSpec().getTemplate(), template, serialization))
                .max(Comparator.comparingLong(DeploymentController::revision));
        int collisionCount = Optional.ofNullable(d.getStatus()).map(DeploymentStatus::getCollisionCount).orElse(0);
        ReplicaSet current;
        if (match.isEmpty()) {
            int collisions = collisionCount;
            while (nameTaken(all, d.getMetadata().getName() + "-" + PodTemplates.hash(template, collisions, serialization))) {
                collisions++;
                if (collisions > collisionCount + 100) {
                    throw new IllegalStateException("no free ReplicaSet name for " + name);
                }
            }
            collisionCount = collisions;
            current = createReplicaSet(d, PodTemplates.hash(template, collisions, serialization), maxRevision + 1, replicas);
        } else if (revision(match.get()) < maxRevision) {
            current = moveRevision(d, match.get(), maxRevision + 1);
        } else {
            current = match.get();
        }
        String currentName = current.getMetadata().getName();
        long revision = revision(current);
        MDC.put("revision", Long.toString(revision));
        try {
            if (!Long.toString(revision).equals(annotation(d.getMetadata(), REVISION))) {
                d = client.apps().deployments().inNamespace(namespace).withName(name)
                        .patch(PatchContext.of(PatchType.JSON_MERGE),
                                "{\"metadata\":{\"annotations\":{\"" + REVISION + "\":\"" + revision + "\"}}}");
                LOG.debug("deployment {}/{} is at revision {} (replica set {})", namespace, name, revision, currentName);
            }
            long now = System.nanoTime();
            Rollout rollout = rollouts.get(uid);
            if (rollout == null || !rollout.replicaSet().equals(currentName) || rollout.generation() != generation) {
                rollout = new Rollout(currentName, generation, now, failing(template));
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
                current = scale(current, replicas, replicas);
                old = old.stream().map(rs -> scale(rs, 0, 0)).toList();
            } else {
                // pods of the new template are not available yet; ones already running stay so
                int stillAvailable = Math.min(replicas, statusInt(current, ReplicaSetStatus::getAvailableReplicas));
                current = scale(current, replicas, rollout.failing() ? 0 : stillAvailable);
            }
            writeStatus(d, rolloutStatus(d, generation, replicas, collisionCount, current, old, phase));
        } finally {
            MDC.remove("revision");
        }
    }

    private boolean failing(PodTemplateSpec template) {
        return PodTemplates.images(template).stream()
                .anyMatch(image -> failingImages.stream().anyMatch(p -> p.matcher(image).find()));
    }

    private ReplicaSet createReplicaSet(Deployment d, String hash, long revision, int replicas) {
        String namespace = d.getMetadata().getNamespace();
        PodTemplateSpec template = serialization.clone(d.getSpec().getTemplate());
        if (template.getMetadata() == null) {
            template.setMetadata(new ObjectMeta());
        }
        Map<String, String> labels = new LinkedHashMap<>(Optional.ofNullable(template.getMetadata().getLabels()).orElse(Map.of()));
        labels.put(PodTemplates.HASH_LABEL, hash);
        template.getMetadata().setLabels(labels);
        LabelSelector selector = d.getSpec().getSelector() == null
                ? new LabelSelector() : serialization.clone(d.getSpec().getSelector());
        Map<String, String> matchLabels = new LinkedHashMap<>(Optional.ofNullable(selector.getMatchLabels()).orElse(Map.of()));
        matchLabels.put(PodTemplates.HASH_LABEL, hash);
        selector.setMatchLabels(matchLabels);
        Map<String, String> annotations = copiedAnnotations(d);
        annotations.put(REVISION, Long.toString(revision));
        annotations.put(DESIRED_REPLICAS, Integer.toString(replicas));
        annotations.put(MAX_REPLICAS, Integer.toString(replicas + (replicas + 3) / 4));
        ReplicaSet rs = new ReplicaSetBuilder()
                .withNewMetadata()
                .withName(d.getMetadata().getName() + "-" + hash)
                .withNamespace(namespace)
                .withLabels(labels)
                .withAnnotations(annotations)
                .withOwnerReferences(ownerReference(d))
                .endMetadata()
                .withNewSpec()
                .withReplicas(replicas)
                .withMinReadySeconds(d.getSpec().getMinReadySeconds())
                .withSelector(selector)
                .withTemplate(template)
                .endSpec()
                .build();
        ReplicaSet created = client.apps().replicaSets().inNamespace(namespace).resource(rs).create();
        LOG.debug("created replica set {}/{} at revision {}", namespace, rs.getMetadata().getName(), revision);
        return created;
    }

    /** Rollback to an old template: the old ReplicaSet takes the next revision number. */
    private ReplicaSet moveRevision(Deployment d, ReplicaSet rs, long revision) {
        ReplicaSet copy = serialization.clone(rs);
        Map<String, String> annotations = new LinkedHashMap<>(Optional.ofNullable(copy.getMetadata().getAnnotations()).orElse(Map.of()));
        String oldRevision = annotations.get(REVISION);
        annotations.putAll(copiedAnnotations(d));
        if (oldRevision != null) {
            String history = annotations.get(REVISION_HISTORY);
            annotations.put(REVISION_HISTORY, history == null || history.isEmpty() ? oldRevision : history + "," + oldRevision);
        }
        annotations.put(REVISION, Long.toString(revision));
        copy.getMetadata().setAnnotations(annotations);
        LOG.debug("reusing replica set {}/{}: revision {} -> {}", rs.getMetadata().getNamespace(),
                rs.getMetadata().getName(), oldRevision, revision);
        return client.apps().replicaSets().inNamespace(rs.getMetadata().getNamespace()).resource(copy).update();
    }

    /** Sets the ReplicaSet's desired replicas and the number of its pods that are available. */
    private ReplicaSet scale(ReplicaSet rs, int replicas, int available) {
        ReplicaSet result = rs;
        String namespace = rs.getMetadata().getNamespace();
        if (!Objects.equals(rs.getSpec().getReplicas(), replicas)) {
            ReplicaSet copy = serialization.clone(rs);
            copy.getSpec().setReplicas(replicas);
            if (replicas > 0) {
                Map<String, String> annotations = new LinkedHashMap<>(Optional.ofNullable(copy.getMetadata().getAnnotations()).orElse(Map.of()));
                annotations.put(DESIRED_REPLICAS, Integer.toString(replicas));
                copy.getMetadata().setAnnotations(annotations);
            }
            result = client.apps().replicaSets().inNamespace(namespace).resource(copy).update();
        }
        ReplicaSetStatus wanted = new ReplicaSetStatusBuilder()
                .withReplicas(replicas)
                .withFullyLabeledReplicas(replicas)
                .withReadyReplicas(available)
                .withAvailableReplicas(available)
                .withObservedGeneration(result.getMetadata().getGeneration())
                .build();
        if (!same(wanted, result.getStatus())) {
            ReplicaSet copy = serialization.clone(result);
            copy.setStatus(wanted);
            result = client.apps().replicaSets().inNamespace(namespace).resource(copy).updateStatus();
        }
        return result;
    }

    private DeploymentStatus rolloutStatus(Deployment d, long generation, int replicas, int collisionCount,
            ReplicaSet current, List<ReplicaSet> old, Phase phase) {
        int oldReplicas = old.stream().mapToInt(rs -> statusInt(rs, ReplicaSetStatus::getReplicas)).sum();
        int oldReady = old.stream().mapToInt(rs -> statusInt(rs, ReplicaSetStatus::getReadyReplicas)).sum();
        int oldAvailable = old.stream().mapToInt(rs -> statusInt(rs, ReplicaSetStatus::getAvailableReplicas)).sum();
        int newAvailable = statusInt(current, ReplicaSetStatus::getAvailableReplicas);
        int total = replicas + oldReplicas;
        int ready = oldReady + statusInt(current, ReplicaSetStatus::getReadyReplicas);
        int available = oldAvailable + newAvailable;
        int unavailable = Math.max(0, replicas - available);
        int minAvailable = replicas - replicas / 4;
        String rsName = current.getMetadata().getName();
        List<DeploymentCondition> existing = Optional.ofNullable(d.getStatus())
                .map(DeploymentStatus::getConditions).orElse(List.of());
        List<DeploymentCondition> conditions = new ArrayList<>();
        conditions.add(available >= minAvailable
                ? condition(existing, "Available", "True", "MinimumReplicasAvailable", "Deployment has minimum availability.")
                : condition(existing, "Available", "False", "MinimumReplicasUnavailable", "Deployment does not have minimum availability."));
        conditions.add(switch (phase) {
            case COMPLETE -> condition(existing, "Progressing", "True", "NewReplicaSetAvailable",
                    "ReplicaSet \"" + rsName + "\" has successfully progressed.");
            case PROGRESSING -> condition(existing, "Progressing", "True", "ReplicaSetUpdated",
                    "ReplicaSet \"" + rsName + "\" is progressing.");
            case DEADLINE_EXCEEDED -> condition(existing, "Progressing", "False", "ProgressDeadlineExceeded",
                    "ReplicaSet \"" + rsName + "\" has timed out progressing.");
        });
        DeploymentStatus status = new DeploymentStatus();
        status.setObservedGeneration(generation);
        status.setReplicas(total);
        status.setUpdatedReplicas(replicas);
        status.setReadyReplicas(ready);
        status.setAvailableReplicas(available);
        status.setUnavailableReplicas(unavailable == 0 ? null : unavailable);
        status.setCollisionCount(collisionCount == 0 ? null : collisionCount);
        status.setConditions(conditions);
        return status;
    }

    private DeploymentStatus pausedStatus(Deployment d, long generation) {
        DeploymentStatus status = d.getStatus() == null ? new DeploymentStatus() : serialization.clone(d.getStatus());
        status.setObservedGeneration(generation);
        List<DeploymentCondition> conditions = new ArrayList<>(Optional.ofNullable(status.getConditions()).orElse(List.of()));
        conditions.removeIf(c -> "Progressing".equals(c.getType()));
        conditions.add(condition(Optional.ofNullable(d.getStatus()).map(DeploymentStatus::getConditions).orElse(List.of()),
                "Progressing", "Unknown", "DeploymentPaused", "Deployment is paused"));
        status.setConditions(conditions);
        return status;
    }

    private void writeStatus(Deployment d, DeploymentStatus wanted) {
        if (same(wanted, d.getStatus())) {
            return;
        }
        Deployment copy = serialization.clone(d);
        copy.setStatus(wanted);
        client.apps().deployments().inNamespace(d.getMetadata().getNamespace()).resource(copy).updateStatus();
    }

    /** A condition; timestamps kept from the existing one of the same type when nothing changed. */
    private static DeploymentCondition condition(List<DeploymentCondition> existing, String type, String status,
            String reason, String message) {
        String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        DeploymentCondition c = new DeploymentCondition();
        c.setType(type);
        c.setStatus(status);
        c.setReason(reason);
        c.setMessage(message);
        c.setLastUpdateTime(now);
        c.setLastTransitionTime(now);
        for (DeploymentCondition e : existing) {
            if (type.equals(e.getType())) {
                if (status.equals(e.getStatus())) {
                    c.setLastTransitionTime(e.getLastTransitionTime());
                    if (reason.equals(e.getReason()) && message.equals(e.getMessage())) {
                        c.setLastUpdateTime(e.getLastUpdateTime());
                    }
                }
            }
        }
        return c;
    }

    private void collectGarbage(Deployment d) {
        String uid = d.getMetadata().getUid();
        rollouts.remove(uid);
        wakeUps.remove(uid);
        String namespace = d.getMetadata().getNamespace();
        try {
            for (ReplicaSet rs : client.apps().replicaSets().inNamespace(namespace).list().getItems()) {
                if (ownedBy(rs, uid)) {
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

    private boolean same(Object a, Object b) {
        return Objects.equals(prunedTree(a), prunedTree(b));
    }

    private Object prunedTree(Object value) {
        if (value == null) {
            return Map.of();
        }
        Object tree = serialization.convertValue(value, Object.class);
        return tree instanceof Map<?, ?> m ? pruneEmpty(m) : tree;
    }

    private static Object pruneEmpty(Object value) {
        if (value instanceof Map<?, ?> map) {
            Map<String, Object> out = new LinkedHashMap<>();
            map.forEach((k, v) -> {
                Object p = pruneEmpty(v);
                if (p != null && !(p instanceof Map<?, ?> pm && pm.isEmpty()) && !(p instanceof List<?> pl && pl.isEmpty())) {
                    out.put(String.valueOf(k), p);
                }
            });
            return out;
        }
        if (value instanceof List<?> list) {
            return list.stream().map(DeploymentController::pruneEmpty).toList();
        }
        if (value instanceof Number n && !(value instanceof Double) && !(value instanceof Float)) {
            return n.longValue();
        }
        return value;
    }

    private static Map<String, String> copiedAnnotations(Deployment d) {
        Map<String, String> out = new LinkedHashMap<>();
        Optional.ofNullable(d.getMetadata().getAnnotations()).orElse(Map.of()).forEach((k, v) -> {
            if (!k.startsWith("deployment.kubernetes.io/") && !k.equals(LAST_APPLIED)) {
                out.put(k, v);
            }
        });
        return out;
    }

    private static OwnerReference ownerReference(Deployment d) {
        return new OwnerReferenceBuilder()
                .withApiVersion("apps/v1")
                .withKind("Deployment")
                .withName(d.getMetadata().getName())
                .withUid(d.getMetadata().getUid())
                .withController(true)
                .withBlockOwnerDeletion(true)
                .build();
    }

    static boolean ownedBy(ReplicaSet rs, String uid) {
        return rs.getMetadata() != null && rs.getMetadata().getOwnerReferences() != null
                && rs.getMetadata().getOwnerReferences().stream()
                        .anyMatch(o -> Boolean.TRUE.equals(o.getController()) && uid.equals(o.getUid()));
    }

    static long revision(ReplicaSet rs) {
        String value = annotation(rs.getMetadata(), REVISION);
        if (value == null) {
            return 0;
        }
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static String annotation(ObjectMeta meta, String key) {
        return meta == null || meta.getAnnotations() == null ? null : meta.getAnnotations().get(key);
    }

    private static boolean nameTaken(List<ReplicaSet> all, String name) {
        return all.stream().anyMatch(rs -> name.equals(rs.getMetadata().getName()));
    }

    private static int statusInt(ReplicaSet rs, java.util.function.Function<ReplicaSetStatus, Integer> field) {
        return Optional.ofNullable(rs.getStatus()).map(field).orElse(0);
    }
}
