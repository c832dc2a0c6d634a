package dev.cicd.k8s.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cicd.core.CicdException;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The revisions of a Deployment, read from the ReplicaSets it owns: {@code kubectl rollout history} and
 * {@code kubectl rollout undo}. Every expected failure is a {@link StepFailure} whose message is the reason
 * to report.
 */
final class Revisions {

    static final String REVISION = "deployment.kubernetes.io/revision";
    static final String CHANGE_CAUSE = "kubernetes.io/change-cause";
    static final String HASH_LABEL = "pod-template-hash";

    /** Annotations kubectl keeps on the Deployment instead of copying them from the target ReplicaSet. */
    private static final Set<String> UNDO_SKIPPED_ANNOTATIONS = Set.of(
            "kubectl.kubernetes.io/last-applied-configuration",
            REVISION,
            "deployment.kubernetes.io/revision-history",
            "deployment.kubernetes.io/desired-replicas",
            "deployment.kubernetes.io/max-replicas",
            "deprecated.deployment.rollback.to");

    private static final Logger log = LoggerFactory.getLogger(Revisions.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final KubernetesClient client;
    private final KubernetesSerialization serialization;
    private final DeploymentPatch.BeforePatch beforePatch;

    /**
     * One revision of a Deployment.
     *
     * @param number      the ReplicaSet's {@value #REVISION} annotation
     * @param changeCause its {@value #CHANGE_CAUSE} annotation, or empty
     * @param images      container name -> image, in pod-template order
     * @param replicaSet  the ReplicaSet's name
     */
    record Revision(long number, String changeCause, Map<String, String> images, String replicaSet) {
        public String imagesText() {
            return images.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                    .collect(Collectors.joining(", "));
        }
    }

    Revisions(KubernetesClient client, DeploymentPatch.BeforePatch beforePatch) {
        this.client = Objects.requireNonNull(client, "client");
        this.serialization = client.getKubernetesSerialization();
        this.beforePatch = Objects.requireNonNull(beforePatch, "beforePatch");
    }

    /** The Deployment's current revision: its revision annotation, else the highest owned revision. */
    OptionalLong currentRevision(String ns, String name) {
        Deployment d = Rollouts.require(client, ns, name);
        return currentRevision(d, ownedRevisions(d));
    }

    private static OptionalLong currentRevision(Deployment d, List<Revision> owned) {
        OptionalLong annotated = parseRevision(d.getMetadata().getAnnotations());
        if (annotated.isPresent()) {
            return annotated;
        }
        return owned.isEmpty() ? OptionalLong.empty() : OptionalLong.of(owned.get(owned.size() - 1).number());
    }

    /** The history as the public value: the owned revisions and the current one, from one read of the Deployment. */
    dev.cicd.k8s.DeploymentHistory historyValue(String ns, String name) {
        Deployment d = Rollouts.require(client, ns, name);
        List<Revision> revs = ownedRevisions(d);
        return new dev.cicd.k8s.DeploymentHistory(ns, name, currentRevision(d, revs), revs.stream()
                .map(r -> new dev.cicd.k8s.DeploymentHistory.Revision(r.number(), r.changeCause(), r.images(), r.replicaSet()))
                .toList());
    }

    /** The revisions of the ReplicaSets the Deployment owns (ownerReferences uid), by number. */
    List<Revision> history(String ns, String name) {
        return ownedRevisions(Rollouts.require(client, ns, name));
    }

    private List<Revision> ownedRevisions(Deployment d) {
        List<Revision> out = new ArrayList<>();
        for (ReplicaSet rs : ownedReplicaSets(d)) {
            OptionalLong n = parseRevision(rs.getMetadata().getAnnotations());
            if (n.isEmpty()) {
                log.warn("replicaset {} owned by deployment {} has no valid {} annotation; skipped",
                        rs.getMetadata().getName(), d.getMetadata().getName(), REVISION);
                continue;
            }
            Map<String, String> images = new LinkedHashMap<>();
            PodTemplateSpec t = rs.getSpec() == null ? null : rs.getSpec().getTemplate();
            if (t != null && t.getSpec() != null && t.getSpec().getContainers() != null) {
                for (Container c : t.getSpec().getContainers()) {
                    images.put(c.getName(), c.getImage());
                }
            }
            Map<String, String> a = rs.getMetadata().getAnnotations();
            String cause = a == null ? "" : a.getOrDefault(CHANGE_CAUSE, "");
            out.add(new Revision(n.getAsLong(), cause, images, rs.getMetadata().getName()));
        }
        out.sort(Comparator.comparingLong(Revision::number));
        return out;
    }

    private List<ReplicaSet> ownedReplicaSets(Deployment d) {
        String ns = d.getMetadata().getNamespace();
        String uid = d.getMetadata().getUid();
        Map<String, String> match = d.getSpec() == null || d.getSpec().getSelector() == null
                ? null : d.getSpec().getSelector().getMatchLabels();
        var rsOps = client.apps().replicaSets().inNamespace(ns);
        List<ReplicaSet> all = match == null || match.isEmpty()
                ? rsOps.list().getItems() : rsOps.withLabels(match).list().getItems();
        List<ReplicaSet> owned = new ArrayList<>();
        for (ReplicaSet rs : all) {
            if (isOwnedBy(rs, uid)) {
                owned.add(rs);
            }
        }
        return owned;
    }

    static boolean isOwnedBy(HasMetadata o, String uid) {
        List<OwnerReference> refs = o.getMetadata().getOwnerReferences();
        if (uid == null || refs == null) {
            return false;
        }
        for (OwnerReference r : refs) {
            if (uid.equals(r.getUid())) {
                return true;
            }
        }
        return false;
    }

    /** {@code kubectl rollout history}-like text. */
    static String formatHistory(String target, List<Revision> revisions, OptionalLong current) {
        StringBuilder sb = new StringBuilder();
        sb.append("deployment ").append(target).append(" revisions (current ")
                .append(current.isPresent() ? String.valueOf(current.getAsLong()) : "unknown").append("):\n");
        if (revisions.isEmpty()) {
            return sb.append("  (no owned ReplicaSet carries a revision)\n").toString();
        }
        sb.append(String.format(Locale.ROOT, "  %-8s  %-24s  %s%n", "REVISION", "CHANGE-CAUSE", "IMAGES"));
        for (Revision r : revisions) {
            sb.append(String.format(Locale.ROOT, "  %-8d  %-24s  %s%n", r.number(),
                    r.changeCause().isEmpty() ? "<none>" : r.changeCause(), r.imagesText()));
        }
        return sb.toString();
    }

    /** Rollout history step: the text to record. */
    String historyText(String ns, String name) {
        Deployment d = Rollouts.require(client, ns, name);
        List<Revision> revs = ownedRevisions(d);
        return formatHistory(ns + "/" + name, revs, currentRevision(d, revs));
    }

    /**
     * Rolls back like {@code kubectl rollout undo}: the target ReplicaSet's pod template, minus the
     * {@value #HASH_LABEL} label, replaces the Deployment's, and its annotations (change-cause among them)
     * are copied onto the Deployment, in one JSON patch. The patch is guarded by {@code test} operations on
     * what was read (see {@link DeploymentPatch#readState}): when someone changed the Deployment's spec
     * since, the API server refuses it and the undo fails with {@link DeploymentPatch#CHANGED_BY_SOMEONE_ELSE},
     * leaving that newer change in place.
     *
     * @param toRevision a revision, or empty for the highest owned revision below the current one
     * @param operation  what undoes, for {@link DeploymentPatch.BeforePatch} ({@code rolloutUndo} or {@code rollback})
     * @param expected   container -> image the Deployment must still run (what this plan's {@code setImage}
     *                   set), or empty; when it runs something else the undo is not sent
     * @return a one-line summary naming the revision rolled back to
     */
    UndoResult undo(String ns, String name, OptionalLong toRevision, String operation, Map<String, String> expected) {
        Deployment d = Rollouts.require(client, ns, name);
        String target = ns + "/" + name;
        Map<String, String> running = DeploymentPatch.images(d);
        for (Map.Entry<String, String> e : expected.entrySet()) {
            String now = running.get(e.getKey());
            if (!e.getValue().equals(now)) {
                throw new StepFailure("deployment " + target + " was " + DeploymentPatch.CHANGED_BY_SOMEONE_ELSE
                        + ": container " + e.getKey() + " runs " + (now == null ? "nothing (no such container)" : now)
                        + ", not " + e.getValue() + " as this plan set it; not rolled back, so that change is kept");
            }
        }
        if (d.getSpec() != null && Boolean.TRUE.equals(d.getSpec().getPaused())) {
            throw new StepFailure("deployment " + target + " is paused; resume it before rolling back");
        }
        List<ReplicaSet> owned = ownedReplicaSets(d);
        List<Revision> revs = ownedRevisions(d);
        OptionalLong current = currentRevision(d, revs);
        long wanted;
        if (toRevision.isPresent()) {
            wanted = toRevision.getAsLong();
            if (revs.stream().noneMatch(r -> r.number() == wanted)) {
                throw new StepFailure("no revision " + wanted + " of deployment " + target + " (revisions: "
                        + revs.stream().map(r -> String.valueOf(r.number())).collect(Collectors.joining(", ")) + ")");
            }
        } else {
            long cur = current.orElse(Long.MAX_VALUE);
            Optional<Revision> prev = revs.stream().filter(r -> r.number() < cur).reduce((a, b) -> b);
            if (prev.isEmpty()) {
                throw new StepFailure("no previous revision of deployment " + target + " to roll back to (current revision "
                        + (current.isPresent() ? current.getAsLong() : "unknown") + ")");
            }
            wanted = prev.get().number();
        }
        ReplicaSet rs = owned.stream()
                .filter(r -> parseRevision(r.getMetadata().getAnnotations()).orElse(-1) == wanted)
                .findFirst().orElseThrow(() -> new StepFailure("no revision " + wanted + " of deployment " + target));
        PodTemplateSpec template = serialization.clone(rs.getSpec().getTemplate());
        if (template.getMetadata() != null && template.getMetadata().getLabels() != null) {
            template.getMetadata().getLabels().remove(HASH_LABEL);
        }
        if (sameTemplate(template, d.getSpec().getTemplate())) {
            log.info("deployment {} already runs the template of revision {}; rollback skipped", target, wanted);
            return new UndoResult(wanted, false, "skipped: the current template already matches revision " + wanted);
        }
        Map<String, String> annotations = new LinkedHashMap<>();
        Map<String, String> depAnn = d.getMetadata().getAnnotations() == null ? Map.of() : d.getMetadata().getAnnotations();
        for (String k : UNDO_SKIPPED_ANNOTATIONS) {
            if (depAnn.containsKey(k)) {
                annotations.put(k, depAnn.get(k));
            }
        }
        if (rs.getMetadata().getAnnotations() != null) {
            rs.getMetadata().getAnnotations().forEach((k, v) -> {
                if (!UNDO_SKIPPED_ANNOTATIONS.contains(k)) {
                    annotations.put(k, v);
                }
            });
        }
        List<Map<String, Object>> ops = new ArrayList<>(DeploymentPatch.readState(d));
        ops.add(DeploymentPatch.op("replace", "/spec/template", template));
        ops.add(DeploymentPatch.op("add", "/metadata/annotations", annotations));
        beforePatch.beforePatch(target, operation);
        DeploymentPatch.sendGuarded(client, d, ops, "not rolled back, so that change is kept");
        log.info("rolled back deployment {} to revision {}", target, wanted);
        return new UndoResult(wanted, true, "rolled back to revision " + wanted
                + " (" + revs.stream().filter(r -> r.number() == wanted).findFirst().map(Revision::imagesText).orElse("")
                + ")");
    }

    /** What an undo did: the revision rolled back to, whether a patch was sent, a summary. */
    record UndoResult(long revision, boolean patched, String summary) {
    }

    private boolean sameTemplate(PodTemplateSpec a, PodTemplateSpec b) {
        if (b == null) {
            return false;
        }
        PodTemplateSpec bb = serialization.clone(b);
        if (bb.getMetadata() != null && bb.getMetadata().getLabels() != null) {
            bb.getMetadata().getLabels().remove(HASH_LABEL);
        }
        return tree(a).equals(tree(bb));
    }

    private JsonNode tree(Object modelObject) {
        try {
            return JSON.readTree(serialization.asJson(modelObject));
        } catch (java.io.IOException e) {
            throw new CicdException(CicdException.Code.INTERNAL, "cannot compare pod templates: " + e.getMessage(), e);
        }
    }

    static OptionalLong parseRevision(Map<String, String> annotations) {
        String v = annotations == null ? null : annotations.get(REVISION);
        if (v == null) {
            return OptionalLong.empty();
        }
        try {
            return OptionalLong.of(Long.parseLong(v.trim()));
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
    }
}
