package dev.cicd.testkit.internal.k8s;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentCondition;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatus;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Status convergence of the simulated deployment controller: the Deployment status (replica counts,
 * {@code Available} and {@code Progressing} conditions) for a rollout phase, the paused status, and
 * writing a status only when it differs from the stored one.
 */
final class DeploymentStatuses {

    /** Where a rollout is: pods of the new template not yet available, all available, or never going to be. */
    enum Phase { PROGRESSING, COMPLETE, DEADLINE_EXCEEDED }

    private final KubernetesClient client;
    private final KubernetesSerialization serialization;

    DeploymentStatuses(KubernetesClient client) {
        this.client = client;
        this.serialization = client.getKubernetesSerialization();
    }

    /** The status of a rollout to {@code current} with the {@code old} ReplicaSets beside it. */
    DeploymentStatus rollout(Deployment d, long generation, int replicas, int collisionCount,
            ReplicaSet current, List<ReplicaSet> old, Phase phase) {
        int oldReplicas = old.stream().mapToInt(rs -> ReplicaSets.statusInt(rs, ReplicaSetStatus::getReplicas)).sum();
        int oldReady = old.stream().mapToInt(rs -> ReplicaSets.statusInt(rs, ReplicaSetStatus::getReadyReplicas)).sum();
        int oldAvailable = old.stream().mapToInt(rs -> ReplicaSets.statusInt(rs, ReplicaSetStatus::getAvailableReplicas)).sum();
        int newAvailable = ReplicaSets.statusInt(current, ReplicaSetStatus::getAvailableReplicas);
        int total = replicas + oldReplicas;
        int ready = oldReady + ReplicaSets.statusInt(current, ReplicaSetStatus::getReadyReplicas);
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

    /** The status of a paused Deployment: generation observed, {@code Progressing=Unknown DeploymentPaused}. */
    DeploymentStatus paused(Deployment d, long generation) {
        DeploymentStatus status = d.getStatus() == null ? new DeploymentStatus() : serialization.clone(d.getStatus());
        status.setObservedGeneration(generation);
        List<DeploymentCondition> conditions = new ArrayList<>(Optional.ofNullable(status.getConditions()).orElse(List.of()));
        conditions.removeIf(c -> "Progressing".equals(c.getType()));
        conditions.add(condition(Optional.ofNullable(d.getStatus()).map(DeploymentStatus::getConditions).orElse(List.of()),
                "Progressing", "Unknown", "DeploymentPaused", "Deployment is paused"));
        status.setConditions(conditions);
        return status;
    }

    /** Writes the status subresource unless the stored status is already {@code wanted}. */
    void write(Deployment d, DeploymentStatus wanted) {
        if (same(serialization, wanted, d.getStatus())) {
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

    /** Whether two model objects are equal ignoring nulls and empty maps or lists. */
    static boolean same(KubernetesSerialization serialization, Object a, Object b) {
        return Objects.equals(prunedTree(serialization, a), prunedTree(serialization, b));
    }

    private static Object prunedTree(KubernetesSerialization serialization, Object value) {
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
            return list.stream().map(DeploymentStatuses::pruneEmpty).toList();
        }
        if (value instanceof Number n && !(value instanceof Double) && !(value instanceof Float)) {
            return n.longValue();
        }
        return value;
    }
}
