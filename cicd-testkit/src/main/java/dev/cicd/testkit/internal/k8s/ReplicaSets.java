package dev.cicd.testkit.internal.k8s;

import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatus;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetBuilder;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetStatus;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * ReplicaSet reconciliation of the simulated deployment controller: which ReplicaSets a Deployment
 * owns (controller ownerReference with its uid), which one is current (the one whose pod template
 * equals the Deployment's ignoring {@code pod-template-hash}, else a new {@code <name>-<hash>}), and
 * scaling with the number of available pods.
 */
final class ReplicaSets {

    static final String DESIRED_REPLICAS = "deployment.kubernetes.io/desired-replicas";
    static final String MAX_REPLICAS = "deployment.kubernetes.io/max-replicas";

    private static final Logger LOG = LoggerFactory.getLogger(ReplicaSets.class);

    private final KubernetesClient client;
    private final KubernetesSerialization serialization;
    private final Revisions revisions;

    /**
     * The Deployment's current ReplicaSet.
     *
     * @param replicaSet     the ReplicaSet, as stored
     * @param collisionCount the Deployment's hash collision count after finding a free name
     */
    record Current(ReplicaSet replicaSet, int collisionCount) {
    }

    ReplicaSets(KubernetesClient client, Revisions revisions) {
        this.client = client;
        this.serialization = client.getKubernetesSerialization();
        this.revisions = revisions;
    }

    /** The ReplicaSets of the list whose controller ownerReference carries {@code uid}. */
    static List<ReplicaSet> owned(List<ReplicaSet> all, String uid) {
        return all.stream().filter(rs -> ownedBy(rs, uid)).toList();
    }

    static boolean ownedBy(ReplicaSet rs, String uid) {
        return rs.getMetadata() != null && rs.getMetadata().getOwnerReferences() != null
                && rs.getMetadata().getOwnerReferences().stream()
                        .anyMatch(o -> Boolean.TRUE.equals(o.getController()) && uid.equals(o.getUid()));
    }

    /**
     * The ReplicaSet for the Deployment's template: the owned one with an equal template (moved to
     * the next revision when it is not the newest: a rollback), else a new one at the next revision.
     *
     * @param all   every ReplicaSet of the namespace (to find a free name)
     * @param owned the ones the Deployment owns
     */
    Current current(Deployment d, List<ReplicaSet> all, List<ReplicaSet> owned, int replicas) {
        long maxRevision = Revisions.max(owned);
        PodTemplateSpec template = d.getSpec().getTemplate();
        Optional<ReplicaSet> match = owned.stream()
                .filter(rs -> rs.getSpec() != null
                        && PodTemplates.equalIgnoringHash(rs.getSpec().getTemplate(), template, serialization))
                .max(Comparator.comparingLong(Revisions::of));
        int collisionCount = Optional.ofNullable(d.getStatus()).map(DeploymentStatus::getCollisionCount).orElse(0);
        if (match.isEmpty()) {
            int collisions = collisionCount;
            while (nameTaken(all, d.getMetadata().getName() + "-" + PodTemplates.hash(template, collisions, serialization))) {
                collisions++;
                if (collisions > collisionCount + 100) {
                    throw new IllegalStateException("no free ReplicaSet name for " + d.getMetadata().getName());
                }
            }
            return new Current(create(d, PodTemplates.hash(template, collisions, serialization), maxRevision + 1, replicas),
                    collisions);
        }
        if (Revisions.of(match.get()) < maxRevision) {
            return new Current(revisions.move(d, match.get(), maxRevision + 1), collisionCount);
        }
        return new Current(match.get(), collisionCount);
    }

    private ReplicaSet create(Deployment d, String hash, long revision, int replicas) {
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
        Map<String, String> annotations = Revisions.copiedAnnotations(d);
        annotations.put(Revisions.REVISION, Long.toString(revision));
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

    /** Sets the ReplicaSet's desired replicas and the number of its pods that are available. */
    ReplicaSet scale(ReplicaSet rs, int replicas, int available) {
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
        if (!DeploymentStatuses.same(serialization, wanted, result.getStatus())) {
            ReplicaSet copy = serialization.clone(result);
            copy.setStatus(wanted);
            result = client.apps().replicaSets().inNamespace(namespace).resource(copy).updateStatus();
        }
        return result;
    }

    /** A field of the ReplicaSet's status; 0 when there is no status or no value. */
    static int statusInt(ReplicaSet rs, Function<ReplicaSetStatus, Integer> field) {
        return Optional.ofNullable(rs.getStatus()).map(field).orElse(0);
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

    private static boolean nameTaken(List<ReplicaSet> all, String name) {
        return all.stream().anyMatch(rs -> name.equals(rs.getMetadata().getName()));
    }
}
