package dev.cicd.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import org.junit.jupiter.api.Test;

class InMemoryStoresTest {

    private static Outcome outcome(Plan plan, Outcome.Kind kind) {
        java.time.Instant now = java.time.Instant.EPOCH;
        return new Outcome(plan.event(), kind, kind == Outcome.Kind.FAILED ? "boom" : "",
                Optional.of(plan.fingerprint()), OptionalInt.empty(), "", Optional.empty(), now, now, Optional.empty());
    }

    private static StateStore.Batch batch(Outcome o, String target, long checkpoint) {
        return new StateStore.Batch(List.of(new StateStore.Entry(o, List.of(target))), Map.of(o.watch(), checkpoint));
    }

    @Test
    void aPlanIsInSyncOnlyWithTheLastFingerprintAppliedToItsTarget() {
        InMemoryStateStore s = new InMemoryStateStore();
        Plan a = Plan.of(TriggerEvent.put("w", "/k", "a", 1), "echo a");
        Plan b = Plan.of(TriggerEvent.put("other", "/k2", "b", 2), "echo b");
        assertFalse(s.inSync(a, List.of("t1")));
        s.commit(batch(outcome(a, Outcome.Kind.APPLIED), "t1", 1));
        assertTrue(s.inSync(a, List.of("t1")));
        assertFalse(s.inSync(a, List.of("t2")), "fingerprints are per target");
        assertFalse(s.inSync(a, List.of("t1", "t2")), "a plan is in sync only when every target is");
        s.commit(batch(outcome(b, Outcome.Kind.APPLIED), "t1", 2));
        assertFalse(s.inSync(a, List.of("t1")), "any applied change to the target clears it, whatever the watch");
        s.commit(batch(outcome(a, Outcome.Kind.FAILED), "t1", 3));
        assertEquals(Optional.of(b.fingerprint()), s.lastApplied("t1"), "a failed run records no fingerprint");
    }

    @Test
    void revisionsRecordedAboveTheCheckpointAreKeptUntilTheCheckpointPassesThem() {
        InMemoryStateStore s = new InMemoryStateStore().checkpoint("a", 3);
        assertEquals(OptionalLong.of(3), s.load("a").checkpoint());
        assertTrue(s.load("b").checkpoint().isEmpty());
        Plan p7 = Plan.of(TriggerEvent.put("a", "/k", "x", 7), "x");
        s.commit(batch(outcome(p7, Outcome.Kind.APPLIED), "t", 3));
        assertEquals(Set.of(7L), s.load("a").recordedAbove());
        Plan p5 = Plan.of(TriggerEvent.put("a", "/k", "y", 5), "y");
        s.commit(batch(outcome(p5, Outcome.Kind.APPLIED), "t", 7));
        assertEquals(OptionalLong.of(7), s.load("a").checkpoint());
        assertEquals(Set.of(), s.load("a").recordedAbove());
    }
}
