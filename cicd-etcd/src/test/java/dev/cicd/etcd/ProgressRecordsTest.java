package dev.cicd.etcd;

import static dev.cicd.etcd.Recording.uniquePrefix;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cicd.core.Outcome;
import dev.cicd.core.Plan;
import dev.cicd.core.Progress;
import dev.cicd.core.StateStore;
import dev.cicd.core.TriggerEvent;
import dev.cicd.etcd.internal.Etcd;
import dev.cicd.testkit.EtcdFixture;
import dev.cicd.testkit.WithEtcd;
import io.etcd.jetcd.Client;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** In-progress status records: written while the action runs, replaced by the outcome, never over it, fenced. */
@WithEtcd
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ProgressRecordsTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    EtcdFixture etcd;

    private static Progress progress(String key, long revision, String step, String detail) {
        Instant now = Instant.now();
        return new Progress(TriggerEvent.put("w", key, "{}", revision), Optional.of("req-1"), step, detail, now, now);
    }

    private static StateStore.Batch applied(String key, long revision) {
        TriggerEvent e = TriggerEvent.put("w", key, "{}", revision);
        Instant now = Instant.now();
        Outcome o = new Outcome(e, Outcome.Kind.APPLIED, "", Optional.of(Plan.sha256("x")), OptionalInt.empty(), "",
                Optional.empty(), now, now, Optional.empty());
        return new StateStore.Batch(List.of(new StateStore.Entry(o, List.of(key))), Map.of("w", revision));
    }

    private static LeaderElection election(Client c, String base, String id) {
        return LeaderElection.builder(c).group("g").electionPrefix(base + "/election").candidateId(id)
                .ttl(Duration.ofSeconds(2)).requestTimeout(Duration.ofSeconds(2)).build();
    }

    private static EtcdState state(Client c, String base, LeaderElection e) {
        return EtcdState.builder(c).group("g").statePrefix(base + "/state").statusPrefix(base + "/status")
                .runnerId("r1").fence(e).build();
    }

    private static boolean hasProgress(EtcdState s, long revision, String detail) {
        return s.progress("w", revision).map(p -> p.detail().equals(detail)).orElse(false);
    }

    @Test
    void progressIsStoredAtTheStatusKeyAndTheOutcomeReplacesItAndALateReportDoesNot() throws Exception {
        String base = uniquePrefix("progress");
        String key = base + "/trigger";
        try (Client c = etcd.newClient(); LeaderElection e = election(c, base, "r1")) {
            e.start();
            assertTrue(e.awaitLeadership(WAIT));
            EtcdState s = state(c, base, e);
            s.store().progress(progress(key, 7, Progress.STARTED, ""));
            s.store().progress(progress(key, 7, "waitForRollout ns/app", "2/3 replicas updated, 2 available"));
            assertTrue(Recording.await(WAIT, () -> hasProgress(s, 7, "2/3 replicas updated, 2 available")));
            ProgressRecord p = s.progress("w", 7).orElseThrow();
            assertEquals("waitForRollout ns/app", p.step());
            assertEquals("r1", p.runnerId());
            assertEquals(Optional.of("req-1"), p.requestId());
            assertEquals(Optional.empty(), s.status("w", 7), "an in-progress record is not an outcome");

            s.store().commit(applied(key, 7));
            assertEquals(Outcome.Kind.APPLIED, s.status("w", 7).orElseThrow().outcome());
            // a report that arrives after the outcome, then a sentinel report of another event: once the
            // sentinel is stored, the late report was handled (one writer, in order)
            s.store().progress(progress(key, 7, "waitForRollout ns/app", "3/3 replicas updated, 3 available"));
            s.store().progress(progress(key, 8, Progress.STARTED, "sentinel"));
            assertTrue(Recording.await(WAIT, () -> hasProgress(s, 8, "sentinel")));
            assertEquals(Outcome.Kind.APPLIED, s.status("w", 7).orElseThrow().outcome(), "the outcome stays");
            assertTrue(s.progress("w", 7).isEmpty());
        }
    }

    @Test
    void aRunnerThatIsNotTheLeaderWritesNoProgress() throws Exception {
        String base = uniquePrefix("progress-fenced");
        String key = base + "/trigger";
        try (Client c = etcd.newClient(); LeaderElection e = election(c, base, "r1")) {
            EtcdState s = state(c, base, e);
            s.store().progress(progress(key, 3, Progress.STARTED, "not leader"));
            e.start();
            assertTrue(e.awaitLeadership(WAIT));
            s.store().progress(progress(key, 4, Progress.STARTED, "sentinel"));
            assertTrue(Recording.await(WAIT, () -> hasProgress(s, 4, "sentinel")));
            assertTrue(s.progress("w", 3).isEmpty(), "written while not the leader");
        }
    }

    @Test
    void anEarlierRunsProgressIsReplacedByTheNewRunsButAForeignFinalRecordIsNot() throws Exception {
        String base = uniquePrefix("progress-rerun");
        String key = base + "/trigger";
        try (Client c = etcd.newClient(); LeaderElection e = election(c, base, "r1")) {
            e.start();
            assertTrue(e.awaitLeadership(WAIT));
            EtcdState s = state(c, base, e);
            Instant t = Instant.now();
            ProgressRecord old = new ProgressRecord("w", key, 5, Optional.empty(), "started", "old run", t, t, "dead");
            c.getKVClient().put(Etcd.bytes(base + "/status/w/5"), Etcd.bytes(old.toJson())).get(5, TimeUnit.SECONDS);
            s.store().progress(progress(key, 5, Progress.STARTED, "new run"));
            assertTrue(Recording.await(WAIT, () -> hasProgress(s, 5, "new run")));
            assertEquals("r1", s.progress("w", 5).orElseThrow().runnerId());

            c.getKVClient().put(Etcd.bytes(base + "/status/w/6"), Etcd.bytes("{\"outcome\":\"applied\"}"))
                    .get(5, TimeUnit.SECONDS);
            s.store().progress(progress(key, 6, Progress.STARTED, "late"));
            s.store().progress(progress(key, 9, Progress.STARTED, "sentinel"));
            assertTrue(Recording.await(WAIT, () -> hasProgress(s, 9, "sentinel")));
            String v = Etcd.text(c.getKVClient().get(Etcd.bytes(base + "/status/w/6")).get(5, TimeUnit.SECONDS)
                    .getKvs().get(0).getValue());
            assertFalse(ProgressRecord.isProgress(v), v);
        }
    }
}
