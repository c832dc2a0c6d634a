package dev.cicd.testkit.internal.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class ApiPathTest {

    @Test
    void parsesNamespacedObjectsSubresourcesAndCollections() {
        assertEquals(Optional.of(new ApiPath("apps", "v1", "demo", "deployments", "web", "status")),
                ApiPath.parse("/apis/apps/v1/namespaces/demo/deployments/web/status"));
        assertEquals(Optional.of(new ApiPath("", "v1", "demo", "configmaps", "", "")),
                ApiPath.parse("/api/v1/namespaces/demo/configmaps"));
        assertEquals(Optional.of(new ApiPath("", "v1", "", "namespaces", "demo", "")), ApiPath.parse("/api/v1/namespaces/demo"));
        assertEquals(Optional.of(new ApiPath("apps", "v1", "", "deployments", "", "")), ApiPath.parse("/apis/apps/v1/deployments"));
    }

    @Test
    void buildsObjectAndCollectionPaths() {
        ApiPath p = ApiPath.parse("/apis/apps/v1/namespaces/demo/deployments/web/scale").orElseThrow();
        assertEquals("/apis/apps/v1/namespaces/demo/deployments/web", p.objectPath());
        assertEquals("/apis/apps/v1/namespaces/demo/deployments", p.collectionPath());
        assertEquals("apps/v1", p.groupVersion());
        assertEquals("v1", ApiPath.parse("/api/v1/pods").orElseThrow().groupVersion());
    }

    @Test
    void rejectsNonResourcePaths() {
        assertTrue(ApiPath.parse("/version").isEmpty());
        assertTrue(ApiPath.parse("/api").isEmpty());
        assertTrue(ApiPath.parse("/apis/apps").isEmpty());
        assertTrue(ApiPath.parse("/openapi/v2").isEmpty());
    }
}
