package dev.cicd.k8s.internal;

import dev.cicd.core.CicdException;
import dev.cicd.core.Durations;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Deployment operations that move a rollout forward or watch it: set image (one JSON patch, or none
 * when the cluster is already in sync) and waiting like {@code kubectl rollout status}. History and undo
 * are {@link Revisions}. Every expected failure is a {@link StepFailure} whose message is the reason to
 * report.
 */
final class Rollouts {

    private static final Logger log = LoggerFactory.getLogger(Rollouts.class);
    private static final Duration FIRST_POLL = Duration.ofMillis(25);

    private final KubernetesClient client;
    private final Duration maxPoll;
    private final DeploymentPatch.BeforePatch beforePatch;

    /** How a {@code setImage} found the Deployment. */
    enum ImageChange {
        /** The image differed: one JSON patch was sent. */
        PATCHED,
        /** The container already has the image and its rollout is complete: nothing was sent. */
        IN_SYNC,
        /**
         * The container already has the image but its rollout is not complete (in progress, or failed):
         * nothing was sent, and only a later wait that sees the rollout complete makes it in sync.
         */
        ROLLOUT_PENDING
    }

    /** What a {@code setImage} did and its one-line summary. */
    record SetImageResult(ImageChange change, String summary) {
    }

    Rollouts(KubernetesClient client, Duration maxPoll, DeploymentPatch.BeforePatch beforePatch) {
        this.client = Objects.requireNonNull(client, "client");
        this.maxPoll = Objects.requireNonNull(maxPoll, "maxPoll");
        this.beforePatch = Objects.requireNonNull(beforePatch, "beforePatch");
    }

    /** The Deployment, or a failure naming it when it does not exist. */
    static Deployment require(KubernetesClient client, String ns, String name) {
        Deployment d = client.apps().deployments().inNamespace(ns).withName(name).get();
        if (d == null) {
            throw new StepFailure("deployment " + ns + "/" + name + " not found");
        }
        return d;
    }

    /**
     * Sets the container's image, unless it already has it. When it differs: patches the image and the
     * change-cause annotation in one JSON patch, which tests the Deployment's uid and the container's name at
     * its index, so a Deployment recreated or reordered since the read fails instead of patching the wrong
     * container. When it is the same: sends nothing, and reports {@link ImageChange#IN_SYNC} if the rollout
     * is complete by the criteria of {@link RolloutStatus} ({@code kubectl rollout status}), otherwise
     * {@link ImageChange#ROLLOUT_PENDING}.
     */
    SetImageResult setImage(String ns, String name, String container, String image, String changeCause) {
        Deployment d = require(client, ns, name);
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
        if (image.equals(before)) {
            RolloutStatus status = RolloutStatus.of(d);
            if (status.state() == RolloutStatus.State.DONE) {
                log.info("deployment {}/{} container {} already runs {}, rolled out: in sync, nothing sent",
                        ns, name, container, image);
                return new SetImageResult(ImageChange.IN_SYNC, "container " + container + ": already " + image
                        + " and rolled out; in sync, nothing sent (" + status.message() + ")");
            }
            log.info("deployment {}/{} container {} already has {}, rollout not complete: {}", ns, name, container,
                    image, status.message());
            return new SetImageResult(ImageChange.ROLLOUT_PENDING, "container " + container + ": already " + image
                    + ", nothing sent; rollout not complete: " + status.message());
        }
        String base = "/spec/template/spec/containers/" + index;
        List<Map<String, Object>> ops = new ArrayList<>();
        ops.add(DeploymentPatch.op("test", "/metadata/uid", d.getMetadata().getUid()));
        ops.add(DeploymentPatch.op("test", base + "/name", container));
        ops.add(DeploymentPatch.op("replace", base + "/image", image));
        Map<String, String> annotations = d.getMetadata().getAnnotations();
        if (annotations == null || annotations.isEmpty()) {
            ops.add(DeploymentPatch.op("add", "/metadata/annotations", Map.of(Revisions.CHANGE_CAUSE, changeCause)));
        } else {
            ops.add(DeploymentPatch.op("add", "/metadata/annotations/" + DeploymentPatch.pointerEscape(Revisions.CHANGE_CAUSE),
                    changeCause));
        }
        beforePatch.beforePatch(ns + "/" + name, "setImage");
        DeploymentPatch.send(client, d, ops);
        log.info("set image of deployment {}/{} container {}: {} -> {}", ns, name, container, before, image);
        return new SetImageResult(ImageChange.PATCHED, "container " + container + ": " + before + " -> " + image);
    }

    /**
     * Polls the Deployment (25 ms at first, doubling up to the poll interval) until the rollout is done,
     * fails with {@value RolloutStatus#DEADLINE_EXCEEDED}, or the timeout passes.
     *
     * @return a summary with the time waited
     * @throws StepFailure {@link StepFailure#rolloutFailed()} for a deadline exceeded or a timeout
     */
    String waitForRollout(String ns, String name, Duration timeout) {
        return waitForRollout(ns, name, timeout, p -> { });
    }

    /**
     * {@link #waitForRollout(String, String, Duration)}, telling {@code progress} a short line
     * ({@code "2/3 replicas updated, 1 available"}) each time the rollout's counts change.
     */
    String waitForRollout(String ns, String name, Duration timeout, java.util.function.Consumer<String> progress) {
        long start = System.nanoTime();
        String told = null;
        long deadline = start + timeout.toNanos();
        long sleep = FIRST_POLL.toNanos();
        while (true) {
            Deployment d = require(client, ns, name);
            RolloutStatus status = RolloutStatus.of(d);
            String counts = RolloutStatus.counts(d);
            if (!counts.equals(told)) {
                told = counts;
                progress.accept(counts);
            }
            if (status.state() == RolloutStatus.State.DONE) {
                OptionalLong rev = Revisions.parseRevision(d.getMetadata().getAnnotations());
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
}
