package dev.cicd.etcd.bench;

import dev.cicd.core.Action;
import dev.cicd.core.ActionResult;
import dev.cicd.core.Pipeline;
import dev.cicd.core.Plan;
import dev.cicd.core.Renderer;
import dev.cicd.core.WatchSpec;
import dev.cicd.etcd.EtcdState;
import dev.cicd.etcd.EtcdTriggerSource;
import dev.cicd.etcd.LeaderElection;
import dev.cicd.testkit.EtcdFixture;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;

/**
 * Benchmark main (not a test): put -> action-start latency and sustained throughput of the pipeline
 * on {@link EtcdTriggerSource} versus a raw jetcd watch, on one local etcd from the testkit, in one run.
 *
 * <pre>
 *   mvn -B -q -o -pl cicd-etcd test-compile \
 *       org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath \
 *       -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=test
 *   cd cicd-etcd &amp;&amp; java -cp target/classes:target/test-classes:$(cat target/bench.classpath) \
 *       -Dcicd.testkit.workDir=target/testkit dev.cicd.etcd.bench.WatchBench [latencyPuts [throughputPuts]]
 * </pre>
 *
 * Latency: one put at a time (the next put after the previous event was seen and the pipeline is
 * idle), time from just before the put to the raw watch's event / the no-op action's start.
 * Throughput: 10,000 puts over 100 keys from another client with up to 128 puts in flight; events/s =
 * events / (last event or action start - first put).
 */
public final class WatchBench {

    private static final int WARMUP = 200;
    private static final int WINDOW = 128;
    private static final int KEYS = 100;
    private static final Renderer RENDERER = (watch, event, keys) -> Plan.of(event, event.text());

    private WatchBench() {
    }

    public static void main(String[] args) throws Exception {
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        System.setProperty("org.slf4j.simpleLogger.log.dev.cicd", "warn");
        int latencyPuts = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
        int throughputPuts = args.length > 1 ? Integer.parseInt(args[1]) : 10_000;
        try (EtcdFixture etcd = EtcdFixture.builder().build();
             Client writer = etcd.newClient();
             Client runner = etcd.newClient();
             Client rawClient = etcd.newClient();
             LeaderElection election = LeaderElection.builder(runner).group("bench").candidateId("bench").build()) {
            System.out.printf(Locale.ROOT, "etcd %s, latency: %d puts (+%d warm-up) per variant, throughput: %d puts over"
                    + " %d keys per variant%n", etcd.endpoints(), latencyPuts, WARMUP, throughputPuts, KEYS);
            election.start();
            if (!election.awaitLeadership(Duration.ofSeconds(10))) {
                throw new IllegalStateException("bench runner was not elected");
            }
            EtcdState fenced = EtcdState.builder(runner).group("bench").statePrefix("/bench/state/fenced")
                    .statusPrefix("/bench/status/fenced").runnerId("bench").fence(election).build();
            EtcdState open = EtcdState.builder(runner).group("bench").statePrefix("/bench/state/open")
                    .statusPrefix("/bench/status/open").runnerId("bench").build();

            if (latencyPuts > 0) {
            System.out.println();
            System.out.println("put -> action start of the pipeline, and put -> event of a raw jetcd watch on the same key"
                    + " (own client) for the same puts, ms");
            System.out.println("| variant | median | p90 | p99 | max | raw median | raw p99 | median - raw median |");
            System.out.println("|---|---|---|---|---|---|---|---|");
            latency("pipeline, etcd state fenced by the election (runner setup)", writer, runner, rawClient, latencyPuts,
                    "lat-f", fenced);
            latency("pipeline, etcd state unfenced (dedupe read per event)", writer, runner, rawClient, latencyPuts,
                    "lat-o", open);
            latency("pipeline, in-memory dedupe and checkpoints", writer, runner, rawClient, latencyPuts, "lat-m", null);
            }

            System.out.println();
            System.out.println("sustained events/s over " + throughputPuts + " puts across " + KEYS + " keys (up to "
                    + WINDOW + " puts in flight); raw = a raw jetcd prefix watch (own client) on the same puts");
            System.out.println("| variant | pipeline events/s (every outcome recorded) | raw events/s | pipeline / raw |"
                    + " all committed after |");
            System.out.println("|---|---|---|---|---|");
            String only = System.getProperty("bench.variants", "tp-f1,tp-f4,tp-o1,tp-m1");
            if (only.contains("tp-f1")) {
                throughput("pipeline, 1 watch, etcd state fenced (the runner's defaults)", writer, runner, rawClient,
                        throughputPuts, "tp-f1", 1, fenced);
            }
            if (only.contains("tp-f4")) {
                throughput("pipeline, 4 watches x 25 keys, etcd state fenced", writer, runner, rawClient, throughputPuts,
                        "tp-f4", 4, fenced);
            }
            if (only.contains("tp-o1")) {
                throughput("pipeline, 1 watch, etcd state unfenced", writer, runner, rawClient, throughputPuts, "tp-o1", 1,
                        open);
            }
            if (only.contains("tp-m1")) {
                throughput("pipeline, 1 watch, in-memory dedupe and checkpoints", writer, runner, rawClient,
                        throughputPuts, "tp-m1", 1, null);
            }
        }
    }

