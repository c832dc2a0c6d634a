package dev.cicd.k8s;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * A Deployment's rollout history as values ({@link KubernetesAction#history}): what
 * {@code kubectl rollout history} shows, from the ReplicaSets it owns.
 *
 * @param namespace  the namespace
 * @param deployment the Deployment
 * @param current    its current revision, when known
 * @param revisions  by revision number
 */
public record DeploymentHistory(String namespace, String deployment, OptionalLong current, List<Revision> revisions) {

    public DeploymentHistory {
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(deployment, "deployment");
        Objects.requireNonNull(current, "current");
        revisions = List.copyOf(revisions);
    }

    /**
     * One revision.
     *
     * @param number      the ReplicaSet's revision annotation
     * @param changeCause its change-cause annotation, or empty
     * @param images      container name -> image, in pod-template order
     * @param replicaSet  the ReplicaSet's name
     */
    public record Revision(long number, String changeCause, Map<String, String> images, String replicaSet) {
        public Revision {
            changeCause = changeCause == null ? "" : changeCause;
            images = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(images));
            Objects.requireNonNull(replicaSet, "replicaSet");
        }
    }
}
