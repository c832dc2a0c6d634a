package dev.cicd.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.cicd.testkit.EtcdBackend;
import dev.cicd.testkit.EtcdFixture;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.GetOption;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * A group of runner JVMs ({@link JarProcess}, the packaged jar) on one real etcd, sharing one shell watch
 * {@value #WATCH} over the keys {@code /cicd/shard-it/t<i>} (one key per target). Each event's script appends
 * {@code "<revision> <runner id> <sequence number>"} to {@code runs/t<i>.txt} as it starts (the runner's id comes
 * from {@code SHARD_IT_RUNNER}, passed to the script with {@code passEnv}); a value with {@code "slow":1} then
 * sleeps 3 s, the first time only (a later run of it, a re-run, is fast), and appends
 * {@code "<revision> <runner id>"} to {@code runs/slow-done.txt}.
 *
 * <p>With {@code shards > 0} the group is sharded ({@code runner.shards}); with 0 it runs in the single-leader
 * mode. Runners are known by id; one killed or stopped is "down" from that moment ({@link #downFor}).
 */
final class ShardGroup implements AutoCloseable {

    /** The watch's name: {@link CrashRecoveryIT#statusRecords} reads its records. */
    static final String WATCH = "burst";
    static final String PREFIX = "/cicd/shard-it";
    static final String SHARDS_ROOT = "/cicd/.shards";

    final EtcdFixture etcd;
    final KV kv;
    final Path dir;
    private final Path runsDir;
    final Path config;
    final String group;
    final int shards;
    final Duration ttl;
    final int parallelism;
    private final Map<String, Member> members = new LinkedHashMap<>();

    /** One runner JVM: its id, process, HTTP port, and since when it is down (killed or stopped; 0 = up). */
    static final class Member {
        final String id;
        final JarProcess process;
        final int httpPort;
        volatile long downSinceNanos;

        Member(String id, JarProcess process, int httpPort) {
            this.id = id;
            this.process = process;
            this.httpPort = httpPort;
        }

        boolean up() {
            return downSinceNanos == 0 && process.process().isAlive();
        }
    }

    /** The group's shard keys read at one revision: member ids, and each owned shard's owner. */
    record Snapshot(long revision, Set<String> members, Map<Integer, String> owners, long atNanos) {
    }

    ShardGroup(String group, int shards, Duration ttl, int parallelism) throws IOException {
        this.group = group;
        this.shards = shards;
        this.ttl = ttl;
        this.parallelism = parallelism;
        this.dir = ItSupport.workDir("shards-it-");
        this.runsDir = Files.createDirectories(dir.resolve("runs"));
        this.etcd = EtcdFixture.builder().backend(EtcdBackend.LOCAL).build();
        this.kv = etcd.client().getKVClient();
        Files.writeString(dir.resolve("burst.peb"), """
                echo "$CICD_REVISION $SHARD_IT_RUNNER {{ data.n }}" >> %1$s/t{{ data.t }}.txt
                {%% if data.slow == 1 %%}if mkdir %1$s/slow.lock 2>/dev/null; then sleep 3; fi
                echo "$CICD_REVISION $SHARD_IT_RUNNER" >> %1$s/slow-done.txt
                {%% endif %%}""".formatted(runsDir));
        this.config = dir.resolve("cicd.yaml");
        Files.writeString(config, """
                etcd:
                  endpoints: [%s]
                runner:
                  group: %s
                  electionTtl: %ds
                  parallelism: %d
                  statusRetention:
                    maxPerWatch: 100000
                %swatches:
                  - name: %s
                    prefix: %s
                    template: burst.peb
                    action:
                      shell:
                        passEnv: [SHARD_IT_RUNNER]
                    timeout: 30s
                """.formatted(etcd.endpoints().get(0), group, ttl.toSeconds(), parallelism,
                shards > 0 ? "  shards: " + shards + "\n" : "", WATCH, PREFIX));
    }

    static String key(int target) {
        return PREFIX + "/t" + target;
    }

    static ByteSequence bytes(String s) {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
    }

    /** Starts runner {@code id} (its own log, work and run-log directories, and HTTP port). */
    Member start(String id) throws IOException {
        int port = ItSupport.freePort();
        Map<String, String> env = Map.of("CICD_RUNNER_ID", id, "SHARD_IT_RUNNER", id,
                "CICD_RUNNER_LOG_DIR", dir.resolve(id + "-logs").toString(),
                "CICD_RUNNER_WORK_DIR", dir.resolve(id + "-work").toString(),
                "CICD_RUNNER_HTTP_PORT", Integer.toString(port),
                // four JVMs share 2 cores with etcd and the scripts: the serial collector and C1 only
                "JAVA_TOOL_OPTIONS", "-XX:+UseSerialGC -XX:TieredStopAtLevel=1");
        Member m = new Member(id, JarProcess.start(dir.resolve(id + ".log"), env, "run", "-c", config.toString()), port);
        synchronized (members) {
            members.put(id, m);
        }
        return m;
    }

    Member member(String id) {
        synchronized (members) {
            return Optional.ofNullable(members.get(id)).orElseThrow(() -> new AssertionError("no runner " + id));
        }
    }

    List<Member> members() {
        synchronized (members) {
            return List.copyOf(members.values());
        }
    }

    Set<String> ids() {
        return members().stream().map(m -> m.id).collect(Collectors.toCollection(TreeSet::new));
    }

    Set<String> upIds() {
        return members().stream().filter(Member::up).map(m -> m.id).collect(Collectors.toCollection(TreeSet::new));
    }

    /** How long runner {@code id} has been down (killed, stopped or exited); empty while it is up or unknown. */
    Optional<Duration> downFor(String id, long nowNanos) {
        Member m;
        synchronized (members) {
            m = members.get(id);
        }
        if (m == null || m.up()) {
            return Optional.empty();
        }
        long since = m.downSinceNanos;
        if (since == 0) { // it exited by itself: first seen now
            m.downSinceNanos = since = nowNanos;
        }
        return Optional.of(Duration.ofNanos(nowNanos - since));
    }

    /** SIGKILL through {@code kill -9 <pid>}; returns the moment it was sent (nanoTime). */
    long sigkill(String id) throws Exception {
        Member m = member(id);
        long t = System.nanoTime();
        m.downSinceNanos = t;
        signal("-9", m);
        Process p = m.process.process();
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
            throw new AssertionError(id + " did not die of kill -9");
        }
        assertEquals(128 + 9, p.exitValue(), id + " died of SIGKILL (exit 137)");
        return t;
    }

    /** SIGSTOP: the JVM freezes (its action's child processes go on). */
    long sigstop(String id) throws Exception {
        Member m = member(id);
        long t = System.nanoTime();
        m.downSinceNanos = t;
        signal("-STOP", m);
        return t;
    }

    void sigcont(String id) throws Exception {
        Member m = member(id);
        signal("-CONT", m);
        m.downSinceNanos = 0;
    }

    /** SIGTERM and the graceful stop; the runner counts as down once it has exited. */
    int terminate(String id) throws InterruptedException {
        Member m = member(id);
        int code = m.process.terminate(Duration.ofSeconds(60));
        m.downSinceNanos = System.nanoTime();
        return code;
    }

    private static void signal(String sig, Member m) throws Exception {
        Process kill = new ProcessBuilder("kill", sig, Long.toString(m.process.pid())).redirectErrorStream(true).start();
        if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new AssertionError("kill " + sig + " " + m.process.pid() + " failed: "
                    + new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    /** The group's members and owners, read in one range request (one revision). */
    Snapshot snapshot() throws Exception {
        String base = SHARDS_ROOT + "/" + group + "/";
        var r = kv.get(bytes(base), GetOption.builder().isPrefix(true).build()).get(10, TimeUnit.SECONDS);
        long at = System.nanoTime();
        Set<String> ids = new TreeSet<>();
        Map<Integer, String> owners = new TreeMap<>();
        for (KeyValue k : r.getKvs()) {
            String key = k.getKey().toString(StandardCharsets.UTF_8);
            if (key.startsWith(base + "members/")) {
                ids.add(key.substring((base + "members/").length()));
            } else if (key.startsWith(base + "owners/")) {
                owners.put(Integer.parseInt(key.substring((base + "owners/").length())), k.getValue().toString(StandardCharsets.UTF_8));
            }
        }
        return new Snapshot(r.getHeader().getRevision(), ids, owners, at);
    }

    /** Whether every shard is owned by a runner that is up, and every up runner is a member. */
    boolean settled(Snapshot s) {
        Set<String> up = upIds();
        return s.owners().size() == shards && up.containsAll(s.owners().values()) && s.members().equals(up);
    }

    /**
     * Waits until every runner started is serving: sharded, until every shard is owned by a runner that is up and
     * every up runner is a member; single-leader, until one runner logged that it watches as leader.
     */
    void awaitReady(Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            for (Member m : members()) {
                if (m.downSinceNanos == 0 && !m.process.process().isAlive()) {
                    throw new AssertionError(m.id + " exited with " + m.process.process().exitValue() + ":\n" + m.process.log());
                }
            }
            if (shards > 0 ? settled(snapshot()) : members().stream().anyMatch(this::watchingAsLeader)) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the group was not ready within " + timeout + ": " + snapshot() + "\n" + logs());
            }
            Thread.sleep(50);
        }
    }

    /**
     * Waits until the group is ready ({@link #awaitReady}) and its shards are balanced: each up runner owns
     * ⌊S/N⌋ or ⌈S/N⌉ of them, and the owners stay the same for half a second.
     */
    Snapshot awaitBalanced(Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        awaitReady(timeout);
        Snapshot previous = null;
        while (true) {
            Snapshot s = snapshot();
            Set<String> up = upIds();
            Map<String, Integer> counts = new TreeMap<>();
            up.forEach(id -> counts.put(id, 0));
            s.owners().values().forEach(id -> counts.merge(id, 1, Integer::sum));
            int min = counts.values().stream().mapToInt(Integer::intValue).min().orElse(0);
            int max = counts.values().stream().mapToInt(Integer::intValue).max().orElse(0);
            boolean balanced = settled(s) && max - min <= 1;
            if (balanced && previous != null && previous.owners().equals(s.owners())) {
                return s;
            }
            previous = balanced ? s : null;
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the shards were not balanced over " + up + " within " + timeout + ": " + counts
                        + "\n" + logs());
            }
            Thread.sleep(balanced ? 500 : 50);
        }
    }

    private boolean watchingAsLeader(Member m) {
        try {
            return m.process.log().contains("watching 1 watch(es)");
        } catch (IOException e) {
            return false;
        }
    }

    /** Every runner's process log, each headed by its id (for failure messages). */
    String logs() throws IOException {
        StringBuilder b = new StringBuilder();
        for (Member m : members()) {
            b.append("--- ").append(m.id).append(" (pid ").append(m.process.pid()).append(")\n");
            String log = m.process.log();
            b.append(log.length() > 6000 ? "...\n" + log.substring(log.length() - 6000) : log);
        }
        return b.toString();
    }

    /** The JSON value of sequence number {@code n} on target {@code t}. */
    static String value(int n, int t, boolean slow) {
        return "{\"n\":" + n + ",\"t\":" + t + ",\"slow\":" + (slow ? 1 : 0) + "}";
    }

    /**
     * Puts {@code count} values with sequence numbers {@code from..from+count-1} over {@code targets} targets (value
     * n goes to target n % targets), at most 64 puts in flight; returns revision -> sequence number.
     */
    Map<Long, Integer> burst(int from, int count, int targets) throws Exception {
        Semaphore inFlight = new Semaphore(64);
        Map<Long, Integer> out = new TreeMap<>();
        List<CompletableFuture<Void>> all = new ArrayList<>();
        for (int n = from; n < from + count; n++) {
            int seq = n;
            inFlight.acquire();
            all.add(kv.put(bytes(key(seq % targets)), bytes(value(seq, seq % targets, false)))
                    .whenComplete((r, e) -> inFlight.release())
                    .thenAccept(r -> {
                        synchronized (out) {
                            out.put(r.getHeader().getRevision(), seq);
                        }
                    }));
        }
        CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        return out;
    }

    long put(int target, String value) throws Exception {
        return kv.put(bytes(key(target)), bytes(value)).get(10, TimeUnit.SECONDS).getHeader().getRevision();
    }

    /** Waits until the watch has a final status record for every revision of {@code revisions}. */
    Map<Long, KeyValue> awaitRecorded(Collection<Long> revisions, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Map<Long, KeyValue> records = CrashRecoveryIT.statusRecords(kv);
            List<Long> missing = revisions.stream().filter(r -> !records.containsKey(r)).sorted().toList();
            if (missing.isEmpty()) {
                return records;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError(missing.size() + " of " + revisions.size() + " revisions have no status record after "
                        + timeout + " (lost?), e.g. " + missing.subList(0, Math.min(10, missing.size())) + "; etcd: "
                        + snapshot() + "\n" + logs());
            }
            Thread.sleep(200);
        }
    }

    /** What the scripts wrote so far. */
    ScriptRuns runs() {
        return new ScriptRuns(runsDir);
    }

    /** The value of metric {@code name} on runner {@code id}'s /metrics (summed over labels), if exposed. */
    Optional<Double> metric(String id, String name) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + member(id).httpPort + "/metrics")).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
        List<Double> values = r.body().lines().filter(l -> l.startsWith(name + " ") || l.startsWith(name + "{"))
                .map(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).toList();
        return values.isEmpty() ? Optional.empty() : Optional.of(values.stream().mapToDouble(Double::doubleValue).sum());
    }

    /** Lets stopped runners go on, stops every runner (SIGTERM, then SIGKILL), then etcd. */
    @Override
    public void close() throws Exception {
        try {
            for (Member m : members()) {
                if (m.process.process().isAlive()) {
                    try {
                        signal("-CONT", m);
                    } catch (Exception | AssertionError ignored) {
                        // it may have exited meanwhile
                    }
                }
            }
            for (Member m : members()) {
                m.process.process().destroy();
            }
            for (Member m : members()) {
                m.process.close();
            }
        } finally {
            etcd.close();
        }
    }
}
