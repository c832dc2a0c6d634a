package dev.cicd.k8s.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class ImageRefsTest {

    @Test
    void registryIsTheFirstComponentOnlyWhenItLooksLikeAHost() {
        assertEquals("registry.example.com", ImageRefs.registry("registry.example.com/ns/app:v1"));
        assertEquals("localhost:5000", ImageRefs.registry("localhost:5000/app:v1"));
        assertEquals("localhost", ImageRefs.registry("localhost/app"));
        assertEquals("docker.io", ImageRefs.registry("library/nginx:1.27"));
        assertEquals("docker.io", ImageRefs.registry("nginx"));
        assertEquals("reg.example.com", ImageRefs.registry("REG.example.com/app@sha256:" + "a".repeat(64)));
    }
}
