package dev.cicd.k8s.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cicd.core.CicdException;
import dev.cicd.core.Durations;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.RollableScalableResource;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.time.Duration;
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
 * The Deployment operations of the plan steps, on the Kubernetes API: set image (one JSON patch), rollout
 * history from owned ReplicaSets, undo with kubectl's semantics, and waiting like {@code kubectl rollout status}.
 * Every expected failure is a {@link StepFailure} whose message is the reason to report.
 */
public final class Rollouts {

    public static final String REVISION = "deployment.kubernetes.io/revision";
    public static final String CHANGE_CAUSE = "kubernetes.io/change-cause";
    public static final String HASH_LABEL = "pod-template-hash";

    /** Annotations kubectl keeps on the Deployment instead of copying them from the target ReplicaSet. */
    private static final Set<String> UNDO_SKIPPED_ANNOTATIONS = Set.of(
            "kubectl.kubernetes.io/last-applied-configuration",
            REVISION,
            "deployment.kubernetes.io/revision-history",
            "deployment.kubernetes.io/desired-replicas",
            "deployment.kubernetes.io/max-replicas",
            "deprecated.deployment.rollback.to");

    private static final Logger log = LoggerFactory.getLogger(Rollouts.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration FIRST_POLL = Duration.ofMillis(25);

    private final KubernetesClient client;
    private final KubernetesSerialization serialization;
    private final Duration maxPoll;

    /**
     * One revision of a Deployment.
     *
     * @param number      the ReplicaSet's {@value #REVISION} annotation
     * @param changeCause its {@value #CHANGE_CAUSE} annotation, or empty
     * @param images      container name -> image, in pod-template order
     * @param replicaSet  the ReplicaSet's name
     */
    public record Revision(long number, String changeCause, Map<String, String> images, String replicaSet) {
        public String imagesText() {
            return images.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                    .collect(Collectors.joining(", "));
        }
    }

    public Rollouts(KubernetesClient client, Duration maxPoll) {
        this.client = Objects.requireNonNull(client, "client");
        this.serialization = client.getKubernetesSerialization();
        this.maxPoll = Objects.requireNonNull(maxPoll, "maxPoll");
    }

    private RollableScalableResource<Deployment> resource(String ns, String name) {
        return client.apps().deployments().inNamespace(ns).withName(name);
    }

    /** The Deployment, or a failure naming it when it does not exist. */
    public Deployment require(String ns, String name) {
        Deployment d = resource(ns, name).get();
        if (d == null) {
            throw new StepFailure("deployment " + ns + "/" + name + " not found");
        }
        return d;
    }

    /**
     * Patches the container's image and the change-cause annotation in one JSON patch. The patch tests the
     * Deployment's uid and the container's name at its index, so a Deployment recreated or reordered since
     * the read fails instead of patching the wrong container.
     *
     * @return a one-line summary
     */
    public String setImage(String ns, String name, String container, String image, String changeCause) {
        Deployment d = require(ns, name);
        List<Container> containers = d.getSpec() == null || d.getSpec().getTemplate() == null
                || d.getSpec().getTemplate().getSpec() == null
                ? List.of() : d.getSpec().getTemplate().getSpec().getContainers();
        int index = -1;
        for (int i = 0; i < containers.size(); i++) {
            if (container.equals(containers.get(i).getName())) {
                index = i;
                break;
            }
        }
        if (index < 0) {
            throw new StepFailure("container " + container + " not found in deployment " + ns + "/" + name
                    + " (containers: " + containers.stream().map(Container::getName).collect(Collectors.joining(", "))
                    + ")");
        }
        String before = containers.get(index).getImage();
        String base = "/spec/template/spec/containers/" + index;
        List<Map<String, Object>> ops = new ArrayList<>();
        ops.add(op("test", "/metadata/uid", d.getMetadata().getUid()));
        ops.add(op("test", base + "/name", container));
        ops.add(op("replace", base + "/image", image));
        Map<String, String> annotations = d.getMetadata().getAnnotations();
        if (annotations == null || annotations.isEmpty()) {
            ops.add(op("add", "/metadata/annotations", Map.of(CHANGE_CAUSE, changeCause)));
        } else {
            ops.add(op("add", "/metadata/annotations/" + pointerEscape(CHANGE_CAUSE), changeCause));
        }
        patch(d, ops);
        log.info("set image of deployment {}/{} container {}: {} -> {}", ns, name, container, before, image);
        return "container " + container + ": " + before + " -> " + image
                + (image.equals(before) ? " (image unchanged)" : "");
    }

    /** The Deployment's current revision: its revision annotation, else the highest owned revision. */
    public OptionalLong currentRevision(String ns, String name) {
        Deployment d = require(ns, name);
        return currentRevision(d, ownedRevisions(d));
    }

    private static OptionalLong currentRevision(Deployment d, List<Revision> owned) {
        OptionalLong annotated = parseRevision(d.getMetadata().getAnnotations());
        if (annotated.isPresent()) {
            return annotated;
        }
        return owned.isEmpty() ? OptionalLong.empty() : OptionalLong.of(owned.get(owned.size() - 1).number());
    }

    /** The revisions of the ReplicaSets the Deployment owns (ownerReferences uid), by number. */
    public List<Revision> history(String ns, String name) {
        return ownedRevisions(require(ns, name));
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
    public static String formatHistory(String target, List<Revision> revisions, OptionalLong current) {
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
    public String historyText(String ns, String name) {
        Deployment d = require(ns, name);
        List<Revision> revs = ownedRevisions(d);
        return formatHistory(ns + "/" + name, revs, currentRevision(d, revs));
    }

    /**
     * Rolls back like {@code kubectl rollout undo}: the target ReplicaSet's pod template, minus the
     * {@value #HASH_LABEL} label, replaces the Deployment's, and its annotations (change-cause among them)
     * are copied onto the Deployment, in one JSON patch.
     *
     * @param toRevision a revision, or empty for the highest owned revision below the current one
     * @return a one-line summary naming the revision rolled back to
     */
    public UndoResult undo(String ns, String name, OptionalLong toRevision) {
        Deployment d = require(ns, name);
        String target = ns + "/" + name;
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
        List<Map<String, Object>> ops = List.of(
                op("test", "/metadata/uid", d.getMetadata().getUid()),
                op("replace", "/spec/template", template),
                op("add", "/metadata/annotations", annotations));
        patch(d, ops);
        log.info("rolled back deployment {} to revision {}", target, wanted);
        return new UndoResult(wanted, true, "rolled back to revision " + wanted
                + " (" + revs.stream().filter(r -> r.number() == wanted).findFirst().map(Revision::imagesText).orElse("")
                + ")");
    }

    /** What an undo did: the revision rolled back to, whether a patch was sent, a summary. */
    public record UndoResult(long revision, boolean patched, String summary) {
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

    /**
     * Polls the Deployment (25 ms at first, doubling up to the poll interval) until the rollout is done,
     * fails with {@value RolloutStatus#DEADLINE_EXCEEDED}, or the timeout passes.
     *
     * @return a summary with the time waited
     * @throws StepFailure {@link StepFailure#rolloutFailed()} for a deadline exceeded or a timeout
     */
    public String waitForRollout(String ns, String name, Duration timeout) {
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        long sleep = FIRST_POLL.toNanos();
        while (true) {
            Deployment d = require(ns, name);
            RolloutStatus status = RolloutStatus.of(d);
            if (status.state() == RolloutStatus.State.DONE) {
                OptionalLong rev = parseRevision(d.getMetadata().getAnnotations());
                return status.message() + (rev.isPresent() ? ", revision " + rev.getAsLong() : "")
                        + " after " + Durations.format(Duration.ofNanos(System.nanoTime() - start));
            }
            if (status.state() == RolloutStatus.State.FAILED) {
                throw StepFailure.rollout(status.message());
            }
            long now = System.nanoTime();
            if (now >= deadline) {
                throw StepFailure.rollout("timed out after " + Durations.format(timeout) + " waiting for rollout: "
                        + status.message());
            }
            log.debug("{}", status.message());
            try {
                Thread.sleep(Duration.ofNanos(Math.min(sleep, deadline - now)).toMillis() + 1);
            } catch (InterruptedException e) {
                throw CicdException.interrupted("waiting for the rollout of deployment " + ns + "/" + name, e);
            }
            sleep = Math.min(sleep * 2, maxPoll.toNanos());
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

    /**
     * Sends one JSON patch for the Deployment just read. Through {@code resource(item)}: fabric8's
     * {@code withName(..).patch(..)} GETs the object first, which a JSON patch does not need. The item's
     * resourceVersion is not sent as a precondition; the patch's {@code test} operations guard it instead.
     */
    private void patch(Deployment current, List<Map<String, Object>> ops) {
        client.apps().deployments().inNamespace(current.getMetadata().getNamespace()).resource(current)
                .patch(PatchContext.of(PatchType.JSON), toJson(ops));
    }

    private static Map<String, Object> op(String op, String path, Object value) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("op", op);
        m.put("path", path);
        m.put("value", value);
        return m;
    }

    private String toJson(Object o) {
        return serialization.asJson(o);
    }

    /** RFC 6901: {@code ~} -> {@code ~0}, {@code /} -> {@code ~1}. */
    static String pointerEscape(String s) {
        return s.replace("~", "~0").replace("/", "~1");
    }
}