    private static void latency(String name, Client writer, Client runner, Client rawClient, int n, String watch,
            EtcdState state) throws Exception {
        String prefix = "/bench/" + watch;
        LinkedBlockingQueue<Long> started = new LinkedBlockingQueue<>();
        LinkedBlockingQueue<Long> rawSeen = new LinkedBlockingQueue<>();
        Action noop = (plan, ctx) -> {
            started.offer(System.nanoTime());
            return ActionResult.applied("");
        };
        long from = writer.getKVClient().get(bytes("/")).get().getHeader().getRevision() + 1;
        double[] pipe = new double[n];
        double[] raw = new double[n];
        try (Watch.Watcher w = rawClient.getWatchClient().watch(bytes(prefix + "/trigger"),
                WatchOption.builder().withRevision(from).build(), Watch.listener(r -> {
                    long t = System.nanoTime();
                    for (WatchEvent e : r.getEvents()) {
                        rawSeen.offer(t);
                    }
                }));
             Pipeline p = pipeline(runner, List.of(WatchSpec.builder(watch).prefix(prefix).key("/trigger").template("t")
                     .action("noop").build()), noop, state)) {
            p.start();
            for (int i = 0; i < WARMUP + n; i++) {
                started.clear();
                rawSeen.clear();
                long t0 = System.nanoTime();
                CompletableFuture<?> f = writer.getKVClient().put(bytes(prefix + "/trigger"),
                        bytes("{\"image\":\"app:" + i + "\"}"));
                Long tp = started.poll(10, TimeUnit.SECONDS);
                Long tr = rawSeen.poll(10, TimeUnit.SECONDS);
                if (tp == null || tr == null) {
                    throw new IllegalStateException("no event for put " + i + " (pipeline " + tp + ", raw " + tr + ")");
                }
                f.get(10, TimeUnit.SECONDS);
                if (!p.awaitIdle(Duration.ofSeconds(10))) {
                    throw new IllegalStateException("pipeline not idle after put " + i);
                }
                if (i >= WARMUP) {
                    pipe[i - WARMUP] = (tp - t0) / 1e6;
                    raw[i - WARMUP] = (tr - t0) / 1e6;
                }
                Thread.sleep(1);
            }
        }
        Arrays.sort(pipe);
        Arrays.sort(raw);
        System.out.printf(Locale.ROOT, "| %s | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %+.2f |%n", name, pct(pipe, 50),
                pct(pipe, 90), pct(pipe, 99), pipe[n - 1], pct(raw, 50), pct(raw, 99), pct(pipe, 50) - pct(raw, 50));
    }

    private static void throughput(String name, Client writer, Client runner, Client rawClient, int n, String watch,
            int watches, EtcdState state) throws Exception {
        String dir = "/bench/" + watch;
        AtomicLong count = new AtomicLong();
        AtomicLong last = new AtomicLong();
        AtomicLong rawCount = new AtomicLong();
        AtomicLong rawLast = new AtomicLong();
        Action noop = (plan, ctx) -> {
            if (count.incrementAndGet() >= n) {
                last.compareAndSet(0, System.nanoTime());
            }
            return ActionResult.applied("");
        };
        List<WatchSpec> specs = new ArrayList<>();
        for (int w = 0; w < watches; w++) {
            specs.add(WatchSpec.builder(watch + "-" + w).prefix(dir + "/" + w).template("t").action("noop").build());
        }
        long from = writer.getKVClient().get(bytes("/")).get().getHeader().getRevision() + 1;
        try (Watch.Watcher w = rawClient.getWatchClient().watch(bytes(dir + "/"), WatchOption.builder().withRevision(from)
                .isPrefix(true).build(), Watch.listener(r -> {
                    if (rawCount.addAndGet(r.getEvents().size()) >= n) {
                        rawLast.compareAndSet(0, System.nanoTime());
                    }
                }));
             Pipeline p = pipeline(runner, specs, noop, state)) {
            p.start();
            long t0 = System.nanoTime();
            putAll(writer, n, k -> dir + "/" + (k % watches) + "/k" + k);
            waitFor(() -> last.get() != 0 && rawLast.get() != 0, "pipeline ran " + count.get() + ", raw saw " + rawCount.get());
            if (!p.awaitIdle(Duration.ofMinutes(5)) ) {
                throw new IllegalStateException("pipeline did not finish");
            }
            double committed = (System.nanoTime() - t0) / 1e9;
            double rate = n / committed;
            double rawRate = n / ((rawLast.get() - t0) / 1e9);
            System.out.printf(Locale.ROOT, "| %s | %.0f | %.0f | %.0f %% | %.2f s |%n", name, rate, rawRate,
                    100 * rate / rawRate, committed);
        }
    }

    private static ByteSequence bytes(String s) {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
    }

    private static double pct(double[] sorted, double p) {
        int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }

    /** n puts, put i to key keyOf(i % KEYS), WINDOW in flight. */
    private static void putAll(Client writer, int n, IntFunction<String> keyOf) throws Exception {
        Semaphore window = new Semaphore(WINDOW);
        for (int i = 0; i < n; i++) {
            window.acquire();
            String key = keyOf.apply(i % KEYS);
            writer.getKVClient().put(bytes(key), bytes("{\"image\":\"app:" + i + "\"}"))
                    .whenComplete((r, t) -> window.release());
        }
        window.acquire(WINDOW);
        window.release(WINDOW);
    }

    private static void waitFor(java.util.function.BooleanSupplier done, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("timed out: " + what);
            }
            Thread.sleep(1);
        }
    }

    private static Pipeline pipeline(Client runner, List<WatchSpec> watches, Action action, EtcdState state)
            throws Exception {
        Path work = Files.createTempDirectory("cicd-bench-");
        Pipeline.Builder b = Pipeline.builder()
                .source(EtcdTriggerSource.builder(runner).build())
                .watches(watches)
                .renderer(RENDERER)
                .action("noop", action)
                .workDir(work);
        if (state != null) {
            b.state(state.store());
        }
        return b.build();
    }
}
