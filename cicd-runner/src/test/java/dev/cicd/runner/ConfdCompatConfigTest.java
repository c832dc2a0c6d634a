package dev.cicd.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The config keys confd's resources need: the root prefix, subtree keys, shared keys of file watches, templates.allowEnv. */
class ConfdCompatConfigTest {

    @TempDir
    Path dir;

    private RunnerConfig load(String yaml, Map<String, String> env) throws Exception {
        Files.writeString(dir.resolve("t.peb"), "x\n");
        Path f = Files.writeString(dir.resolve("cicd.yaml"), yaml);
        return RunnerConfig.load(f, env);
    }

    private static String watch(String name, String prefix, String keys, String action) {
        return "  - name: " + name + "\n    prefix: " + prefix + "\n    keys: " + keys + "\n    template: t.peb\n    action: "
                + action + "\n";
    }

    private static String file(String dest) {
        return "{file: {dest: " + dest + "}}";
    }

    @Test
    void theRootPrefixNeedsKeysAndGivesFullKeysWithoutADoubleSlash() throws Exception {
        RunnerConfig c = load("watches:\n" + watch("a", "/", "[/db/host, /upstream/]", file("/tmp/a.conf")), Map.of());
        assertEquals(List.of("/db/host", "/upstream/"), c.watch("a").orElseThrow().fullKeys());
        ConfigException e = assertThrows(ConfigException.class,
                () -> load("watches:\n" + watch("a", "/", "[]", file("/tmp/a.conf")), Map.of()));
        assertTrue(e.getMessage().contains("keys") && e.getMessage().contains("prefix '/'"), e.getMessage());
    }

    @Test
    void fileWatchesMayShareKeysOtherWatchesMayNot() throws Exception {
        RunnerConfig c = load("watches:\n" + watch("a", "/", "[/key]", file("/tmp/a.conf"))
                + watch("b", "/", "[/key]", file("/tmp/b.conf")), Map.of());
        assertEquals(2, c.watches().size());
        ConfigException e = assertThrows(ConfigException.class, () -> load("watches:\n"
                + watch("a", "/", "[/key]", file("/tmp/a.conf")) + watch("b", "/", "[/key]", "shell"), Map.of()));
        assertTrue(e.getMessage().contains("both watch /key"), e.getMessage());
    }

    @Test
    void templatesAllowEnvListsVariableNamesAndNeverTheRunnersOwn() throws Exception {
        String w = "watches:\n" + watch("a", "/app", "[/k]", file("/tmp/a.conf"));
        assertEquals(List.of("HOSTNAME"), load("templates:\n  allowEnv: [HOSTNAME]\n" + w, Map.of()).templates().allowEnv());
        assertEquals(List.of("HOSTNAME", "REGION"),
                load(w, Map.of("CICD_TEMPLATES_ALLOW_ENV", "HOSTNAME,REGION")).templates().allowEnv());
        ConfigException e = assertThrows(ConfigException.class,
                () -> load("templates:\n  allowEnv: [CICD_ETCD_PASSWORD]\n" + w, Map.of()));
        assertTrue(e.getMessage().contains("allowEnv") && e.getMessage().contains("CICD_ETCD_PASSWORD"), e.getMessage());
    }
}
