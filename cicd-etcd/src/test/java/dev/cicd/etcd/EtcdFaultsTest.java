package dev.cicd.etcd;

import static dev.cicd.etcd.Recording.uniquePrefix;
import static dev.cicd.etcd.Recording.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cicd.core.Outcome;
import dev.cicd.core.SourceNotice;
import dev.cicd.core.TriggerEvent;
import dev.cicd.core.WatchSpec;
import dev.cicd.etcd.internal.Etcd;
import dev.cicd.testkit.EtcdFixture;
import dev.cicd.testkit.WithEtcd;
import io.etcd.jetcd.Client;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** etcd killed with SIGKILL and restarted while triggers flow. */
@WithEtcd
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class EtcdFaultsTest {

    private static final Duration WAIT = Duration.ofSeconds(40);

    EtcdFixture etcd;

    private static long put(Client c, String key, String value) throws Exception {
        return c.getKVClient().put(Etcd.bytes(key), Etcd.bytes(value)).get(5, TimeUnit.SECONDS).getHeader().getRevision();
    }

    /** Puts until acknowledged (etcd may be down); bounded. */
    private static long putRetrying(Client c, String key, String value) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            try {
                return put(c, key, value);
            } catch (Exception e) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("put of " + value + " never acknowledged", e);
                }
                try {
                    Thread.sleep(100);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(ie);
                }
            }
        }
    }

    @Test
    void sourceResumesAfterSigkillAndRestartWithoutLosingAnEvent() throws Exception {
        String p = uniquePrefix("kill");
        Recording.Listener l = new Recording.Listener();
        try (var s = EtcdTriggerSource.builder(etcd.client()).requestTimeout(Duration.ofSeconds(2)).build()
                .start(List.of(Recording.watch("kill", p)), Map.of(), l)) {
            assertTrue(s.awaitWatching(WAIT));
            List<Long> revs = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                revs.add(put(etcd.client(), p + "/trigger", value(i)));
            }
            assertTrue(l.awaitEvents(20, WAIT));
            etcd.kill();
            assertTrue(l.awaitNotice(SourceNotice.Kind.DISCONNECTED, WAIT), "notices " + l.notices());
            etcd.start();
            for (int i = 20; i < 40; i++) {
                revs.add(putRetrying(etcd.client(), p + "/trigger", value(i)));
            }
            assertTrue(l.awaitEvents(40, WAIT), "events " + l.events().size());
            assertTrue(l.awaitNotice(SourceNotice.Kind.RECONNECTED, WAIT), "notices " + l.notices());
            Thread.sleep(200);
            assertEquals(revs, l.events().stream().map(TriggerEvent::modRevision).toList());
            assertEquals(1, l.notices(SourceNotice.Kind.DISCONNECTED).size(), l.notices().toString());
            assertEquals(0, l.overlaps());
        }
    }

    @Test
    void pipelineLosesNothingWhenEtcdIsKilledAndRestartedMidBurst() throws Exception {
        String base = uniquePrefix("killburst");
        WatchSpec w = Recording.watch("killburst", base);
        Recording.RecordingAction action = new Recording.RecordingAction();
        Map<Long, String> acknowledged = new HashMap<>();
        AtomicBoolean writerFailed = new AtomicBoolean();
        try (TestRunner r = new TestRunner(etcd.client(), "r1", base, w, action, null).start()) {
            Thread writer = new Thread(() -> {
                try {
                    for (int i = 0; i < 120; i++) {
                        long rev = putRetrying(etcd.client(), base + "/trigger", value(i));
                        synchronized (acknowledged) {
                            acknowledged.put(rev, value(i));
                        }
                        Thread.sleep(5);
                    }
                } catch (Exception | Error e) {
                    writerFailed.set(true);
                }
            });
            writer.start();
            assertTrue(r.sink.awaitOutcomes(30, WAIT));
            etcd.kill();
            Thread.sleep(300);
            etcd.start();
            writer.join(TimeUnit.SECONDS.toMillis(60));
            assertFalse(writer.isAlive());
            assertFalse(writerFailed.get());
            assertTrue(Recording.await(WAIT, () -> r.state.history("killburst", 10_000).stream()
                    .map(StatusRecord::revision).collect(Collectors.toSet()).containsAll(acknowledged.keySet())),
                    "not every acknowledged put got an outcome");
            assertTrue(r.pipeline().awaitIdle(WAIT));
            List<StatusRecord> records = r.state.history("killburst", 10_000);
            assertEquals(records.size(), records.stream().map(StatusRecord::revision).distinct().count());
            Map<String, Long> appliedPerPlan = records.stream().filter(s -> s.outcome() == Outcome.Kind.APPLIED)
                    .collect(Collectors.groupingBy(s -> s.fingerprint().orElseThrow(), Collectors.counting()));
            assertEquals(120, appliedPerPlan.size(), "every distinct value applied");
            assertTrue(appliedPerPlan.values().stream().allMatch(n -> n == 1), "applied twice: " + appliedPerPlan);
            assertTrue(records.stream().allMatch(s -> s.outcome() == Outcome.Kind.APPLIED
                    || s.outcome() == Outcome.Kind.IN_SYNC), "only applied or in-sync: " + records);
            Map<String, Long> calls = action.calls().stream()
                    .collect(Collectors.groupingBy(Recording.RecordingAction.Call::plan, Collectors.counting()));
            assertEquals(120, calls.size());
            assertTrue(calls.values().stream().allMatch(n -> n == 1), "action ran twice: " + calls);
        }
    }
}
