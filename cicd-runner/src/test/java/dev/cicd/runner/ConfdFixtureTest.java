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
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * confd's own kind of integration test, on cicd: a confd directory (test resources {@code confd-fixture/})
 * is imported with {@code import-confd}, its keys are put into a real etcd, {@code cicd once} renders every
 * resource to its dest, and each file is compared byte for byte with the one confd writes.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ConfdFixtureTest {

    static final Map<String, String> KEYS = Map.ofEntries(
            Map.entry("/key", "foobar"),
            Map.entry("/database/host", "127.0.0.1"),
            Map.entry("/database/password", "p@sSw0rd"),
            Map.entry("/database/port", "3306"),
            Map.entry("/database/username", "confd"),
            Map.entry("/upstream/app1", "10.0.1.10:8080"),
            Map.entry("/upstream/app2", "10.0.1.11:8080"),
            Map.entry("/prefix/database/host", "10.0.0.5"),
            Map.entry("/prefix/database/port", "5432"),
            Map.entry("/nested/east/app1", "10.0.1.10:8080"),
            Map.entry("/nested/west/app2", "10.0.1.11:8080"));

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

    static void put(String key, String value) throws Exception {
        etcd.client().getKVClient().put(ByteSequence.from(key, StandardCharsets.UTF_8),
                ByteSequence.from(value, StandardCharsets.UTF_8)).get(10, TimeUnit.SECONDS);
    }

    /** The fixture copied into {@code dir/confd}, every dest moved from /tmp/cicd-confd-fixture into {@code dir/out}. */
    static Path fixture(Path dir) throws Exception {
        Path from = Path.of(ConfdFixtureTest.class.getResource("/confd-fixture/confd.toml").toURI()).getParent();
        Path to = dir.resolve("confd");
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.writeString(target, Files.readString(p).replace("/tmp/cicd-confd-fixture", dir.resolve("out").toString()));
                }
            }
        }
        Files.createDirectories(dir.resolve("out"));
        return to;
    }

    private Path importFixture(String group) throws Exception {
        for (Map.Entry<String, String> e : KEYS.entrySet()) {
            put(e.getKey(), e.getValue());
        }
        return importConfd(fixture(dir), group);
    }

    /** {@code import-confd} of {@code confd} into {@code dir/cicd}, the runner group set to {@code group}. */
    private Path importConfd(Path confd, String group) throws Exception {
        CliTestSupport.Run imported = CliTestSupport.run("import-confd", confd.toString(), "-o", dir.resolve("cicd").toString(),
                "--endpoints", etcd.endpoints().get(0).toString());
        assertEquals(0, imported.exitCode(), imported.toString());
        assertTrue(imported.out().contains("the config loads and validates"), imported.out());
        Path cfg = dir.resolve("cicd/cicd.yaml");
        Files.writeString(cfg, Files.readString(cfg).replace("  logDir: logs\n", "  logDir: logs\n  group: " + group + "\n"));
        return cfg;
    }

    private String expected(String name) throws Exception {
        return Files.readString(dir.resolve("confd/expected").resolve(name));
    }

    private String produced(String name) throws Exception {
        Path f = dir.resolve("out").resolve(name);
        return Files.exists(f) ? Files.readString(f) : "(no file " + f + ")";
    }

    @Test
    void basicExistsManykeysAndPrefixResourcesRenderWhatConfdWritesAndFollowChanges() throws Exception {
        Path cfg = importFixture("fixture-basic");
        CliTestSupport.Run once = CliTestSupport.run("once", "-c", cfg.toString());
        for (String f : List.of("basic.conf", "exists.conf", "manykeys.conf", "prefix.conf")) {
            assertEquals(expected(f), produced(f), f + "\n" + once);
        }
        assertEquals("rw-r-----", java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(dir.resolve("out/prefix.conf"))), "prefix.toml's mode = \"0640\"");

        put("/database/port", "3307");
        put("/nonexistent", "here");
        put("/database/port", "3308"); // a burst: the files end with the last value
        CliTestSupport.Run again = CliTestSupport.run("once", "-c", cfg.toString());
        assertEquals(expected("basic.conf").replace("port=3306", "port=3308"), produced("basic.conf"), again.toString());
        assertEquals(expected("manykeys.conf").replace(":3306", ":3308"), produced("manykeys.conf"), again.toString());
        assertEquals("key is set: foobar\nnonexistent is set\n\n", produced("exists.conf"), again.toString());
        assertEquals(expected("prefix.conf"), produced("prefix.conf"), "the /prefix resource does not read /database");
    }

    /** These need the translation of range, .Key/.Value and printf (the template-language work). */
    @Test
    void iterationAndNestedResourcesRenderWhatConfdWrites() throws Exception {
        Path cfg = importFixture("fixture-range");
        CliTestSupport.Run once = CliTestSupport.run("once", "-c", cfg.toString());
        assertEquals(expected("iteration.conf"), produced("iteration.conf"), once.toString());
        assertEquals(expected("nested.conf"), produced("nested.conf"), once.toString());

        put("/upstream/app3", "10.0.1.12:8080");
        CliTestSupport.Run again = CliTestSupport.run("once", "-c", cfg.toString());
        assertEquals(expected("iteration.conf").replace("    server 10.0.1.11:8080;\n",
                "    server 10.0.1.11:8080;\n    server 10.0.1.12:8080;\n").replace("# app2\n", "# app2\n    server 10.0.1.12:8080; # app3\n"),
                produced("iteration.conf"), again.toString());
    }

    @Test
    void aFailedCheckKeepsTheOldFileAFailedReloadRestoresItAndTheSameValueIsTriedAgain() throws Exception {
        Path confd = dir.resolve("checked");
        Files.createDirectories(confd.resolve("conf.d"));
        Files.createDirectories(confd.resolve("templates"));
        Path conf = dir.resolve("out/app.conf");
        Path reloadFails = dir.resolve("reload-fails");
        Files.createDirectories(conf.getParent());
        Files.writeString(confd.resolve("templates/app.conf.tmpl"), "port={{getv \"/checked/port\"}}\n");
        Files.writeString(confd.resolve("conf.d/app.toml"), """
                [template]
                src = "app.conf.tmpl"
                dest = "%s"
                keys = ["/checked/port"]
                check_cmd = "grep -qx 'port=[0-9]*' {{.src}}"
                reload_cmd = "echo reloaded >> %s; test ! -e %s"
                """.formatted(conf, dir.resolve("reloads"), reloadFails));
        put("/checked/port", "80");
        Path cfg = importConfd(confd, "fixture-checked");
        CliTestSupport.Run first = CliTestSupport.run("once", "-c", cfg.toString());
        assertEquals(0, first.exitCode(), first.toString());
        assertEquals("port=80\n", Files.readString(conf));

        put("/checked/port", "eighty"); // check_cmd refuses it: confd keeps the old file
        CliTestSupport.Run checked = CliTestSupport.run("once", "-c", cfg.toString());
        assertEquals(1, checked.exitCode(), checked.toString());
        assertEquals("port=80\n", Files.readString(conf));
        assertEquals(List.of("reloaded"), Files.readAllLines(dir.resolve("reloads")), "no reload after a failed check");

        Files.writeString(reloadFails, "");
        put("/checked/port", "81"); // reload_cmd fails: the previous file is put back, the outcome is failed
        CliTestSupport.Run reload = CliTestSupport.run("once", "-c", cfg.toString());
        assertEquals(1, reload.exitCode(), reload.toString());
        assertTrue(java.util.regex.Pattern.compile("app\\s+1\\s+0\\s+0\\s+0\\s+1\\s").matcher(reload.out()).find(), reload.out());
        assertEquals("port=80\n", Files.readString(conf));

        Files.delete(reloadFails);
        put("/checked/port", "81"); // the same value again: tried again, since the file was restored
        CliTestSupport.Run retried = CliTestSupport.run("once", "-c", cfg.toString());
        assertEquals(0, retried.exitCode(), retried.toString());
        assertEquals("port=81\n", Files.readString(conf));
    }
}
