package dev.cicd.core.internal.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.cicd.core.Outcome;
import dev.cicd.core.TriggerEvent;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/** The latest records carried by the recorder's checkpoint batches: the newest per watch, never an older one. */
class LatestRecordsTest {

    private final WatchProgress a = new WatchProgress("a");
    private final WatchProgress b = new WatchProgress("b");

    private static Outcome at(String watch, long revision) {
        return new Outcome(TriggerEvent.put(watch, "/k", "{}", revision), Outcome.Kind.APPLIED, "", Optional.empty(),
                OptionalInt.empty(), "", Optional.empty(), Instant.EPOCH, Instant.EPOCH, Optional.empty());
    }

    @Test
    void aBatchSendsTheNewestOfWhatWaitsAndItsOwnPerWatch() {
        LatestRecords r = new LatestRecords();
        r.leftBehind(a, at("a", 5));
        r.leftBehind(a, at("a", 3));
        r.leftBehind(b, at("b", 4));
        assertEquals(2, r.waiting());
        Map<WatchProgress, Outcome> sent = r.take(List.of(Map.entry(a, at("a", 4)), Map.entry(b, at("b", 9))));
        assertEquals(5, sent.get(a).revision());
        assertEquals(9, sent.get(b).revision());
        assertEquals(0, r.waiting());
    }

    @Test
    void anOutcomeOlderThanTheRecordSentNeverWaitsAndARecordNotSentWaitsAgain() {
        LatestRecords r = new LatestRecords();
        Map<WatchProgress, Outcome> sent = r.take(List.of(Map.entry(a, at("a", 10))));
        r.leftBehind(a, at("a", 7));
        assertEquals(0, r.waiting(), "older than the record sent");
        assertEquals(Map.of(), r.take(List.of(Map.entry(a, at("a", 8)))));
        r.notSent(sent);
        assertEquals(10, r.take(List.of()).get(a).revision(), "the record not written is sent by the next batch");
    }
}
