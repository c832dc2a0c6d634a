package dev.cicd.runner.internal.confd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cicd.runner.ConfigException;
import dev.cicd.runner.RunnerConfig;
import dev.cicd.runner.WatchConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** import-confd reads template resources as TOML, as confd does, beyond the subset the recipe uses. */
class ConfdImporterTomlTest {

    @TempDir
    Path dir;

    private Path confd;
    private Path out;

    @BeforeEach
    void templates() throws IOException {
        confd = dir.resolve("confd");
        out = dir.resolve("out");
        Files.createDirectories(confd.resolve("conf.d"));
        Files.createDirectories(confd.resolve("templates"));
        Files.writeString(confd.resolve("templates/rollout.tmpl"), "echo {{getv \"/trigger\"}}\n");
    }

    private Path resource(String name, String toml) throws IOException {
        return Files.writeString(confd.resolve("conf.d").resolve(name), toml);
    }

    private ConfdImporter.Report importConfd() {
        return ConfdImporter.importDir(confd, out, List.of("http://127.0.0.1:2379"));
    }

    private WatchConfig watch(String name) {
        return RunnerConfig.load(out.resolve("cicd.yaml"), Map.of()).watch(name).orElseThrow();
    }

    @Test
    void multiLineStringsCommentsAndArraysOverSeveralLinesAreRead() throws IOException {
        resource("rollout.toml", """
                # a confd template resource
                [template] # the only table confd reads
                src = '''
                rollout.tmpl'''
                prefix = "/cicd/rollout"   # the watch's prefix
                keys = [
                  "/trigger",  # the payload
                  # a comment inside the array
                  'image',
                ]
                dest = '/tmp/rollout.cmd'
                reload_cmd = \"""
                cd /data/server && \\
                  /bin/bash bin/reload.sh \\"rollout\\" reload/rollout.cmd\"""
                check_cmd = '''
                test -s {{.src}} && echo 'checked'
                '''
                """);
        ConfdImporter.Report r = importConfd();
        assertEquals(List.of("rollout"), r.watches());
        WatchConfig w = watch("rollout");
        assertEquals("/cicd/rollout", w.prefix());
        assertEquals(List.of("/trigger", "/image"), w.keys());
        assertEquals(out.resolve("templates/rollout.peb"), w.templateFile().orElseThrow());
        String yaml = Files.readString(out.resolve("cicd.yaml"));
        // the line-ending backslash joins the lines and trims the indentation; the escapes are read
        assertTrue(yaml.contains("    # confd ran: cd /data/server && /bin/bash bin/reload.sh \"rollout\" reload/rollout.cmd\n"),
                yaml);
        assertTrue(yaml.contains("# from conf.d/rollout.toml, dest = \"/tmp/rollout.cmd\"\n"), yaml);
        assertTrue(r.notTranslated().contains("conf.d/rollout.toml: check_cmd not carried over; validate inside the"
                + " template or the plan"), r.notTranslated().toString());
    }

    @Test
    void inlineTablesAreReadAndKeysOutsideTheTemplateAreListedAsIgnored() throws IOException {
        resource("rollout.toml", """
                version = 2
                template = { src = "rollout.tmpl", prefix = "/cicd/rollout", keys = ["/trigger"], labels = { team = "a" } }
                [vars]
                x = 1
                """);
        ConfdImporter.Report r = importConfd();
        assertEquals(List.of("/trigger"), watch("rollout").keys());
        assertTrue(r.notTranslated().contains("conf.d/rollout.toml: key 'version' outside [template] ignored"),
                r.notTranslated().toString());
        assertTrue(r.notTranslated().contains("conf.d/rollout.toml: table [vars] ignored"), r.notTranslated().toString());
        assertTrue(r.notTranslated().contains("conf.d/rollout.toml: key 'labels' is not a confd template-resource key;"
                + " ignored"), r.notTranslated().toString());
    }

    @Test
    void aSyntaxErrorNamesTheFileLineAndColumn() throws IOException {
        Path bad = resource("bad.toml", "[template]\nsrc = \"rollout.tmpl\"\nkeys = [\"/a\" \"/b\"]\n");
        ConfigException e = assertThrows(ConfigException.class, this::importConfd);
        assertTrue(e.getMessage().startsWith(bad.toAbsolutePath() + ":3:14: not valid TOML: "), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        assertFalse(Files.exists(out.resolve("cicd.yaml")));
    }

    @Test
    void anUnterminatedMultiLineStringAndADuplicateKeyAreSyntaxErrorsOfTheirFile() throws IOException {
        Path bad = resource("bad.toml", "[template]\nsrc = \"rollout.tmpl\"\nreload_cmd = \"\"\"\nrun\n");
        ConfigException e = assertThrows(ConfigException.class, this::importConfd);
        assertTrue(e.getMessage().startsWith(bad.toAbsolutePath() + ":"), e.getMessage());
        assertTrue(e.getMessage().contains(": not valid TOML: "), e.getMessage());

        resource("bad.toml", "[template]\nsrc = \"rollout.tmpl\"\nsrc = \"other.tmpl\"\nkeys = [\"/a\"]\n");
        e = assertThrows(ConfigException.class, this::importConfd);
        assertTrue(e.getMessage().startsWith(bad.toAbsolutePath() + ":"), e.getMessage());
        assertTrue(e.getMessage().endsWith("not valid TOML: Duplicate key"), e.getMessage());
    }

    @Test
    void aResourceWithoutATemplateTableOrWithAMalformedKeyIsRefusedNamingTheFile() throws IOException {
        Path bad = resource("bad.toml", "template = \"rollout.tmpl\"\n");
        ConfigException e = assertThrows(ConfigException.class, this::importConfd);
        assertEquals(bad.toAbsolutePath() + ": no [template] table", e.getMessage());

        resource("bad.toml", "[template]\nsrc = { file = \"rollout.tmpl\" }\nkeys = [\"/a\"]\n");
        e = assertThrows(ConfigException.class, this::importConfd);
        assertEquals("conf.d/bad.toml: [template] needs src as a string", e.getMessage());

        resource("bad.toml", "[template]\nsrc = \"rollout.tmpl\"\nkeys = [\"/a\", 2]\n");
        e = assertThrows(ConfigException.class, this::importConfd);
        assertEquals("conf.d/bad.toml: keys must be strings, found 2", e.getMessage());
    }
}
