package dev.cicd.etcd;

import static dev.cicd.etcd.Recording.uniquePrefix;
import static dev.cicd.etcd.Recording.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cicd.core.EventType;
import dev.cicd.core.SourceNotice;
import dev.cicd.core.TriggerEvent;
import dev.cicd.core.WatchSpec;
import dev.cicd.etcd.internal.Etcd;
import dev.cicd.testkit.EtcdFixture;
import dev.cicd.testkit.WithEtcd;
import io.etcd.jetcd.Client;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@WithEtcd
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class EtcdTriggerSourceTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    EtcdFixture etcd;

    private static long put(Client c, String key, String value) throws Exception {
        return c.getKVClient().put(Etcd.bytes(key), Etcd.bytes(value)).get(5, TimeUnit.SECONDS).getHeader().getRevision();
    }

    private static EtcdTriggerSource source(Client c) {
        return EtcdTriggerSource.builder(c).requestTimeout(Duration.ofSeconds(2)).build();
    }

    private static void assertStrictlyIncreasing(List<TriggerEvent> events) {
        for (int i = 1; i < events.size(); i++) {
            assertTrue(events.get(i).modRevision() > events.get(i - 1).modRevision(),
                    "revisions not strictly increasing at " + i + ": " + events.get(i - 1) + " then " + events.get(i));
        }
    }

    @Test
    void snapshotIsTheWatchsKeysAtTheRevisionAndTheCurrentOnesOnceCompacted() throws Exception {
        String p = uniquePrefix("snap");
        WatchSpec w = WatchSpec.builder("snap").prefix(p).template("t").action("a").build();
        long r1 = put(etcd.client(), p + "/replicas", "3");
        put(etcd.client(), p + "X/other", "not this watch");
        long r3 = put(etcd.client(), p + "/replicas", "5");
        put(etcd.client(), p + "/trigger", "v1");
        EtcdTriggerSource source = source(etcd.client());
        assertEquals(Map.of("/replicas", "3"), source.snapshot(w, r1));
        assertEquals(Map.of("/replicas", "5"), source.snapshot(w, r3));

        etcd.compact(r3);
        assertEquals(Map.of("/replicas", "5", "/trigger", "v1"), source.snapshot(w, r1),
                "a compacted revision gives the current values");
    }

    @Test
    void twoHundredBackToBackPutsAreDeliveredOnceEachInRevisionOrder() throws Exception {
        String p = uniquePrefix("burst");
        WatchSpec w = Recording.watch("burst", p);
        Recording.Listener l = new Recording.Listener();
        try (var s = source(etcd.client()).start(List.of(w), Map.of(), l)) {
            assertTrue(s.awaitWatching(WAIT));
            List<Long> revs = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                revs.add(put(etcd.client(), p + "/trigger", value(i)));
            }
            assertTrue(l.awaitEvents(200, WAIT), "got " + l.events().size());
            Thread.sleep(200);
            List<TriggerEvent> got = l.events();
            assertEquals(200, got.size());
            assertEquals(revs, got.stream().map(TriggerEvent::modRevision).toList());
            for (int i = 0; i < 200; i++) {
                assertEquals(value(i), got.get(i).text());
            }
            assertStrictlyIncreasing(got);
            assertEquals(0, l.overlaps());
            assertTrue(l.notices().isEmpty(), "unexpected notices " + l.notices());
        }
    }

    @Test
    void aPausedWatchDeliversNothingAndOnResumeEverythingPutMeanwhileOnceInOrder() throws Exception {
        String p = uniquePrefix("pause");
        WatchSpec w = Recording.watch("pause", p);
        Recording.Listener l = new Recording.Listener();
        try (var s = source(etcd.client()).start(List.of(w), Map.of(), l)) {
            assertTrue(s.awaitWatching(WAIT));
            long r1 = put(etcd.client(), p + "/trigger", value(1));
            assertTrue(l.awaitEvents(1, WAIT));
            s.pause("pause");
            Thread.sleep(300); // the pause is asynchronous: let it close the jetcd watch
            List<Long> meanwhile = new ArrayList<>();
            for (int i = 2; i <= 6; i++) {
                meanwhile.add(put(etcd.client(), p + "/trigger", value(i)));
            }
            Thread.sleep(300);
            assertEquals(List.of(r1), l.events().stream().map(TriggerEvent::modRevision).toList(), "paused");
            s.resume("pause");
            assertTrue(l.awaitEvents(6, WAIT), "got " + l.events().size());
            List<Long> expected = new ArrayList<>(List.of(r1));
            expected.addAll(meanwhile);
            assertEquals(expected, l.events().stream().map(TriggerEvent::modRevision).toList());
            assertStrictlyIncreasing(l.events());
        }
    }

    @Test
    void withoutCheckpointTheCurrentValueIsDeliveredOnceThenLiveChanges() throws Exception {
        String p = uniquePrefix("nocp");
        put(etcd.client(), p + "/trigger", value(1));
        long second = put(etcd.client(), p + "/trigger", value(2));
        Recording.Listener l = new Recording.Listener();
        try (var s = source(etcd.client()).start(List.of(Recording.watch("nocp", p)), Map.of(), l)) {
            assertTrue(l.awaitEvents(1, WAIT));
            long third = put(etcd.client(), p + "/trigger", value(3));
            assertTrue(l.awaitEvents(2, WAIT));
            Thread.sleep(200);
            assertEquals(List.of(second, third), l.events().stream().map(TriggerEvent::modRevision).toList());
        }
    }

    @Test
    void aCheckpointResumesRightAfterIt() throws Exception {
        String p = uniquePrefix("cp");
        List<Long> revs = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            revs.add(put(etcd.client(), p + "/trigger", value(i)));
        }
        Recording.Listener l = new Recording.Listener();
        try (var s = source(etcd.client()).start(List.of(Recording.watch("cp", p)), Map.of("cp", revs.get(1)), l)) {
            assertTrue(l.awaitEvents(3, WAIT));
            Thread.sleep(200);
            assertEquals(revs.subList(2, 5), l.events().stream().map(TriggerEvent::modRevision).toList());
        }
    }

    @Test
    void onlyNamedKeysAreDeliveredAndDeletesToEveryWatchOfTheKey() throws Exception {
        String p = uniquePrefix("keys");
        WatchSpec plain = Recording.watch("plain", p);
        WatchSpec withDeletes = WatchSpec.builder("deletes").prefix(p).key("/trigger").template("t").action("record")
                .includeDeletes(true).build();
        Recording.Listener l = new Recording.Listener();
        try (var s = source(etcd.client()).start(List.of(plain, withDeletes), Map.of(), l)) {
            assertTrue(s.awaitWatching(WAIT));
            put(etcd.client(), p + "/triggerX", value(0));
            put(etcd.client(), p + "/other", value(0));
            long put = put(etcd.client(), p + "/trigger", value(1));
            long del = etcd.client().getKVClient().delete(Etcd.bytes(p + "/trigger")).get(5, TimeUnit.SECONDS)
                    .getHeader().getRevision();
            long after = put(etcd.client(), p + "/trigger", value(2));
            assertTrue(Recording.await(WAIT, () -> l.events().size() >= 6));
            Thread.sleep(200);
            List<TriggerEvent> plainEvents = l.events().stream().filter(e -> e.watch().equals("plain")).toList();
            List<TriggerEvent> delEvents = l.events().stream().filter(e -> e.watch().equals("deletes")).toList();
            // the pipeline keeps its key map with deletes; whether one triggers is the watch's choice there
            assertEquals(List.of(put, del, after), plainEvents.stream().map(TriggerEvent::modRevision).toList());
            assertEquals(List.of(put, del, after), delEvents.stream().map(TriggerEvent::modRevision).toList());
            assertEquals(EventType.DELETE, plainEvents.get(1).type());
            assertEquals(EventType.DELETE, delEvents.get(1).type());
        }
    }

    @Test
    void prefixWatchNeverDeliversTheRunnersOwnStateKeys() throws Exception {
        String p = uniquePrefix("own");
        WatchSpec dir = WatchSpec.builder("dir").prefix(p).template("t").action("record").build();
        Recording.Listener l = new Recording.Listener();
        var src = EtcdTriggerSource.builder(etcd.client()).ignorePrefix(p + "/.state").build();
        try (var s = src.start(List.of(dir), Map.of(), l)) {
            assertTrue(s.awaitWatching(WAIT));
            put(etcd.client(), p + "/.state/checkpoint/dir", "17");
            long a = put(etcd.client(), p + "/app/a", value(1));
            assertTrue(l.awaitEvents(1, WAIT));
            Thread.sleep(200);
            assertEquals(List.of(a), l.events().stream().map(TriggerEvent::modRevision).toList());
        }
    }

    @Test
    void compactionPastTheCheckpointDeliversTheLatestValueAndReportsTheExactGap() throws Exception {
        String p = uniquePrefix("gap");
        long checkpoint = put(etcd.client(), p + "/trigger", value(0));
        long last = 0;
        for (int i = 1; i <= 10; i++) {
            last = put(etcd.client(), p + "/trigger", value(i));
        }
        etcd.compact(last);
        Recording.Listener l = new Recording.Listener();
        try (var s = source(etcd.client()).start(List.of(Recording.watch("gap", p)), Map.of("gap", checkpoint), l)) {
            assertTrue(l.awaitEvents(1, WAIT));
            long live = put(etcd.client(), p + "/trigger", value(11));
            assertTrue(l.awaitEvents(2, WAIT));
            Thread.sleep(200);
            assertEquals(List.of(last, live), l.events().stream().map(TriggerEvent::modRevision).toList());
            List<SourceNotice> gaps = l.notices(SourceNotice.Kind.GAP);
            assertEquals(1, gaps.size(), l.notices().toString());
            // revisions checkpoint+1 .. last-1 held the nine overwritten values of the key and nothing else
            assertEquals(9, gaps.get(0).lostRevisions(), gaps.get(0).message());
            assertEquals(last, gaps.get(0).revision());
        }
    }

    @Test
    void aCheckpointAheadOfTheStoreIsReportedAsResetAndCurrentValuesAreDelivered() throws Exception {
        String p = uniquePrefix("ahead");
        long current = put(etcd.client(), p + "/trigger", value(1));
        Recording.Listener l = new Recording.Listener();
        try (var s = source(etcd.client()).start(List.of(Recording.watch("ahead", p)), Map.of("ahead", current + 1_000_000), l)) {
            assertTrue(l.awaitEvents(1, WAIT));
            assertEquals(current, l.events().get(0).modRevision());
            assertEquals(1, l.notices(SourceNotice.Kind.RESET).size());
            long next = put(etcd.client(), p + "/trigger", value(2));
            assertTrue(l.awaitEvents(2, WAIT));
            assertEquals(next, l.events().get(1).modRevision());
        }
    }

    @Test
    void closeStopsDeliveryAndNoListenerCallFollows() throws Exception {
        String p = uniquePrefix("close");
        Recording.Listener l = new Recording.Listener();
        var s = source(etcd.client()).start(List.of(Recording.watch("close", p)), Map.of(), l);
        assertTrue(s.awaitWatching(WAIT));
        Thread writer = new Thread(() -> {
            try {
                for (int i = 0; i < 300; i++) {
                    put(etcd.client(), p + "/trigger", value(i));
                }
            } catch (Exception e) {
                // the test only needs traffic
            }
        });
        writer.start();
        assertTrue(l.awaitEvents(20, WAIT));
        s.close();
        l.markClosed();
        writer.join(TimeUnit.SECONDS.toMillis(30));
        Thread.sleep(300);
        assertEquals(0, l.callsAfterClose());
        assertStrictlyIncreasing(l.events());
    }

    @Test
    void watchesOfOneSourceAreIndependentAndNeverOverlapPerWatch() throws Exception {
        String p = uniquePrefix("multi");
        List<WatchSpec> ws = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            ws.add(Recording.watch("w" + i, p + "/" + i));
        }
        Recording.Listener l = new Recording.Listener();
        try (var s = source(etcd.client()).start(ws, Map.of(), l)) {
            assertTrue(s.awaitWatching(WAIT));
            for (int n = 0; n < 30; n++) {
                put(etcd.client(), p + "/" + (n % 3) + "/trigger", value(n));
            }
            assertTrue(l.awaitEvents(30, WAIT));
            for (int i = 0; i < 3; i++) {
                String name = "w" + i;
                List<TriggerEvent> mine = l.events().stream().filter(e -> e.watch().equals(name)).toList();
                assertEquals(10, mine.size());
                assertStrictlyIncreasing(mine);
            }
        }
    }
}
