package dev.cicd.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

@SuppressWarnings("try") // the handles only need closing
class InMemoryTriggerSourceTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private static WatchSpec watch(String name, String prefix, String... keys) {
        return WatchSpec.builder(name).prefix(prefix).keys(List.of(keys)).template("t").build();
    }

    /** Collects what a delivery hands over. */
    static final class Collector implements TriggerListener {
        final List<TriggerEvent> events = new ArrayList<>();
        final List<SourceNotice> notices = new ArrayList<>();

        @Override
        public synchronized void onEvent(TriggerEvent event) {
            events.add(event);
        }

        @Override
        public synchronized void onNotice(SourceNotice notice) {
            notices.add(notice);
        }

        synchronized List<Long> revisions(String watch) {
            return events.stream().filter(e -> e.watch().equals(watch)).map(TriggerEvent::modRevision).toList();
        }

        synchronized List<String> texts() {
            return events.stream().map(TriggerEvent::text).toList();
        }
    }

    @Test
    void putsAndDeletesTakeConsecutiveRevisionsAndDeletingAMissingKeyChangesNothing() {
        InMemoryTriggerSource store = new InMemoryTriggerSource();
        assertEquals(0, store.revision());
        assertEquals(1, store.put("/a", "1"));
        assertEquals(2, store.put("/b", "2"));
        assertEquals(3, store.delete("/a"));
        assertEquals(3, store.delete("/a"));
        assertEquals(3, store.revision());
        assertTrue(store.get("/a").isEmpty());
        assertEquals("2", store.get("/b").orElseThrow());
    }

    @Test
    void withoutCheckpointTheCurrentValueOfEachMatchingKeyComesOnceThenLiveChanges() throws Exception {
        InMemoryTriggerSource store = new InMemoryTriggerSource();
        store.put("/cicd/rollout/trigger", "old");
        store.put("/cicd/rollout/trigger", "current");
        store.put("/cicd/rollout/triggerX", "not matched");
        store.put("/cicd/undo/trigger", "other watch");
        Collector c = new Collector();
        try (AutoCloseable handle = store.start(List.of(watch("rollout", "/cicd/rollout", "/trigger")), Map.of(), c)) {
            long live = store.put("/cicd/rollout/trigger", "live");
            assertTrue(store.awaitDelivered(WAIT));
            assertEquals(List.of("current", "live"), c.texts());
            assertEquals(List.of(2L, live), c.revisions("rollout"));
            TriggerEvent first = c.events.get(0);
            assertEquals(1, first.createRevision());
            assertEquals(2, first.version());
        }
    }

    @Test
    void withCheckpointHistoryAfterItIsReplayedInRevisionOrder() throws Exception {
        InMemoryTriggerSource store = new InMemoryTriggerSource();
        for (int i = 1; i <= 6; i++) {
            store.put("/w/trigger", "v" + i);
            store.put("/elsewhere", "x" + i);
        }
        Collector c = new Collector();
        // revisions of /w/trigger are 1,3,5,7,9,11; the checkpoint 5 means 7, 9, 11 are due
        try (AutoCloseable handle = store.start(List.of(watch("w", "/w", "/trigger")), Map.of("w", 5L), c)) {
            store.put("/w/trigger", "v7");
            assertTrue(store.awaitDelivered(WAIT));
            assertEquals(List.of(7L, 9L, 11L, 13L), c.revisions("w"));
            assertEquals(List.of("v4", "v5", "v6", "v7"), c.texts());
        }
    }

    @Test
    void deletesReachEveryWatchOfTheKey() throws Exception {
        InMemoryTriggerSource store = new InMemoryTriggerSource();
        WatchSpec plain = watch("plain", "/k", "/trigger");
        WatchSpec withDeletes = WatchSpec.builder("deletes").prefix("/k").key("/trigger").template("t")
                .includeDeletes(true).build();
        Collector c = new Collector();
        try (AutoCloseable handle = store.start(List.of(plain, withDeletes), Map.of(), c)) {
            store.put("/k/trigger", "a");
            long del = store.delete("/k/trigger");
            assertTrue(store.awaitDelivered(WAIT));
            assertEquals(List.of(1L, del), c.revisions("plain"), "the pipeline decides whether a delete triggers");
            assertEquals(List.of(1L, del), c.revisions("deletes"));
            TriggerEvent d = c.events.stream().filter(e -> e.type() == EventType.DELETE).findFirst().orElseThrow();
            assertEquals(0, d.value().length);
        }
    }

    @Test
    void aCheckpointBeforeCompactedHistoryGivesAGapNoticeAndTheCurrentValues() throws Exception {
        InMemoryTriggerSource store = new InMemoryTriggerSource();
        store.put("/w/a", "a1");   // 1
        store.put("/w/b", "b1");   // 2
        store.put("/w/a", "a2");   // 3
        store.put("/w/c", "c1");   // 4
        store.put("/w/b", "b2");   // 5
        store.compact(4);
        Collector c = new Collector();
        try (AutoCloseable handle = store.start(List.of(watch("w", "/w")), Map.of("w", 1L), c)) {
            assertTrue(store.awaitDelivered(WAIT));
            assertEquals(1, c.notices.size());
            SourceNotice gap = c.notices.get(0);
            assertEquals(SourceNotice.Kind.GAP, gap.kind());
            assertEquals(3, gap.lostRevisions());
            // current values changed in (1, 4]: a2@3, c1@4; then history after 4: b2@5
            assertEquals(List.of(3L, 4L, 5L), c.revisions("w"));
            assertEquals(List.of("a2", "c1", "b2"), c.texts());
        }
    }

    @Test
    void aCheckpointAheadOfTheStoreGivesAResetNoticeAndTheCurrentValues() throws Exception {
        InMemoryTriggerSource store = new InMemoryTriggerSource();
        store.put("/w/trigger", "v1");
        Collector c = new Collector();
        try (AutoCloseable handle = store.start(List.of(watch("w", "/w", "/trigger")), Map.of("w", 99L), c)) {
            assertTrue(store.awaitDelivered(WAIT));
            assertEquals(SourceNotice.Kind.RESET, c.notices.get(0).kind());
            assertEquals(List.of(1L), c.revisions("w"));
        }
    }

    @Test
    void compactingBeyondTheCurrentRevisionIsRefused() {
        InMemoryTriggerSource store = new InMemoryTriggerSource();
        store.put("/a", "1");
        assertThrows(IllegalArgumentException.class, () -> store.compact(2));
    }

    @Test
    void closeStopsDelivery() throws Exception {
        InMemoryTriggerSource store = new InMemoryTriggerSource();
        Collector c = new Collector();
        AutoCloseable handle = store.start(List.of(watch("w", "/w", "/trigger")), Map.of(), c);
        store.put("/w/trigger", "before");
        assertTrue(store.awaitDelivered(WAIT));
        handle.close();
        store.put("/w/trigger", "after");
        Thread.sleep(100);
        assertEquals(List.of("before"), c.texts());
    }

    @Test
    void noListenerCallStartsAfterCloseReturnsEvenWhileOneIsInProgress() throws Exception {
        InMemoryTriggerSource store = new InMemoryTriggerSource();
        CountDownLatch inCall = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        List<String> seen = new ArrayList<>();
        TriggerListener slow = new TriggerListener() {
            @Override
            public void onEvent(TriggerEvent event) {
                synchronized (seen) {
                    seen.add(event.text());
                }
                inCall.countDown();
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        AutoCloseable handle = store.start(List.of(watch("w", "/w", "/trigger")), Map.of(), slow);
        store.put("/w/trigger", "1");
        store.put("/w/trigger", "2");
        assertTrue(inCall.await(10, TimeUnit.SECONDS));
        Thread closer = new Thread(() -> {
            try {
                handle.close();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        closer.start();
        Thread.sleep(100);
        assertTrue(closer.isAlive(), "close() waits for the call in progress");
        release.countDown();
        closer.join(10_000);
        assertFalse(closer.isAlive());
        Thread.sleep(50);
        synchronized (seen) {
            assertEquals(List.of("1"), seen);
        }
    }

    @Test
    void putsFromManyThreadsReachEachWatchInRevisionOrder() throws Exception {
        InMemoryTriggerSource store = new InMemoryTriggerSource();
        List<WatchSpec> watches = new ArrayList<>();
        for (int w = 0; w < 8; w++) {
            watches.add(watch("w" + w, "/w" + w, "/trigger"));
        }
        Collector c = new Collector();
        int perThread = 500;
        Map<String, Long> none = new HashMap<>();
        try (AutoCloseable handle = store.start(watches, none, c)) {
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                for (int t = 0; t < 4; t++) {
                    int thread = t;
                    pool.execute(() -> {
                        for (int i = 0; i < perThread; i++) {
                            store.put("/w" + ((thread * 2) + (i % 2)) + "/trigger", thread + "-" + i);
                        }
                    });
                }
            } finally {
                pool.shutdown();
                assertTrue(pool.awaitTermination(30, TimeUnit.SECONDS));
            }
            assertTrue(store.awaitDelivered(WAIT));
            assertEquals(4 * perThread, c.events.size());
            assertEquals(4 * perThread, store.revision());
            for (int w = 0; w < 8; w++) {
                List<Long> revs = c.revisions("w" + w);
                assertEquals(perThread / 2, revs.size());
                for (int i = 1; i < revs.size(); i++) {
                    assertTrue(revs.get(i) > revs.get(i - 1), "revision order of w" + w + ": " + revs);
                }
            }
        }
    }
}
