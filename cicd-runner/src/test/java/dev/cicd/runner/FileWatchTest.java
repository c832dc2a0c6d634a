package dev.cicd.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cicd.testkit.EtcdBackend;
import dev.cicd.testkit.EtcdFixture;
import io.etcd.jetcd.ByteSequence;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A watch with {@code action: {file: ...}}: confd's template resource, through {@code once} against a real etcd. */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class FileWatchTest {

    static EtcdFixture etcd;

    @TempDir
    Path dir;

    @BeforeAll
    static void startEtcd() {
        etcd = EtcdFixture.builder().backend(EtcdBackend.LOCAL).build();
    }

    @AfterAll
    static void stopEtcd() {
        etcd.close();
    }

    private Path config(String group) throws Exception {
        Files.writeString(dir.resolve("upstream.peb"), """
                upstream app {
                  server {{ getv("/app/host") }}:{{ getv("/app/port") }};
                }
                """);
        Path f = dir.resolve("cicd.yaml");
        Files.writeString(f, """
                etcd:
                  endpoints: [%s]
                runner:
                  group: %s
                  logDir: logs
                watches:
                  - name: upstream
                    prefix: /%s
                    keys: [/app/host, /app/port]
                    template: upstream.peb
                    action:
                      file:
                        dest: %s
                        mode: "0640"
                        checkCmd: grep -q server {{.src}}
                        reloadCmd: echo reloaded >> %s; test ! -e %s
                """.formatted(etcd.endpoints().get(0), group, group, dir.resolve("upstream.conf"),
                dir.resolve("reloads"), dir.resolve("reload-fails")));
        return f;
    }

    private void put(String key, String value) throws Exception {
        etcd.client().getKVClient().put(ByteSequence.from(key, StandardCharsets.UTF_8),
                ByteSequence.from(value, StandardCharsets.UTF_8)).get(10, TimeUnit.SECONDS);
    }

    private CliTestSupport.Run once(Path cfg) {
        return CliTestSupport.run("once", "-c", cfg.toString());
    }

    @Test
    void theRenderedFileIsWrittenReloadedOnlyOnChangeAndRestoredWhenTheReloadFails() throws Exception {
        Path cfg = config("files");
        put("/files/app/host", "10.0.0.1");
        put("/files/app/port", "8080");
        CliTestSupport.Run first = once(cfg);
        assertEquals(0, first.exitCode(), first.toString());
        String v1 = "upstream app {\n  server 10.0.0.1:8080;\n}\n";
        assertEquals(v1, Files.readString(dir.resolve("upstream.conf")));
        assertEquals("rw-r-----", java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(dir.resolve("upstream.conf"))));
        assertEquals(List.of("reloaded"), Files.readAllLines(dir.resolve("reloads")));

        put("/files/app/port", "8080"); // same value: the file already says so
        CliTestSupport.Run same = once(cfg);
        assertEquals(0, same.exitCode(), same.toString());
        assertTrue(Pattern.compile("upstream\\s+1\\s+0\\s+1\\s+0\\s+0").matcher(same.out()).find(), same.out());
        assertEquals(List.of("reloaded"), Files.readAllLines(dir.resolve("reloads")), "no reload when in sync");

        Files.writeString(dir.resolve("reload-fails"), "");
        put("/files/app/port", "9090");
        CliTestSupport.Run failing = once(cfg);
        assertEquals(1, failing.exitCode(), failing.toString());
        assertEquals(v1, Files.readString(dir.resolve("upstream.conf")), "the previous file is back");

        Files.delete(dir.resolve("reload-fails"));
        put("/files/app/port", "9090"); // the same value again: tried again, since the file was restored
        CliTestSupport.Run retried = once(cfg);
        assertEquals(0, retried.exitCode(), retried.toString());
        assertEquals("upstream app {\n  server 10.0.0.1:9090;\n}\n", Files.readString(dir.resolve("upstream.conf")));
    }
}
