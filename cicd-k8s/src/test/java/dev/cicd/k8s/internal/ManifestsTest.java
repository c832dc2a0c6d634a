package dev.cicd.k8s.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cicd.core.CicdException;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ManifestsTest {

    static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

    @TempDir
    Path dir;

    @Test
    void aDirectoryIsReadRecursivelyInPathOrderWithNamespacesFirst() throws Exception {
        Files.createDirectories(dir.resolve("b"));
        Files.writeString(dir.resolve("b/svc.yml"), "apiVersion: v1\nkind: Service\nmetadata: {name: s}\n");
        Files.writeString(dir.resolve("a.yaml"), """
                ---
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: c1}
                ---
                # only a comment
                ---
                apiVersion: v1
                kind: List
                items:
                  - {apiVersion: v1, kind: ConfigMap, metadata: {name: c2}}
                  - {apiVersion: v1, kind: Secret, metadata: {name: s2}}
                """);
        Files.writeString(dir.resolve("z.json"), "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"n\"}}");
        Files.writeString(dir.resolve("notes.txt"), "kind: Namespace");
        List<String> got = Manifests.load(dir, SERIALIZATION).stream().map(Manifests.Item::describe).toList();
        assertEquals(List.of("Namespace n", "ConfigMap c1", "ConfigMap c2", "Secret s2", "Service s"), got);
    }

    @Test
    void unknownKindsMissingNamesAndBadYamlAreInvalidFields() {
        CicdException crd = assertThrows(CicdException.class, () -> Manifests.parse("m",
                "apiVersion: monitoring.example.com/v1\nkind: ServiceMonitor\nmetadata: {name: x}\n", SERIALIZATION));
        assertTrue(crd.getMessage().contains("not a built-in Kubernetes kind"), crd.getMessage());
        CicdException noName = assertThrows(CicdException.class, () -> Manifests.parse("m",
                "apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n", SERIALIZATION));
        assertTrue(noName.getMessage().contains("needs metadata.name"), noName.getMessage());
        CicdException yaml = assertThrows(CicdException.class, () -> Manifests.parse("m", "a: [", SERIALIZATION));
        assertEquals(CicdException.Code.INVALID_FIELD, yaml.code());
        assertThrows(CicdException.class, () -> Manifests.load(dir.resolve("missing"), SERIALIZATION));
    }
}
