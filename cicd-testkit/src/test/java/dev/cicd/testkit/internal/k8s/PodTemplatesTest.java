package dev.cicd.testkit.internal.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpecBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.List;
import org.junit.jupiter.api.Test;

class PodTemplatesTest {

    private final KubernetesSerialization serialization = new KubernetesSerialization();

    private static PodTemplateSpec template(String image) {
        return new PodTemplateSpecBuilder().withNewMetadata().addToLabels("app", "web").endMetadata()
                .withNewSpec().addNewContainer().withName("web").withImage(image).endContainer().endSpec().build();
    }

    @Test
    void equalityIgnoresTheHashLabelAndEmptyFields() {
        PodTemplateSpec a = template("web:1");
        PodTemplateSpec b = template("web:1");
        b.getMetadata().getLabels().put("pod-template-hash", "abc");
        b.getMetadata().setAnnotations(new java.util.HashMap<>());
        assertTrue(PodTemplates.equalIgnoringHash(a, b, serialization));
        assertFalse(PodTemplates.equalIgnoringHash(a, template("web:2"), serialization));
    }

    @Test
    void theHashIsStableAndDependsOnTheTemplateAndCollisions() {
        String h = PodTemplates.hash(template("web:1"), 0, serialization);
        assertEquals(h, PodTemplates.hash(template("web:1"), 0, serialization));
        assertNotEquals(h, PodTemplates.hash(template("web:2"), 0, serialization));
        assertNotEquals(h, PodTemplates.hash(template("web:1"), 1, serialization));
        assertTrue(h.matches("[bcdfghjklmnpqrstvwxz2456789]+"), h);
    }

    @Test
    void imagesIncludeInitContainers() {
        PodTemplateSpec t = template("web:1");
        t.getSpec().getInitContainers().add(new io.fabric8.kubernetes.api.model.ContainerBuilder()
                .withName("init").withImage("init:1").build());
        assertEquals(List.of("init:1", "web:1"), PodTemplates.images(t));
    }
}
