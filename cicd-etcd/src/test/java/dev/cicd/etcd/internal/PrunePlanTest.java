package dev.cicd.etcd.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class PrunePlanTest {

    private static final String DIR = "/cicd/.status/deploy/";

    @Test
    void onlyRecordsAtOrBelowTheCheckpointAreChosen() {
        List<String> listed = List.of(DIR + "120", DIR + "9", DIR + "100", DIR + "10", DIR + "11", DIR + "95", DIR + "96");
        assertEquals(List.of(DIR + "9", DIR + "10", DIR + "11", DIR + "95"), PrunePlan.victims(DIR, listed, 95));
    }

    @Test
    void latestNoticeAndForeignKeysAreNeverChosen() {
        List<String> listed = List.of(DIR + "latest", DIR + "notice", DIR + "12x", DIR + "007", DIR + "0", DIR + "",
                "/cicd/.status/other/5", DIR + "5/6", DIR + "99999999999999999999", DIR + "7");
        assertEquals(List.of(DIR + "7"), PrunePlan.victims(DIR, listed, Long.MAX_VALUE));
    }

    @Test
    void revisionIsParsedFromPlainDecimalKeysOnly() {
        assertEquals(OptionalLong.of(42), PrunePlan.revision(DIR, DIR + "42"));
        assertEquals(OptionalLong.of(Long.MAX_VALUE), PrunePlan.revision(DIR, DIR + Long.MAX_VALUE));
        assertTrue(PrunePlan.revision(DIR, DIR + "042").isEmpty());
        assertTrue(PrunePlan.revision(DIR, DIR + "latest").isEmpty());
        assertTrue(PrunePlan.revision(DIR, "/cicd/.status/deploy2/42").isEmpty());
    }

    @Test
    void batchesHoldAtMostMaxOpsInOrder() {
        List<String> keys = List.of("a", "b", "c", "d", "e");
        assertEquals(List.of(List.of("a", "b"), List.of("c", "d"), List.of("e")), PrunePlan.batches(keys, 2));
        assertEquals(List.of(keys), PrunePlan.batches(keys, 128));
        assertEquals(List.of(), PrunePlan.batches(List.of(), 128));
        assertThrows(IllegalArgumentException.class, () -> PrunePlan.batches(keys, 0));
    }

    @Test
    void aRoundListsTheExcessCappedPerRound() {
        assertEquals(0, PrunePlan.toList(1000, 1000, 1024));
        assertEquals(0, PrunePlan.toList(3, 1000, 1024));
        assertEquals(1, PrunePlan.toList(1001, 1000, 1024));
        assertEquals(1024, PrunePlan.toList(100_000, 1000, 1024));
    }

    @Test
    void theRevisionRangeHoldsDigitKeysButNotLatestOrNotice() {
        StateKeys keys = new StateKeys("/cicd/.state/g", "/cicd/.status");
        KeyRange r = keys.revisionRange("deploy");
        for (String k : List.of("1", "10", "9", "100", "99999999")) {
            assertTrue(inside(r, DIR + k), k);
        }
        for (String k : List.of("latest", "notice")) {
            assertTrue(!inside(r, DIR + k), k);
        }
        assertTrue(!inside(r, "/cicd/.status/deploy2/1"));
    }

    private static boolean inside(KeyRange r, String key) {
        byte[] k = Etcd.bytes(key).getBytes();
        return java.util.Arrays.compareUnsigned(k, r.start().getBytes()) >= 0
                && java.util.Arrays.compareUnsigned(k, r.end().getBytes()) < 0;
    }
}
