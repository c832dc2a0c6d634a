package dev.cicd.testkit.internal.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cicd.testkit.RequestLog.Request;
import java.util.List;
import org.junit.jupiter.api.Test;

class RecordingRequestLogTest {

    @Test
    void mutatingKeepsEverythingButReads() {
        RecordingRequestLog log = new RecordingRequestLog();
        log.record(new Request("get", "/api/v1/pods", "", ""));
        log.record(new Request("PATCH", "/apis/apps/v1/namespaces/a/deployments/b", "fieldManager=x", "application/apply-patch+yaml"));
        log.record(new Request("DELETE", "/api/v1/namespaces/a/pods/p", "", ""));

        assertEquals("GET", log.requests().get(0).method());
        assertEquals(List.of("PATCH", "DELETE"), log.mutating().stream().map(Request::method).toList());
        assertFalse(log.requests().get(0).mutating());
        assertTrue(log.requests().get(1).toString().contains("?fieldManager=x"));
        log.clear();
        assertTrue(log.requests().isEmpty());
    }

    @Test
    void keepsOnlyTheLatestRequests() {
        RecordingRequestLog log = new RecordingRequestLog();
        for (int i = 0; i < RecordingRequestLog.CAPACITY + 5; i++) {
            log.record(new Request("GET", "/p" + i, "", ""));
        }
        assertEquals(RecordingRequestLog.CAPACITY, log.requests().size());
        assertEquals("/p5", log.requests().get(0).path());
    }

    @Test
    void requestsNeedAllTheirParts() {
        assertThrows(NullPointerException.class, () -> new Request("GET", null, "", ""));
        assertThrows(IllegalArgumentException.class, () -> new Request(" ", "/", "", ""));
    }
}
