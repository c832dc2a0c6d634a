package dev.cicd.etcd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cicd.core.Outcome;
import dev.cicd.etcd.internal.KvTransport;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link TriggerPublisher#publishAndAwait}: the watch is opened before the put, and an outcome that arrives
 * before the put's revision is known (a runner faster than the put's answer) is kept, not lost.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class WatchFirstTest {

    private static final String RECORD = "{\"watch\":\"w\",\"key\":\"/k\",\"revision\":42,\"requestId\":null,\"outcome\":\"in-sync\","
            + "\"reason\":\"\",\"fingerprint\":\"f\",\"exitCode\":null,\"started\":\"2026-11-27T00:00:00Z\","
            + "\"finished\":\"2026-11-27T00:00:00Z\",\"runnerId\":\"r1\",\"runLog\":null}";

    /** A transport whose put answers only after the outcome of that put was already delivered to the watch. */
    private static final class FastRunner implements KvTransport {
        final List<String> calls = new ArrayList<>();
        WatchListener listener;

        @Override
        public long put(String key, byte[] value) {
            calls.add("put " + key);
            listener.puts(List.of(new Kv("/cicd/.status/w/41", RECORD.replace("\"revision\":42", "\"revision\":41")),
                    new Kv("/cicd/.status/w/42", RECORD)));
            return 42;
        }

        @Override
        public Range get(String prefix) {
            throw new AssertionError("no read: the watch had the record");
        }

        @Override
        public long count(String prefix) {
            return 1;
        }

        @Override
        public Watching watch(String prefix, long fromRevision, WatchListener l) {
            throw new AssertionError("no watch from a revision: the watch from now had the record");
        }

        @Override
        public Watching watchFromNow(String prefix, WatchListener l) {
            calls.add("watch " + prefix);
            this.listener = l;
            return () -> calls.add("closed");
        }

        @Override
        public String describe() {
            return "fast";
        }

        @Override
        public void close() {
        }
    }

    @Test
    void theWatchOpensBeforeThePutAndAnOutcomeFasterThanThePutsAnswerIsKept() {
        FastRunner t = new FastRunner();
        List<Long> told = new ArrayList<>();
        PublishResult r = TriggerPublisher.builder(t).build().publishAndAwait("/k", "{\"i\":1}", Duration.ofSeconds(5),
                told::add, p -> { });
        assertEquals(List.of(42L), told);
        assertEquals(42, r.revision());
        assertEquals(Outcome.Kind.IN_SYNC, r.kind().orElseThrow());
        assertEquals(List.of("watch /cicd/.status/", "put /k"), t.calls.subList(0, 2));
        assertTrue(t.calls.contains("closed"), t.calls.toString());
    }
}
