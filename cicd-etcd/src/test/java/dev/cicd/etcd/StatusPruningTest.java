package dev.cicd.etcd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cicd.core.Outcome;
import dev.cicd.core.WatchSpec;
import dev.cicd.etcd.internal.Etcd;
import dev.cicd.etcd.internal.StateKeys;
import dev.cicd.testkit.EtcdFixture;
import dev.cicd.testkit.WithEtcd;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.options.GetOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Per-revision status records stay bounded by count and age on a real etcd; nothing a restart needs goes. */
@WithEtcd
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class StatusPruningTest {

    private static final Duration WAIT = Duration.ofSeconds(60);

    EtcdFixture etcd;

    private static long put(Client c, String key, String value) throws Exception {
        return c.getKVClient().put(Etcd.bytes(key), Etcd.bytes(value)).get(5, TimeUnit.SECONDS).getHeader().getRevision();
    }

    private static long count(Client c, String from, String to) throws Exception {
        return c.getKVClient().get(Etcd.bytes(from), GetOption.builder().withRange(Etcd.bytes(to)).withCountOnly(true).build())
                .get(5, TimeUnit.SECONDS).getCount();
    }

    /** The per-revision status records of a watch: keys {@code <base>/status/<watch>/<digits>}. */
    private static long records(Client c, String base, String watch) throws Exception {
        return count(c, base + "/status/" + watch + "/0", base + "/status/" + watch + "/:");
    }

    private static long underPrefix(Client c, String prefix) throws Exception {
        return count(c, prefix, Etcd.text(Etcd.prefixEnd(Etcd.bytes(prefix))));
    }

    private static boolean exists(Client c, String key) throws Exception {
        return !c.getKVClient().get(Etcd.bytes(key)).get(5, TimeUnit.SECONDS).getKvs().isEmpty();
    }

    @Test
    void moreEventsThanTheLimitKeepTheNewestRecordsLatestCheckpointAndFingerprintsAndARestartRunsNothingTwice()
            throws Exception {
        Client c = etcd.client();
        String base = Recording.uniquePrefix("prune");
        WatchSpec w = WatchSpec.builder("w").prefix(base + "/t").template("image").action("record").build();
        Recording.RecordingAction action = new Recording.RecordingAction();
        long last = 0;
        try (TestRunner r = new TestRunner(c, "r1", base, w, action, null,
                b -> b.statusMaxPerWatch(100).pruneDelay(Duration.ofMillis(100))).start()) {
            for (int i = 0; i < 500; i++) {
                last = put(c, base + "/t/app-" + (i % 20), Recording.value(i));
            }
            assertTrue(r.sink.awaitOutcomes(500, WAIT), "outcomes: " + r.sink.outcomes().size());
            assertTrue(r.pipeline().awaitIdle(WAIT));
            assertTrue(Recording.await(WAIT, () -> {
                try {
                    return records(c, base, "w") <= 100;
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }), "records left: " + records(c, base, "w"));
            assertEquals(100, records(c, base, "w"), "the newest 100 are kept");
            assertTrue(r.state.prunedStatusRecords() >= 400, "pruned " + r.state.prunedStatusRecords());
            assertEquals(last, r.state.latest("w").orElseThrow().revision());
            List<StatusRecord> history = r.state.history("w", 10_000);
            assertEquals(100, history.size());
            assertEquals(last, history.get(history.size() - 1).revision());
            assertEquals(last, r.state.store().load("w").checkpoint().getAsLong());
            assertEquals(20, underPrefix(c, base + "/state/applied/"), "one fingerprint per target");
            assertEquals(0, underPrefix(c, base + "/state/recorded/"), "no marks below the checkpoint");
            assertEquals(500, action.calls().size());
        }
        Recording.RecordingAction again = new Recording.RecordingAction();
        try (TestRunner r = new TestRunner(c, "r2", base, w, again, null,
                b -> b.statusMaxPerWatch(100).pruneDelay(Duration.ofMillis(100))).start()) {
            long next = put(c, base + "/t/app-0", Recording.value(1000));
            assertTrue(r.sink.awaitOutcomes(1, WAIT));
            assertTrue(r.pipeline().awaitIdle(WAIT));
            assertEquals(List.of(next), r.sink.outcomes().stream().map(Outcome::revision).toList(),
                    "after pruning, a restart resumes after the checkpoint and runs only the new event");
            assertEquals(1, again.calls().size());
            assertEquals(Outcome.Kind.APPLIED, r.sink.outcomes().get(0).kind());
        }
    }

    @Test
    void recordsAboveTheCheckpointLatestNoticeAndTheStateAreNeverPruned() throws Exception {
        Client c = etcd.client();
        String base = Recording.uniquePrefix("keep");
        StateKeys keys = new StateKeys(base + "/state", base + "/status");
        put(c, keys.checkpoint("w"), "95");
        put(c, keys.recorded("w", 110), "");
        put(c, keys.applied("app"), "{\"fingerprint\":\"f1\"}");
        put(c, keys.latest("w"), "{}");
        put(c, keys.notice("w"), "{}");
        // written first, so listed first among the oldest: 100..120 are above the checkpoint (in flight)
        for (int rev = 100; rev <= 120; rev++) {
            put(c, keys.status("w", rev), "{}");
        }
        for (int rev = 1; rev <= 99; rev++) {
            put(c, keys.status("w", rev), "{}");
        }
        EtcdState state = EtcdState.builder(c).group("g").statePrefix(base + "/state").statusPrefix(base + "/status")
                .statusMaxPerWatch(10).build();
        assertEquals(89, state.pruneStatus("w"), "1..89: the 110 oldest written minus the 21 above the checkpoint");
        assertEquals(0, state.pruneStatus("w"), "what is over the limit is above the checkpoint");
        assertEquals(31, records(c, base, "w"));
        for (int rev = 90; rev <= 120; rev++) {
            assertTrue(exists(c, keys.status("w", rev)), "revision " + rev);
        }
        for (String k : List.of(keys.checkpoint("w"), keys.recorded("w", 110), keys.applied("app"), keys.latest("w"),
                keys.notice("w"))) {
            assertTrue(exists(c, k), k);
        }
        assertEquals(89, state.prunedStatusRecords());
    }

    @Test
    void aCheckpointAboveTheStoresRevisionLeftByAResetPrunesNothing() throws Exception {
        Client c = etcd.client();
        String base = Recording.uniquePrefix("reset");
        StateKeys keys = new StateKeys(base + "/state", base + "/status");
        for (int rev = 1; rev <= 20; rev++) {
            put(c, keys.status("w", rev), "{}");
        }
        long now = put(c, keys.checkpoint("w"), Long.toString(Long.MAX_VALUE / 2));
        EtcdState state = EtcdState.builder(c).group("g").statePrefix(base + "/state").statusPrefix(base + "/status")
                .statusMaxPerWatch(5).build();
        assertEquals(0, state.pruneStatus("w"));
        assertEquals(20, records(c, base, "w"));
        put(c, keys.checkpoint("w"), Long.toString(now));
        assertEquals(15, state.pruneStatus("w"));
    }

    @Test
    void aRunnerThatDoesNotLeadPrunesNothing() throws Exception {
        Client c = etcd.client();
        String base = Recording.uniquePrefix("fenced");
        StateKeys keys = new StateKeys(base + "/state", base + "/status");
        put(c, keys.checkpoint("w"), "1000");
        for (int rev = 1; rev <= 30; rev++) {
            put(c, keys.status("w", rev), "{}");
        }
        try (LeaderElection election = LeaderElection.builder(c).group("g").electionPrefix(base + "/election")
                .candidateId("a").ttl(Duration.ofSeconds(5)).requestTimeout(Duration.ofSeconds(2)).build()) {
            EtcdState state = EtcdState.builder(c).group("g").statePrefix(base + "/state")
                    .statusPrefix(base + "/status").statusMaxPerWatch(10).fence(election).build();
            assertThrows(NotLeaderException.class, () -> state.pruneStatus("w"));
            assertEquals(30, records(c, base, "w"));
            election.start();
            assertTrue(election.awaitLeadership(WAIT));
            assertEquals(20, state.pruneStatus("w"));
            assertEquals(10, records(c, base, "w"));
        }
    }

    @Test
    void recordsExpireAfterTheStatusTtlWhileLatestStays() throws Exception {
        Client c = etcd.client();
        String base = Recording.uniquePrefix("ttl");
        WatchSpec w = Recording.watch("ttl", base);
        try (TestRunner r = new TestRunner(c, "r1", base, w, new Recording.RecordingAction(), null,
                b -> b.statusTtl(Duration.ofSeconds(10))).start()) {
            long last = 0;
            for (int i = 0; i < 3; i++) {
                last = put(c, base + "/trigger", Recording.value(i));
            }
            assertTrue(r.sink.awaitOutcomes(3, WAIT));
            assertTrue(r.pipeline().awaitIdle(WAIT));
            assertEquals(3, records(c, base, "ttl"));
            long lease = c.getKVClient().get(Etcd.bytes(base + "/status/ttl/" + last)).get(5, TimeUnit.SECONDS)
                    .getKvs().get(0).getLease();
            assertEquals(10, c.getLeaseClient().timeToLive(lease, io.etcd.jetcd.options.LeaseOption.DEFAULT)
                    .get(5, TimeUnit.SECONDS).getGrantedTTL(), "granted for the TTL: no record outlives it");
            assertTrue(Recording.await(Duration.ofSeconds(30), () -> {
                try {
                    return records(c, base, "ttl") == 0;
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }), "records left after the TTL: " + records(c, base, "ttl"));
            assertEquals(last, r.state.latest("ttl").orElseThrow().revision());
            assertEquals(1, underPrefix(c, base + "/state/applied/"));
        }
    }

    @Test
    void waitingForAPrunedOutcomeReadsItFromHistoryOrAfterCompactionFailsAtOnceNamingTheLaterPut() throws Exception {
        Client c = etcd.client();
        String base = Recording.uniquePrefix("gone");
        WatchSpec w = Recording.watch("gone", base);
        String key = base + "/trigger";
        long first;
        long last;
        try (TestRunner r = new TestRunner(c, "r1", base, w, new Recording.RecordingAction(), null,
                b -> b.statusMaxPerWatch(1).pruneDelay(Duration.ZERO)).start()) {
            first = put(c, key, Recording.value(0));
            put(c, key, Recording.value(1));
            last = put(c, key, Recording.value(2));
            assertTrue(r.sink.awaitOutcomes(3, WAIT));
            assertTrue(r.pipeline().awaitIdle(WAIT));
            assertTrue(Recording.await(WAIT, () -> r.state.status("gone", first).isEmpty()
                    && r.state.history("gone", 10).size() == 1));
        }
        TriggerPublisher publisher = TriggerPublisher.builder(c).statusPrefix(base + "/status").build();
        PublishResult fromHistory = publisher.awaitOutcome(key, first, WAIT);
        assertEquals(first, fromHistory.status().orElseThrow().revision(), "etcd's history still holds the record");
        etcd.compact(c.getKVClient().get(Etcd.bytes(key)).get(5, TimeUnit.SECONDS).getHeader().getRevision());
        PrunedOutcomeException e = assertThrows(PrunedOutcomeException.class,
                () -> publisher.awaitOutcome(key, first, Duration.ofSeconds(60)));
        assertEquals(last, e.newer().revision());
        assertTrue(e.getMessage().contains("revision " + first) && e.getMessage().contains("statusRetention"),
                e.getMessage());
    }
}
