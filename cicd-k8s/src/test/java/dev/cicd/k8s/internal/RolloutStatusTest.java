package dev.cicd.k8s.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentConditionBuilder;
import org.junit.jupiter.api.Test;

class RolloutStatusTest {

    private static DeploymentBuilder deployment(long generation, long observed, int desired, int replicas, int updated,
                                                int available) {
        return new DeploymentBuilder()
                .withNewMetadata().withNamespace("ns").withName("web").withGeneration(generation).endMetadata()
                .withNewSpec().withReplicas(desired).endSpec()
                .withNewStatus().withObservedGeneration(observed).withReplicas(replicas)
                .withUpdatedReplicas(updated).withAvailableReplicas(available).endStatus();
    }

    @Test
    void doneWhenObservedUpdatedAvailableAndNoOldReplicas() {
        RolloutStatus s = RolloutStatus.of(deployment(3, 3, 2, 2, 2, 2).build());
        assertEquals(RolloutStatus.State.DONE, s.state(), s.message());
    }

    @Test
    void waitsForTheControllerToObserveTheNewGeneration() {
        RolloutStatus s = RolloutStatus.of(deployment(4, 3, 2, 2, 2, 2).build());
        assertEquals(RolloutStatus.State.WAITING, s.state());
        assertTrue(s.message().contains("spec update to be observed"), s.message());
    }

    @Test
    void waitsForUpdatedReplicasOldReplicasAndAvailability() {
        assertTrue(RolloutStatus.of(deployment(1, 1, 3, 3, 1, 3).build()).message().contains("1 out of 3 new replicas"));
        assertTrue(RolloutStatus.of(deployment(1, 1, 3, 4, 3, 3).build()).message().contains("1 old replicas are pending"));
        assertTrue(RolloutStatus.of(deployment(1, 1, 3, 3, 3, 2).build()).message().contains("2 of 3 updated replicas"));
    }

    @Test
    void progressDeadlineExceededFailsOnceObserved() {
        Deployment d = deployment(2, 2, 1, 1, 0, 0).editStatus()
                .withConditions(new DeploymentConditionBuilder().withType("Progressing").withStatus("False")
                        .withReason("ProgressDeadlineExceeded").withMessage("ReplicaSet web-1 has timed out").build())
                .endStatus().build();
        RolloutStatus s = RolloutStatus.of(d);
        assertEquals(RolloutStatus.State.FAILED, s.state());
        assertTrue(s.message().contains("ProgressDeadlineExceeded"), s.message());
    }

    @Test
    void aStaleDeadlineConditionIsIgnoredUntilTheNewGenerationIsObserved() {
        Deployment d = deployment(3, 2, 1, 1, 0, 0).editStatus()
                .withConditions(new DeploymentConditionBuilder().withType("Progressing").withStatus("False")
                        .withReason("ProgressDeadlineExceeded").build())
                .endStatus().build();
        assertEquals(RolloutStatus.State.WAITING, RolloutStatus.of(d).state());
    }
}
