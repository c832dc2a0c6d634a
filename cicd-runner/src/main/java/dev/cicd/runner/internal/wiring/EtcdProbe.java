package dev.cicd.runner.internal.wiring;

import dev.cicd.core.CicdException;
import dev.cicd.runner.RunnerConfig;
import dev.cicd.runner.WatchConfig;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.options.GetOption;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/** The runner's own small reads of etcd: whether it answers (for health), and the watches' newest revisions. */
public final class EtcdProbe {

    private static final Duration READ_TIMEOUT = Duration.ofSeconds(5);

    private final Client etcd;
    private final RunnerConfig config;
    private final AtomicLong checkedAt = new AtomicLong();
    private volatile boolean reachable = true;

    public EtcdProbe(Client etcd, RunnerConfig config) {
        this.etcd = etcd;
        this.config = config;
    }

    /** Whether etcd answered a count-only read within 2 s; asked at most once a second. */
    public boolean reachable() {
        long now = System.nanoTime();
        long last = checkedAt.get();
        if (last != 0 && now - last < TimeUnit.SECONDS.toNanos(1)) {
            return reachable;
        }
        checkedAt.set(now);
        try {
            etcd.getKVClient().get(ByteSequence.from(config.runner().statusPrefix(), StandardCharsets.UTF_8),
                    GetOption.builder().withCountOnly(true).build()).get(2, TimeUnit.SECONDS);
            reachable = true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            reachable = false;
        } catch (Exception e) {
            reachable = false;
        }
        return reachable;
    }

    /** Per watch, the highest mod revision among its keys now (0 when none exists). */
    public Map<String, Long> currentRevisions() {
        Map<String, Long> out = new LinkedHashMap<>();
        for (WatchConfig w : config.watches()) {
            long max = 0;
            for (String k : w.fullKeys()) {
                GetOption opt = k.endsWith("/")
                        ? GetOption.builder().isPrefix(true).withKeysOnly(true).build()
                        : GetOption.builder().withKeysOnly(true).build();
                try {
                    var resp = etcd.getKVClient().get(ByteSequence.from(k, StandardCharsets.UTF_8), opt)
                            .get(READ_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                    for (var kv : resp.getKvs()) {
                        max = Math.max(max, kv.getModRevision());
                    }
                } catch (InterruptedException e) {
                    throw CicdException.interrupted("reading " + k, e);
                } catch (Exception e) {
                    throw new CicdException(CicdException.Code.SOURCE, "reading " + k + " from etcd "
                            + config.etcd().endpoints() + " failed: " + e.getMessage(), e);
                }
            }
            out.put(w.name(), max);
        }
        return out;
    }
}
