package dev.cicd.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cicd.runner.internal.confd.GoTemplates;
import dev.cicd.runner.internal.confd.Toml;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImportConfdTest {

    @TempDir
    Path out;

    static Path recipe() throws URISyntaxException {
        return Path.of(ImportConfdTest.class.getResource("/confd-recipe/conf.d/rollout.toml").toURI()).getParent().getParent();
    }

    @Test
    void recipeDirectoryBecomesTwoShellWatchesWithTranslatedTemplates() throws Exception {
        CliTestSupport.Run r = CliTestSupport.run("import-confd", recipe().toString(), "-o", out.toString(),
                "--endpoints", "http://127.0.0.1:23790");
        assertEquals(0, r.exitCode(), r.toString());
        assertTrue(r.out().contains("watches: rollout, undo"), r.out());
        assertTrue(r.out().contains("the config loads and validates"), r.out());
        assertTrue(r.out().contains("reload_cmd and dest of every resource were replaced"), r.out());
        assertFalse(r.out().contains("could not translate"), r.out());

        RunnerConfig c = RunnerConfig.load(out.resolve("cicd.yaml"), Map.of());
        assertEquals(List.of("http://127.0.0.1:23790"), c.etcd().endpoints());
        WatchConfig rollout = c.watch("rollout").orElseThrow();
        assertEquals("/cicd/rollout", rollout.prefix());
        assertEquals(List.of("/trigger"), rollout.keys());
        assertTrue(rollout.action().isShell());
        assertEquals(out.resolve("templates/rollout.peb"), rollout.templateFile().orElseThrow());
        assertEquals("/cicd/undo", c.watch("undo").orElseThrow().prefix());

        String peb = Files.readString(out.resolve("templates/rollout.peb"));
        assertTrue(peb.contains("{% if exists(\"/trigger\") %}"), peb);
        assertTrue(peb.contains("{% set data = json(getv(\"/trigger\")) %}"), peb);
        assertTrue(peb.contains("# imageTag: {{ data.imageTag | oneline }}"), peb);
        assertTrue(peb.contains("{% endif %}"), peb);
        assertFalse(peb.contains("{{$"), peb);
        String yaml = Files.readString(out.resolve("cicd.yaml"));
        assertTrue(yaml.contains("# confd ran: cd /data/server/k8s-deploy && /bin/bash bin/confd-reload-cmd.sh reload/rollout.cmd"), yaml);
    }

    @Test
    void translatedRecipeTemplateRendersWithTheRunnersRendererAndKeepsPayloadsInComments() throws Exception {
        CliTestSupport.Run r = CliTestSupport.run("import-confd", recipe().toString(), "-o", out.toString());
        assertEquals(0, r.exitCode(), r.toString());
        dev.cicd.core.PebbleRenderer renderer = dev.cicd.core.PebbleRenderer.builder()
                .template("rollout.peb", Files.readString(out.resolve("templates/rollout.peb"))).build();
        dev.cicd.core.WatchSpec watch = dev.cicd.core.WatchSpec.builder("rollout").prefix("/cicd/rollout")
                .key("/trigger").template("rollout.peb").action("shell").build();
        String json = "{\"action\":\"deploy\",\"k8sNamespace\":\"ns-demo1-dev\",\"appName\":\"demo1\","
                + "\"svcName\":\"gateway\",\"imageTag\":\"v1\\nrm -rf /\"}";
        dev.cicd.core.Plan plan = renderer.render(watch, dev.cicd.core.TriggerEvent.put("rollout", "/cicd/rollout/trigger", json, 7),
                new java.util.TreeMap<>(Map.of("/trigger", json)));
        String text = plan.text();
        assertTrue(text.contains("# appName: demo1\n"), text);
        assertTrue(text.contains("# kubectl -n ns-demo1-dev set image deployments/demo1-gateway gateway="
                + "registry.cn-hangzhou.aliyuncs.com/ns-demo/demo1-gateway:v1\\nrm -rf /"), text);
        assertTrue(text.lines().noneMatch(l -> l.startsWith("rm")), "the payload cannot leave its comment line: " + text);
    }

    @Test
    void commandLinesQuoteValuesAndCommentsKeepThemOnOneLine() {
        GoTemplates.Result r = GoTemplates.translate("t", """
                {{/* set the image */}}
                {{$d := json (getv "/trigger")}}
                # tag: {{$d.imageTag}}
                kubectl -n {{$d.k8sNamespace}} set image deployments/{{$d.appName}}-{{$d.svcName}} x={{getv "/image"}}
                {{- if eq $d.action "deploy" }}ok{{ else if not (exists "/x") }}no{{end -}}
                {{range $i, $k := ls "/apps"}}{{$k | toUpper}}{{end}}
                """);
        assertEquals(List.of(), r.untranslated());
        String p = r.pebble();
        assertTrue(p.startsWith("{# set the image #}\n{% set d = json(getv(\"/trigger\")) %}\n"), p);
        assertTrue(p.contains("# tag: {{ d.imageTag | oneline }}\n"), p);
        assertTrue(p.contains("kubectl -n {{ d.k8sNamespace | sh }} set image deployments/{{ d.appName | sh }}-{{ d.svcName | sh }} x={{ getv(\"/image\") | sh }}"), p);
        assertTrue(p.contains("{%- if (d.action == \"deploy\") %}ok{% elseif (not exists(\"/x\")) %}no{% endif -%}"), p);
        assertTrue(p.contains("{% for k in ls(\"/apps\") %}{% set i = loop.index %}{{ toUpper(k) | sh }}{% endfor %}"), p);
    }

    @Test
    void untranslatableActionsAreListedWithTheirLine() {
        GoTemplates.Result r = GoTemplates.translate("t.tmpl", "a\n{{printf \"%s\" .Name}}\n{{with $x}}y{{end}}\n{{.}}");
        assertEquals(3, r.untranslated().size(), r.untranslated().toString());
        assertTrue(r.pebble().contains("y{# end of the untranslated with #}"), r.pebble());
        assertTrue(r.untranslated().get(0).startsWith("t.tmpl:2: {{printf \"%s\" .Name}}"), r.untranslated().toString());
        assertTrue(r.untranslated().get(0).contains("no equivalent"), r.untranslated().toString());
        assertTrue(r.untranslated().get(1).startsWith("t.tmpl:3: {{with $x}}"), r.untranslated().toString());
        assertTrue(r.pebble().contains("{# import-confd could not translate: {{printf \"%s\" .Name}} #}"), r.pebble());
    }

    @Test
    void tomlReaderReadsConfdTablesAndNamesTheLineOfAnError() {
        Map<String, Map<String, Object>> t = Toml.parse("x.toml", """
                # comment
                [template]
                prefix = "/cicd/rollout" # trailing
                keys = [
                  "/trigger",
                  '/other',
                ]
                mode = "0644"
                uid = 0
                check = true
                """);
        assertEquals(Map.of("prefix", "/cicd/rollout", "keys", List.of("/trigger", "/other"), "mode", "0644",
                "uid", 0L, "check", true), t.get("template"));
        Toml.TomlException e = org.junit.jupiter.api.Assertions.assertThrows(Toml.TomlException.class,
                () -> Toml.parse("x.toml", "[template]\nsrc = \"a\"\nkeys = [\"/a\" \"/b\"]\n"));
        assertEquals("x.toml:3: expected ',' or ']' in an array", e.getMessage());
    }

    @Test
    void aDirectoryWithoutConfDIsABadUsage() throws IOException {
        CliTestSupport.Run r = CliTestSupport.run("import-confd", out.toString(), "-o", out.resolve("o").toString());
        assertEquals(2, r.exitCode(), r.toString());
        assertTrue(r.err().contains("has no conf.d directory"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
    }
}
