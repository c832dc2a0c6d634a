package dev.cicd.etcd;

import static dev.cicd.etcd.Recording.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cicd.core.SourceNotice;
import dev.cicd.etcd.internal.Etcd;
import dev.cicd.testkit.EtcdFixture;
import dev.cicd.testkit.WithEtcd;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * etcd's data wiped while the source watches (the confd failure: new puts were silently ignored).
 * Wipes the fixture's data directory ({@code <fixture dir>/data}, the local backend's layout) between
 * a kill and a start.
 */
@WithEtcd
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class EtcdResetTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    EtcdFixture etcd;

    @Test
    void dataWipedUnderARunningWatchIsReportedAsResetAndNewPutsAreDelivered() throws Exception {
        String key = "/it/reset/trigger";
        var kv = etcd.client().getKVClient();
        for (int i = 0; i < 50; i++) {
            kv.put(Etcd.bytes(key), Etcd.bytes(value(i))).get(5, TimeUnit.SECONDS);
        }
        Recording.Listener l = new Recording.Listener();
        try (var s = EtcdTriggerSource.builder(etcd.client()).requestTimeout(Duration.ofSeconds(2)).build()
                .start(List.of(Recording.watch("reset", "/it/reset")), Map.of(), l)) {
            assertTrue(l.awaitEvents(1, WAIT));
            assertTrue(s.awaitWatching(WAIT));
            etcd.kill();
            Path data = etcd.directory().resolve("data");
            try (Stream<Path> files = Files.walk(data)) {
                files.sorted(Comparator.reverseOrder()).filter(f -> !f.equals(data)).forEach(f -> f.toFile().delete());
            }
            etcd.start();
            assertTrue(l.awaitNotice(SourceNotice.Kind.RESET, WAIT), "notices " + l.notices());
            long rev = 0;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (rev == 0) {
                try {
                    rev = kv.put(Etcd.bytes(key), Etcd.bytes(value(100))).get(5, TimeUnit.SECONDS).getHeader().getRevision();
                } catch (Exception e) {
                    if (System.nanoTime() > deadline) {
                        throw e;
                    }
                    Thread.sleep(100);
                }
            }
            assertTrue(rev < 50, "the wiped store starts over, got revision " + rev);
            long expected = rev;
            assertTrue(Recording.await(WAIT, () -> l.events().stream().anyMatch(e -> e.modRevision() == expected)),
                    "the put after the reset was not delivered: " + l.events());
            assertEquals(value(100), l.events().get(l.events().size() - 1).text());
        }
    }
}
