package dev.cicd.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class OutcomeTest {

    @Test
    void payloadDerivedTextIsCappedSoNoInputMakesARecordTooLargeToStore() {
        String huge = "x".repeat(800 * 1024);
        Outcome o = new Outcome(TriggerEvent.put("w", "/k", "{}", 1), Outcome.Kind.FAILED, "bad: " + huge,
                Optional.empty(), OptionalInt.empty(), huge + "END", Optional.of(huge), Instant.EPOCH, Instant.EPOCH,
                Optional.empty());
        assertEquals(Outcome.MAX_REASON, o.reason().length());
        assertTrue(o.reason().startsWith("bad: xxx") && o.reason().endsWith("more characters)"), o.reason());
        assertEquals(Outcome.MAX_OUTPUT, o.output().length());
        assertTrue(o.output().endsWith("END"), "the tail of the output is kept");
        assertEquals(Outcome.MAX_REQUEST_ID, o.requestId().orElseThrow().length());
    }

    @Test
    void shortTextIsKeptAsIs() {
        Outcome o = new Outcome(TriggerEvent.put("w", "/k", "{}", 1), Outcome.Kind.FAILED, "exit code 1",
                Optional.empty(), OptionalInt.of(1), "out", Optional.of("req-1"), Instant.EPOCH, Instant.EPOCH,
                Optional.empty());
        assertEquals("exit code 1", o.reason());
        assertEquals("out", o.output());
        assertEquals(Optional.of("req-1"), o.requestId());
    }
}
