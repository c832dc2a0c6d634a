package dev.cicd.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class InMemoryStoresTest {

    @Test
    void aPlanIsInSyncOnlyWithTheLastAppliedFingerprintOfItsWatch() {
        InMemoryDeduplicator d = new InMemoryDeduplicator();
        Plan a = Plan.of(TriggerEvent.put("w", "/k", "a", 1), "echo a");
        Plan b = Plan.of(TriggerEvent.put("w", "/k", "b", 2), "echo b");
        Plan aOther = Plan.of(TriggerEvent.put("other", "/k", "a", 3), "echo a");
        assertFalse(d.inSync(a));
        d.recordApplied(a);
        assertTrue(d.inSync(a));
        assertFalse(d.inSync(aOther), "fingerprints are per watch");
        d.recordApplied(b);
        assertFalse(d.inSync(a), "only the last applied plan counts");
        assertEquals(b.fingerprint(), d.lastApplied("w").orElseThrow());
        d.forget("w");
        assertTrue(d.lastApplied("w").isEmpty());
    }

    @Test
    void checkpointsAreKeptPerWatch() {
        InMemoryCheckpointStore s = new InMemoryCheckpointStore(Map.of("a", 3L));
        assertEquals(OptionalLong.of(3), s.load("a"));
        assertTrue(s.load("b").isEmpty());
        s.save("b", 7);
        assertEquals(Map.of("a", 3L, "b", 7L), s.snapshot());
    }
}
