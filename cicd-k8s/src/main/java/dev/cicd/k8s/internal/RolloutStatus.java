package dev.cicd.k8s.internal;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentCondition;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatus;

/**
 * {@code kubectl rollout status} for one observation of a Deployment.
 *
 * @param state   where the rollout is
 * @param message what kubectl would print
 */
public record RolloutStatus(State state, String message) {

    /** The reason the deployment controller sets on {@code Progressing} when the progress deadline passed. */
    public static final String DEADLINE_EXCEEDED = "ProgressDeadlineExceeded";

    public enum State { WAITING, DONE, FAILED }

    /**
     * The status of a Deployment: once the controller has observed the current generation, a
     * {@code Progressing} condition with reason {@value #DEADLINE_EXCEEDED} fails; otherwise the rollout
     * is done when every desired replica is updated, no old replica is left and every updated replica is
     * available.
     */
    public static RolloutStatus of(Deployment d) {
        String name = d.getMetadata().getNamespace() + "/" + d.getMetadata().getName();
        long generation = nz(d.getMetadata().getGeneration());
        DeploymentStatus s = d.getStatus();
        long observed = s == null ? 0 : nz(s.getObservedGeneration());
        if (s == null || observed < generation) {
            return new RolloutStatus(State.WAITING, "waiting for deployment " + name
                    + " spec update to be observed (generation " + generation + ", observed " + observed + ")");
        }
        if (s.getConditions() != null) {
            for (DeploymentCondition c : s.getConditions()) {
                if ("Progressing".equals(c.getType()) && DEADLINE_EXCEEDED.equals(c.getReason())
                        && !"True".equalsIgnoreCase(c.getStatus())) {
                    return new RolloutStatus(State.FAILED, "deployment " + name + " exceeded its progress deadline ("
                            + DEADLINE_EXCEEDED + (c.getMessage() == null ? "" : ": " + c.getMessage()) + ")");
                }
            }
        }
        int desired = d.getSpec() == null || d.getSpec().getReplicas() == null ? 1 : d.getSpec().getReplicas();
        int updated = nz(s.getUpdatedReplicas());
        int replicas = nz(s.getReplicas());
        int available = nz(s.getAvailableReplicas());
        if (updated < desired) {
            return new RolloutStatus(State.WAITING, "waiting for deployment " + name + " rollout to finish: "
                    + updated + " out of " + desired + " new replicas have been updated");
        }
        if (replicas > updated) {
            return new RolloutStatus(State.WAITING, "waiting for deployment " + name + " rollout to finish: "
                    + (replicas - updated) + " old replicas are pending termination");
        }
        if (available < updated || available < desired) {
            return new RolloutStatus(State.WAITING, "waiting for deployment " + name + " rollout to finish: "
                    + available + " of " + updated + " updated replicas are available");
        }
        return new RolloutStatus(State.DONE, "deployment " + name + " successfully rolled out ("
                + available + "/" + desired + " available)");
    }

    /**
     * The rollout's counts in one short line: {@code "2/3 replicas updated, 1 available"}, with
     * {@code ", 1 old pending termination"} while old replicas are left.
     */
    public static String counts(Deployment d) {
        int desired = d.getSpec() == null || d.getSpec().getReplicas() == null ? 1 : d.getSpec().getReplicas();
        DeploymentStatus s = d.getStatus();
        int updated = s == null ? 0 : nz(s.getUpdatedReplicas());
        int replicas = s == null ? 0 : nz(s.getReplicas());
        int available = s == null ? 0 : nz(s.getAvailableReplicas());
        return updated + "/" + desired + " replicas updated, " + available + " available"
                + (replicas > updated ? ", " + (replicas - updated) + " old pending termination" : "");
    }

    private static long nz(Long v) {
        return v == null ? 0 : v;
    }

    private static int nz(Integer v) {
        return v == null ? 0 : v;
    }
}
