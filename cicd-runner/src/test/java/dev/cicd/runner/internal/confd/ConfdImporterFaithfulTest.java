package dev.cicd.runner.internal.confd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cicd.runner.ConfigException;
import dev.cicd.runner.RunnerConfig;
import dev.cicd.runner.WatchAction;
import dev.cicd.runner.WatchConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A plain confd directory (config files, not the recipe's scripts) keeps confd's meaning when imported. */
class ConfdImporterFaithfulTest {

    @TempDir
    Path dir;

    private Path confd;
    private Path out;

    @BeforeEach
    void layout() throws IOException {
        confd = dir.resolve("confd");
        out = dir.resolve("out");
        Files.createDirectories(confd.resolve("conf.d"));
        Files.createDirectories(confd.resolve("templates"));
        Files.writeString(confd.resolve("templates/app.conf.tmpl"), """
                # on {{getenv "HOSTNAME"}}
                host = {{getv "/database/host"}}
                {{if exists "/database/port"}}port = {{getv "/database/port"}}{{end}}
                """);
    }

    private void resource(String name, String toml) throws IOException {
        Files.writeString(confd.resolve("conf.d").resolve(name), toml);
    }

    private RunnerConfig config() {
        return RunnerConfig.load(out.resolve("cicd.yaml"), Map.of());
    }

    @Test
    void aPlainResourceBecomesAFileWatchOnTheRootWithItsKeysAsPrefixesMergedAndUnquotedValues() throws IOException {
        resource("app.toml", """
                [template]
                src = "app.conf.tmpl"
                dest = "/tmp/app.conf"
                mode = "0640"
                owner = "nobody"
                gid = 65534
                keys = ["/database/host", "/database/port", "/database/host"]
                check_cmd = "grep -q host {{.src}}"
                reload_cmd = "systemctl reload app"
                """);
        ConfdImporter.Report r = ConfdImporter.importDir(confd, out, List.of("http://127.0.0.1:2379"));
        RunnerConfig c = config();
        WatchConfig w = c.watch("app").orElseThrow();
        assertEquals("/", w.prefix(), "confd's default prefix is the root");
        assertEquals(List.of("/database/host", "/database/host/", "/database/port", "/database/port/"), w.keys());
        assertEquals(List.of("/database/host", "/database/host/", "/database/port", "/database/port/"), w.fullKeys());
        assertTrue(w.action().isFile());
        WatchAction.File f = w.action().file();
        assertEquals("/tmp/app.conf", f.dest());
        assertEquals("0640", f.mode());
        assertEquals("nobody", f.owner());
        assertEquals("65534", f.group());
        assertEquals("grep -q host {{.src}}", f.checkCmd());
        assertEquals("systemctl reload app", f.reloadCmd());
        assertEquals("/tmp/app.conf", w.target(), "one watch per resource, its target the dest");
        assertEquals(List.of("HOSTNAME"), c.templates().allowEnv(), "getenv's names are allowed");
        String peb = Files.readString(out.resolve("templates/app.conf.peb"));
        assertFalse(peb.contains("| sh"), "a config file is not a shell script: " + peb);
        assertTrue(peb.contains("host = {{ goPrint(getv(\"/database/host\")) }}"), peb);
        assertFalse(r.notTranslated().stream().anyMatch(n -> n.contains("prefix")), r.notTranslated().toString());
    }

    @Test
    void theGlobalPrefixComesFromConfdTomlOrTheOptionAndConfdTomlGivesTheEndpoints() throws IOException {
        resource("app.toml", "[template]\nsrc = \"app.conf.tmpl\"\ndest = \"/tmp/app.conf\"\nprefix = \"app\"\n"
                + "keys = [\"/database/host\"]\n");
        Files.writeString(confd.resolve("confd.toml"), """
                backend = "etcdv3"
                nodes = ["127.0.0.1:2379", "https://10.0.0.2:2379"]
                prefix = "/production"
                interval = 60
                """);
        ConfdImporter.Report r = ConfdImporter.importDir(confd, out, List.of());
        RunnerConfig c = config();
        assertEquals(List.of("http://127.0.0.1:2379", "https://10.0.0.2:2379"), c.etcd().endpoints());
        assertEquals("/production/app", c.watch("app").orElseThrow().prefix());
        assertTrue(r.notTranslated().contains("confd.toml: interval not carried over (see README, Coming from confd)"),
                r.notTranslated().toString());

        ConfdImporter.importDir(confd, out, List.of("http://127.0.0.1:23790"), "/staging/");
        c = config();
        assertEquals(List.of("http://127.0.0.1:23790"), c.etcd().endpoints());
        assertEquals("/staging/app", c.watch("app").orElseThrow().prefix());
    }

    @Test
    void aBackendOtherThanEtcdIsRefusedNamingIt() throws IOException {
        resource("app.toml", "[template]\nsrc = \"app.conf.tmpl\"\ndest = \"/tmp/app.conf\"\nkeys = [\"/k\"]\n");
        Files.writeString(confd.resolve("confd.toml"), "backend = \"consul\"\n");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfdImporter.importDir(confd, out, List.of()));
        assertTrue(e.getMessage().contains("backend = \"consul\": cicd reads etcd only"), e.getMessage());
    }

    @Test
    void aReloadCmdThatRunsTheDestAsAScriptKeepsTheShellActionAndQuotesValues() throws IOException {
        Files.writeString(confd.resolve("templates/deploy.tmpl"), "kubectl set image x={{getv \"/image\"}}\n");
        resource("deploy.toml", """
                [template]
                prefix = "/cicd/deploy"
                src = "deploy.tmpl"
                dest = "/tmp/deploy.sh"
                keys = ["/image"]
                reload_cmd = "bash /tmp/deploy.sh"
                """);
        resource("app.toml", "[template]\nsrc = \"app.conf.tmpl\"\ndest = \"/tmp/app.conf\"\nkeys = [\"/database/host\"]\n"
                + "reload_cmd = \"haproxy -f /tmp/app.conf -c\"\n");
        ConfdImporter.Report r = ConfdImporter.importDir(confd, out, List.of("http://127.0.0.1:2379"));
        RunnerConfig c = config();
        assertTrue(c.watch("deploy").orElseThrow().action().isShell());
        assertEquals(List.of("/image"), c.watch("deploy").orElseThrow().keys());
        assertTrue(c.watch("app").orElseThrow().action().isFile(), "naming dest is not running it");
        assertEquals("kubectl set image x={{ getv(\"/image\") | sh }}\n", Files.readString(out.resolve("templates/deploy.peb")));
        assertTrue(r.notTranslated().get(0).startsWith("reload_cmd and dest of deploy "), r.notTranslated().toString());
    }

    @Test
    void resourcesSharingKeysAreAllowedForFileWatchesOnly() throws IOException {
        resource("a.toml", "[template]\nsrc = \"app.conf.tmpl\"\ndest = \"/tmp/a.conf\"\nkeys = [\"/database/host\"]\n");
        resource("b.toml", "[template]\nsrc = \"app.conf.tmpl\"\ndest = \"/tmp/b.conf\"\nkeys = [\"/database/host\"]\n");
        ConfdImporter.importDir(confd, out, List.of("http://127.0.0.1:2379"));
        assertEquals(List.of("a", "b"), config().watches().stream().map(WatchConfig::name).toList());
    }
}
