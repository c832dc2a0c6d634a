package dev.cicd.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.cicd.testkit.EtcdBackend;
import dev.cicd.testkit.EtcdFixture;
import io.etcd.jetcd.ByteSequence;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * One {@code cicd run} replaces {@code confd -watch}: the imported fixture's resources are each a watch
 * rendering its own file; every change re-renders them, and after a burst of puts the files hold the last
 * value.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class ConfdWatchIT {

    private static void put(EtcdFixture etcd, String key, String value) throws Exception {
        etcd.client().getKVClient().put(ByteSequence.from(key, StandardCharsets.UTF_8),
                ByteSequence.from(value, StandardCharsets.UTF_8)).get(10, TimeUnit.SECONDS);
    }

    /** Waits until {@code file} holds {@code text}; fails with what it holds and the runner's log otherwise. */
    private static void awaitFile(Path file, String text, JarProcess runner) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        String last = null;
        while (System.nanoTime() < deadline) {
            last = Files.exists(file) ? Files.readString(file) : null;
            if (text.equals(last)) {
                return;
            }
            Thread.sleep(100);
        }
        assertEquals(text, last, file + "\n--- runner\n" + runner.log());
    }

    @Test
    void oneRunnerKeepsEveryResourcesFileInStepWithEtcdThroughABurst() throws Exception {
        Path dir = ItSupport.workDir("confd-watch-it-");
        try (EtcdFixture etcd = EtcdFixture.builder().backend(EtcdBackend.LOCAL).build()) {
            for (Map.Entry<String, String> e : ConfdFixtureTest.KEYS.entrySet()) {
                put(etcd, e.getKey(), e.getValue());
            }
            Path confd = ConfdFixtureTest.fixture(dir);
            JarProcess.Finished imp = JarProcess.run(Duration.ofSeconds(60), Map.of(), "import-confd", confd.toString(),
                    "-o", dir.resolve("cicd").toString(), "--endpoints", etcd.endpoints().get(0).toString());
            assertEquals(0, imp.exitCode(), imp.toString());
            Path config = dir.resolve("cicd/cicd.yaml");
            Path out = dir.resolve("out");
            Path expected = confd.resolve("expected");
            List<String> files = List.of("basic.conf", "exists.conf", "manykeys.conf", "prefix.conf");
            try (JarProcess runner = JarProcess.start(dir.resolve("runner.log"), Map.of(), "run", "-c", config.toString())) {
                runner.awaitLog("watching 6 watch(es)", Duration.ofSeconds(60));
                for (String f : files) {
                    awaitFile(out.resolve(f), Files.readString(expected.resolve(f)), runner);
                }
                put(etcd, "/key", "changed");
                awaitFile(out.resolve("exists.conf"), "key is set: changed\nnonexistent is missing\nonly key\n", runner);
                awaitFile(out.resolve("basic.conf"), Files.readString(expected.resolve("basic.conf"))
                        .replace("key: foobar", "key: changed"), runner);
                for (int i = 1; i <= 30; i++) {
                    put(etcd, "/database/port", String.valueOf(4000 + i));
                }
                awaitFile(out.resolve("basic.conf"), Files.readString(expected.resolve("basic.conf"))
                        .replace("key: foobar", "key: changed").replace("port=3306", "port=4030"), runner);
                awaitFile(out.resolve("manykeys.conf"), Files.readString(expected.resolve("manykeys.conf"))
                        .replace("key=foobar", "key=changed").replace(":3306", ":4030"), runner);
                awaitFile(out.resolve("prefix.conf"), Files.readString(expected.resolve("prefix.conf")), runner);
            }
        }
    }
}
