package dev.cicd.testkit.internal.k8s;

import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Revision numbering of the simulated deployment controller, as the real one does it: a new
 * ReplicaSet gets max + 1; a rollback (the Deployment's template equals an older ReplicaSet's) moves
 * that ReplicaSet to max + 1 and appends its old number to {@value #REVISION_HISTORY}; the
 * Deployment carries the revision of its current ReplicaSet. So {@code kubectl rollout undo} twice
 * goes back to the newer template, because the previous revision is always the second highest.
 */
final class Revisions {

    static final String REVISION = "deployment.kubernetes.io/revision";
    static final String REVISION_HISTORY = "deployment.kubernetes.io/revision-history";
    private static final String LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";

    private static final Logger LOG = LoggerFactory.getLogger(Revisions.class);

    private final KubernetesClient client;
    private final KubernetesSerialization serialization;

    Revisions(KubernetesClient client) {
        this.client = client;
        this.serialization = client.getKubernetesSerialization();
    }

    /** The highest revision among the ReplicaSets, 0 when none carries one. */
    static long max(List<ReplicaSet> owned) {
        return owned.stream().mapToLong(Revisions::of).max().orElse(0);
    }

    /** Rollback to an old template: the old ReplicaSet takes the next revision number. */
    ReplicaSet move(Deployment d, ReplicaSet rs, long revision) {
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

    /** Sets the Deployment's revision annotation to {@code revision} unless it has it; the Deployment as it is then. */
    Deployment annotate(Deployment d, long revision, String replicaSet) {
        if (Long.toString(revision).equals(annotation(d.getMetadata(), REVISION))) {
            return d;
        }
        String namespace = d.getMetadata().getNamespace();
        String name = d.getMetadata().getName();
        Deployment patched = client.apps().deployments().inNamespace(namespace).withName(name)
                .patch(PatchContext.of(PatchType.JSON_MERGE),
                        "{\"metadata\":{\"annotations\":{\"" + REVISION + "\":\"" + revision + "\"}}}");
        LOG.debug("deployment {}/{} is at revision {} (replica set {})", namespace, name, revision, replicaSet);
        return patched;
    }

    /** The Deployment's annotations a ReplicaSet takes over (not the controller's own, not kubectl's last-applied). */
    static Map<String, String> copiedAnnotations(Deployment d) {
        Map<String, String> out = new LinkedHashMap<>();
        Optional.ofNullable(d.getMetadata().getAnnotations()).orElse(Map.of()).forEach((k, v) -> {
            if (!k.startsWith("deployment.kubernetes.io/") && !k.equals(LAST_APPLIED)) {
                out.put(k, v);
            }
        });
        return out;
    }

    /** The ReplicaSet's revision annotation; 0 when missing or not a number. */
    static long of(ReplicaSet rs) {
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
}
