package dev.cicd.etcd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cicd.core.Outcome;
import dev.cicd.core.TriggerEvent;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class StatusRecordTest {

    private static final Instant T0 = Instant.parse("2025-01-02T03:04:05.123Z");

    private static Outcome outcome(Outcome.Kind kind, String reason) {
        TriggerEvent e = TriggerEvent.put("app", "/cicd/app/trigger", "{\"requestId\":\"r-1\"}", 42);
        return new Outcome(e, kind, reason, Optional.of("a".repeat(64)), OptionalInt.of(3), "out", Optional.of("r-1"),
                T0, T0.plusMillis(250), Optional.of(Path.of("/var/log/cicd/app-42.log")));
    }

    @Test
    void jsonCarriesEveryDocumentedFieldWithLowerCaseOutcome() throws Exception {
        String json = StatusRecord.of(outcome(Outcome.Kind.IN_SYNC, ""), "runner-a").toJson();
        JsonNode n = new ObjectMapper().readTree(json);
        for (String f : List.of("watch", "key", "revision", "requestId", "outcome", "reason", "fingerprint", "exitCode",
                "started", "finished", "runnerId", "runLog")) {
            assertTrue(n.has(f), "missing field " + f + " in " + json);
        }
        assertEquals("in-sync", n.get("outcome").asText());
        assertEquals(42, n.get("revision").asLong());
        assertEquals("2025-01-02T03:04:05.123Z", n.get("started").asText());
        assertEquals("runner-a", n.get("runnerId").asText());
    }

    @Test
    void jsonRoundTripsToAnEqualRecord() {
        StatusRecord r = StatusRecord.of(outcome(Outcome.Kind.FAILED, "exit 3"), "runner-a");
        assertEquals(r, StatusRecord.fromJson(r.toJson()));
    }

    @Test
    void absentValuesAreJsonNullAndReadBackEmpty() throws Exception {
        TriggerEvent e = TriggerEvent.put("app", "/k", "{}", 7);
        Outcome o = new Outcome(e, Outcome.Kind.REJECTED, "bad", Optional.empty(), OptionalInt.empty(), "", Optional.empty(),
                T0, T0, Optional.empty());
        StatusRecord r = StatusRecord.of(o, "r");
        JsonNode n = new ObjectMapper().readTree(r.toJson());
        assertTrue(n.get("requestId").isNull());
        assertTrue(n.get("exitCode").isNull());
        assertEquals(r, StatusRecord.fromJson(r.toJson()));
    }

    @Test
    void fromJsonRejectsTextThatIsNoStatusRecord() {
        assertThrows(IllegalArgumentException.class, () -> StatusRecord.fromJson("not json"));
        assertThrows(IllegalArgumentException.class, () -> StatusRecord.fromJson("{\"watch\":\"w\"}"));
    }

    @Test
    void publishResultOfAnotherRevisionIsRefused() {
        StatusRecord r = StatusRecord.of(outcome(Outcome.Kind.APPLIED, ""), "runner-a");
        assertThrows(IllegalArgumentException.class, () -> new PublishResult("/cicd/app/trigger", 43, Optional.of(r)));
        PublishResult ok = PublishResult.completed(r);
        assertEquals(Optional.of(Outcome.Kind.APPLIED), ok.kind());
        assertTrue(ok.succeeded());
        PublishResult late = PublishResult.timedOut("/k", 5);
        assertTrue(late.timedOut());
        assertTrue(late.reason().contains("/k"));
    }
}
