package dev.cicd.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cicd.testkit.EtcdBackend;
import dev.cicd.testkit.EtcdFixture;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.GetOption;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The runner process killed with SIGKILL in the middle of a burst of 200 distinct values, then
 * started again: every value is applied exactly once according to the status records.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class CrashRecoveryIT {

    static final int VALUES = 200;

    static ByteSequence bytes(String s) {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
    }

    @Test
    void sigkillMidBurstThenRestartAppliesAllTwoHundredValuesExactlyOnce() throws Exception {
        Path dir = ItSupport.workDir("crash-it-");
        Path applied = dir.resolve("applied.txt");
        Files.writeString(dir.resolve("burst.peb"), "echo {{ data.imageTag | sh }} >> " + applied + "\nsleep 0.01\n");
        try (EtcdFixture etcd = EtcdFixture.builder().backend(EtcdBackend.LOCAL).build()) {
            Path config = dir.resolve("cicd.yaml");
            Files.writeString(config, """
                    etcd:
                      endpoints: [%s]
                    runner:
                      group: crash
                      logDir: logs
                      workDir: work
                      electionTtl: 2s
                    watches:
                      - name: burst
                        prefix: /cicd/burst
                        keys: [/trigger]
                        template: burst.peb
                        action: shell
                        timeout: 30s
                    """.formatted(etcd.endpoints().get(0)));
            KV kv = etcd.client().getKVClient();
            List<Long> revisions = new ArrayList<>();

            try (JarProcess first = JarProcess.start(dir.resolve("first.log"), Map.of(), "run", "-c", config.toString())) {
                first.awaitLog("watching 1 watch(es)", Duration.ofSeconds(60));
                for (int i = 1; i <= VALUES; i++) {
                    revisions.add(kv.put(bytes("/cicd/burst/trigger"), bytes("{\"imageTag\":\"v" + i + "\"}"))
                            .get(10, TimeUnit.SECONDS).getHeader().getRevision());
                    if (i == 60) {
                        awaitStatusCount(kv, 20, Duration.ofSeconds(60));
                        first.kill();
                    }
                }
            }
            long recordedBeforeRestart = statusRecords(kv).size();
            assertTrue(recordedBeforeRestart < VALUES, "the kill came mid-burst: " + recordedBeforeRestart + " recorded");

            try (JarProcess second = JarProcess.start(dir.resolve("second.log"), Map.of(), "run", "-c", config.toString())) {
                second.awaitLog("watching 1 watch(es)", Duration.ofSeconds(60));
                awaitStatusCount(kv, VALUES, Duration.ofSeconds(120));
                int code = second.terminate(Duration.ofSeconds(60));
                assertTrue(code == 143 || code == 0, "graceful stop, exit " + code);
            }

            Map<Long, KeyValue> records = statusRecords(kv);
            assertEquals(VALUES, records.size(), "one status record per put");
            for (long rev : revisions) {
                KeyValue rec = records.get(rev);
                assertTrue(rec != null, "status record of revision " + rev);
                String json = rec.getValue().toString(StandardCharsets.UTF_8);
                assertTrue(json.contains("\"outcome\":\"applied\""), rev + ": " + json);
                assertEquals(1, finalWrites(kv, rec), "revision " + rev + " was recorded once, not twice: " + json);
            }
            List<String> lines = Files.readAllLines(applied);
            Map<String, Long> runs = lines.stream().collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
            assertEquals(VALUES, runs.size(), "every value ran: " + runs.size());
            long repeated = runs.values().stream().filter(n -> n > 1).count();
            // SIGKILL can only cut the one action in flight: it may have run without its outcome being
            // committed, and is then run again after the restart (at-least-once effects, exactly-once records).
            assertTrue(repeated <= 1, "at most the action in flight at the kill ran twice; repeated: " + repeated);
            System.out.printf("crash test: %d recorded before the kill, %d actions repeated after the restart%n",
                    recordedBeforeRestart, repeated);
        }
    }

    @Test
    void sigkillMidBurstOverTwentyTargetsLosesNothingAndRerunsOnlyWhatWasInFlight() throws Exception {
        int values = 400;
        int targets = 20;
        Path dir = ItSupport.workDir("crash-lanes-it-");
        Path started = dir.resolve("started.txt");
        Files.writeString(dir.resolve("lanes.peb"), "echo {{ data.app | sh }} {{ data.n }} >> " + started
                + "\nsleep 0.05\n");
        try (EtcdFixture etcd = EtcdFixture.builder().backend(EtcdBackend.LOCAL).build()) {
            Path config = dir.resolve("cicd.yaml");
            Files.writeString(config, """
                    etcd:
                      endpoints: [%s]
                    runner:
                      group: lanes
                      logDir: logs
                      workDir: work
                      electionTtl: 2s
                    watches:
                      - name: burst
                        prefix: /cicd/burst
                        keys: [/trigger]
                        template: lanes.peb
                        target: "{{ data.app }}"
                        action: shell
                        timeout: 30s
                    """.formatted(etcd.endpoints().get(0)));
            KV kv = etcd.client().getKVClient();
            Map<Long, String> valueAt = new HashMap<>();
            long inFlight;
            try (JarProcess first = JarProcess.start(dir.resolve("first.log"), Map.of(), "run", "-c", config.toString())) {
                first.awaitLog("watching 1 watch(es)", Duration.ofSeconds(60));
                for (int i = 1; i <= values; i++) {
                    String app = "app" + (i % targets);
                    long rev = kv.put(bytes("/cicd/burst/trigger"), bytes("{\"app\":\"" + app + "\",\"n\":" + i + "}"))
                            .get(10, TimeUnit.SECONDS).getHeader().getRevision();
                    valueAt.put(rev, app + " " + i);
                    if (i == values / 2) { // the burst goes on while the runner is dead
                        awaitStatusCount(kv, 60, Duration.ofSeconds(60));
                        first.kill();
                    }
                }
            }
            Map<Long, KeyValue> recordedAtKill = statusRecords(kv);
            Thread.sleep(500); // scripts the dead JVM left running finish their line
            List<String> startedBeforeRestart = Files.readAllLines(started);
            inFlight = startedBeforeRestart.stream().distinct().filter(line -> valueAt.entrySet().stream()
                    .noneMatch(e -> e.getValue().equals(line) && recordedAtKill.containsKey(e.getKey()))).count();
            assertTrue(recordedAtKill.size() < values, "the kill came mid-burst: " + recordedAtKill.size());

            try (JarProcess second = JarProcess.start(dir.resolve("second.log"), Map.of(), "run", "-c", config.toString())) {
                second.awaitLog("watching 1 watch(es)", Duration.ofSeconds(60));
                awaitStatusCount(kv, values, Duration.ofSeconds(120));
                second.terminate(Duration.ofSeconds(60));
            }
            Map<Long, KeyValue> records = statusRecords(kv);
            assertEquals(values, records.size(), "one status record per put: nothing lost");
            for (Map.Entry<Long, KeyValue> e : records.entrySet()) {
                assertEquals(1, finalWrites(kv, e.getValue()), "revision " + e.getKey() + " was recorded once");
                assertTrue(e.getValue().getValue().toString(StandardCharsets.UTF_8).contains("\"outcome\":\"applied\""));
            }
            List<String> lines = Files.readAllLines(started);
            Map<String, Long> runs = lines.stream().collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
            assertEquals(values, runs.size(), "every value ran");
            long repeated = runs.values().stream().filter(n -> n > 1).count();
            assertTrue(repeated <= inFlight, repeated + " values ran twice, " + inFlight + " were in flight at the kill");
            // in flight = running (at most runner.parallelism) or run and awaiting its commit: one per target at most
            assertTrue(inFlight <= targets, "at most one event per target in flight: " + inFlight);
            Map<String, List<Integer>> perTarget = new HashMap<>();
            for (String line : lines) {
                String[] f = line.split(" ");
                List<Integer> seq = perTarget.computeIfAbsent(f[0], k -> new ArrayList<>());
                int n = Integer.parseInt(f[1]);
                if (seq.isEmpty() || seq.get(seq.size() - 1) != n) {
                    seq.add(n);
                }
            }
            for (Map.Entry<String, List<Integer>> e : perTarget.entrySet()) {
                List<Integer> sorted = new ArrayList<>(e.getValue());
                sorted.sort(null);
                assertEquals(sorted, e.getValue(), "target " + e.getKey() + " ran its values in order");
            }
            System.out.printf("crash test, %d targets: %d recorded before the kill, %d in flight, %d values ran twice%n",
                    targets, recordedAtKill.size(), inFlight, repeated);
        }
    }

    /** The final status records by revision (not the in-progress records of events still running). */
    static Map<Long, KeyValue> statusRecords(KV kv) throws Exception {
        var resp = kv.get(bytes("/cicd/.status/burst/"), GetOption.builder().isPrefix(true).build()).get(10, TimeUnit.SECONDS);
        Map<Long, KeyValue> out = new HashMap<>();
        for (KeyValue k : resp.getKvs()) {
            String key = k.getKey().toString(StandardCharsets.UTF_8);
            String last = key.substring(key.lastIndexOf('/') + 1);
            if (last.matches("\\d+") && !inProgress(k)) {
                out.put(Long.parseLong(last), k);
            }
        }
        return out;
    }

    private static boolean inProgress(KeyValue k) {
        return k.getValue().toString(StandardCharsets.UTF_8).contains("\"outcome\":\"in-progress\"");
    }

    /**
     * How many final records were ever written to this status key: the versions before the current one,
     * read back through etcd's history, may only be in-progress records (written while the action ran).
     */
    static int finalWrites(KV kv, KeyValue current) throws Exception {
        int finals = inProgress(current) ? 0 : 1;
        KeyValue k = current;
        while (k.getVersion() > 1) {
            var older = kv.get(k.getKey(), GetOption.builder().withRevision(k.getModRevision() - 1).build())
                    .get(10, TimeUnit.SECONDS).getKvs();
            if (older.isEmpty()) {
                break;
            }
            k = older.get(0);
            finals += inProgress(k) ? 0 : 1;
        }
        return finals;
    }

    static void awaitStatusCount(KV kv, int n, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (statusRecords(kv).size() < n) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("only " + statusRecords(kv).size() + " status records after " + timeout);
            }
            Thread.sleep(50);
        }
    }
}
